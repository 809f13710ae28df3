// wimpu-s-cscf --config FILE: the S-CSCF as a process. Cx over Diameter to the HSS, SIP on the
// configured listeners. Prints "listening <proto> <addr>:<port>" per listener once bound; stops
// on SIGINT/SIGTERM.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "wimpu/cscf_node/process.hpp"
#include "wimpu/common/clock.hpp"
#include "wimpu/diameter/node.hpp"
#include "wimpu/s_cscf/s_cscf.hpp"

int main(int argc, char** argv) {
  CLI::App app{"wimpu S-CSCF"};
  std::string config_path;
  app.add_option("--config", config_path, "TOML configuration file")->required();
  CLI11_PARSE(app, argc, argv);
  // Before any thread starts: only stop.wait() below sees SIGINT/SIGTERM.
  const wimpu::cscf_node::StopSignals stop;
  try {
    namespace sc = wimpu::s_cscf;
    sc::ScscfProcessConfig cfg = sc::load_s_cscf_process_config(config_path);
    auto node = wimpu::diameter::DiameterNode::start(cfg.diameter);
    sc::ScscfService service(cfg.s_cscf, std::make_shared<wimpu::common::SystemClock>());
    std::vector<std::unique_ptr<wimpu::diameter::CxClient>> clients;  // one per shard
    wimpu::cscf_node::SipNode sip(
        cfg.sip, [&](wimpu::transport::ShardId shard, boost::asio::any_io_executor ex) {
          clients.push_back(node->make_cx_client(
              ex, wimpu::diameter::CxClientOptions{cfg.hss_realm, cfg.hss_host, cfg.hss_timeout}));
          return service.make_shard_policy(shard, ex, *clients.back());
        });
    sip.start();
    wimpu::cscf_node::print_listeners(sip.listeners());
    stop.wait();
    sip.stop();
    clients.clear();
    node.reset();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wimpu-s-cscf: %s\n", e.what());
    return 1;
  }
  return 0;
}
