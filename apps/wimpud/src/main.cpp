// wimpud --config FILE: runs the network functions the config names in one process (issue 7).
// Exit codes: 0 after a SIGTERM/SIGINT drain, 1 when a function fails to start, 2 for a refused
// configuration (one line on stderr naming the key). SIGHUP reloads what can be reloaded.
#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "wimpu/wimpud/config.hpp"
#include "wimpu/wimpud/daemon.hpp"

int main(int argc, char** argv) {
  CLI::App app{"wimpud: the wimpu network functions (WWSF, eP-CSCF, eI-CSCF, HSS) in one process"};
  std::string config_path;
  bool check_only = false;
  app.add_option("--config", config_path, "TOML configuration file (docs/config.md)")->required();
  std::vector<std::string> overrides;
  app.add_option("--set", overrides,
                 "Override a key: KEY=VALUE, e.g. --set admin.port=0 (TOML value, else a string)");
  app.add_flag("--check", check_only, "Validate the configuration and exit");
  CLI11_PARSE(app, argc, argv);

  auto config = wimpu::wimpud::load_config(config_path, overrides);
  if (!config) {
    std::fprintf(stderr, "wimpud: %s\n", config.error().to_string().c_str());
    return 2;
  }
  if (check_only) {
    std::printf("wimpud: %s is valid\n", config_path.c_str());
    return 0;
  }
  // Only sigwait() below sees these: block them before any thread starts (threads inherit it).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  wimpu::wimpud::Daemon daemon(std::move(*config));
  if (auto r = daemon.start(); !r) {
    std::fprintf(stderr, "wimpud: %s\n", r.error().c_str());
    return 1;
  }
  for (const auto& l : daemon.listeners()) {
    std::printf("wimpud: %s listening %s %s:%u\n", l.function.c_str(), l.protocol.c_str(),
                l.address.c_str(), static_cast<unsigned>(l.port));
  }
  if (const std::string url = daemon.wwsf_url(); !url.empty()) {
    std::printf("wimpud: WWSF at %s\n", url.c_str());
  }
  if (const auto& c = daemon.config(); c.wwsf && !c.demo_user.empty()) {
    std::printf("wimpud: demo user %s / %s (made on first run; wimpuctl user manages users)\n",
                c.demo_user.c_str(), c.demo_password.c_str());
  }
  std::printf("wimpud: ready\n");
  std::fflush(stdout);
  for (;;) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != SIGHUP) {
      break;
    }
    // The file is read again; a refused one keeps the running configuration (files it names,
    // such as the HSS subscribers, are still re-read).
    auto fresh = wimpu::wimpud::load_config(config_path, overrides);
    if (!fresh) {
      std::fprintf(stderr, "wimpud: reload: %s; keeping the running configuration\n",
                   fresh.error().to_string().c_str());
    }
    for (const std::string& line : fresh ? daemon.reload(*fresh) : daemon.reload()) {
      std::fprintf(stderr, "wimpud: %s\n", line.c_str());
    }
  }
  std::fprintf(stderr, "wimpud: draining\n");
  daemon.drain();
  std::fprintf(stderr, "wimpud: stopped\n");
  return 0;
}
