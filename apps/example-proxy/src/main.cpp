// example-proxy --config FILE: the RFC 3261 §16 stateful proxy with static routes, used by the
// SIPp tests and the Kamailio comparison (bench/proxy). Prints "listening <proto> <addr>:<port>"
// per listener once bound, then runs until SIGINT/SIGTERM.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>

#include "wimpu/cscf_node/process.hpp"
#include "wimpu/example_proxy/config.hpp"
#include "wimpu/example_proxy/server.hpp"

int main(int argc, char** argv) {
  CLI::App app{"wimpu example stateful SIP proxy"};
  std::string config_path;
  app.add_option("--config", config_path, "TOML configuration file")->required();
  CLI11_PARSE(app, argc, argv);

  // Before any thread starts: only stop.wait() below sees SIGINT/SIGTERM.
  const wimpu::cscf_node::StopSignals stop;

  try {
    wimpu::example_proxy::Server server(wimpu::example_proxy::load_config(config_path));
    server.start();
    wimpu::cscf_node::print_listeners(server.listeners());
    stop.wait();
    server.stop();
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  return 0;
}
