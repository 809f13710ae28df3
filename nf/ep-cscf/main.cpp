// wimpu-ep-cscf --config FILE.toml: the eP-CSCF process (issue 5). Everything is in the
// ep_cscf library (Server, parse_ep_cscf_config); this file only loads, starts and waits for a
// stop signal (STYLE.md: a thin main).
#include <csignal>
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "wimpu/ep_cscf/config_toml.hpp"
#include "wimpu/ep_cscf/server.hpp"

int main(int argc, char** argv) {
  CLI::App app{"wimpu eP-CSCF: WebRTC access to IMS with a block of IMPUs"};
  std::string config_path;
  app.add_option("--config", config_path, "TOML configuration file")->required();
  CLI11_PARSE(app, argc, argv);

  // Signals are taken synchronously by the main thread; every shard thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto cfg = wimpu::ep_cscf::load_ep_cscf_config(config_path);
  if (!cfg) {
    std::fprintf(stderr, "wimpu-ep-cscf: config: %s\n", cfg.error().message().c_str());
    return 2;
  }
  try {
    wimpu::ep_cscf::Server server(std::move(*cfg));
    server.start();
    for (const auto& l : server.listeners()) {
      std::printf("listening %s %s\n", std::string(wimpu::transport::to_string(l.protocol)).c_str(),
                  l.local.to_string().c_str());
    }
    std::fflush(stdout);
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.stop();  // de-registers the blocks (seed 5.2.2.5.1), then stops the shards
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wimpu-ep-cscf: %s\n", e.what());
    return 1;
  }
  return 0;
}
