// example-proxy --config FILE: the RFC 3261 §16 stateful proxy with static routes, used by the
// SIPp tests and the Kamailio comparison (bench/proxy). Prints "listening <proto> <addr>:<port>"
// per listener once bound, then runs until SIGINT/SIGTERM.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>

#include "wimpu/example_proxy/config.hpp"
#include "wimpu/example_proxy/server.hpp"

int main(int argc, char** argv) {
  CLI::App app{"wimpu example stateful SIP proxy"};
  std::string config_path;
  app.add_option("--config", config_path, "TOML configuration file")->required();
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals before any thread starts, so the shards inherit the mask and only
  // sigwait() below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    wimpu::example_proxy::Server server(wimpu::example_proxy::load_config(config_path));
    server.start();
    for (const auto& l : server.listeners()) {
      std::printf("listening %s %s\n", std::string(wimpu::transport::to_string(l.protocol)).c_str(),
                  l.local.to_string().c_str());
    }
    std::fflush(stdout);
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.stop();
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  return 0;
}
