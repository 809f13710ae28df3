// wimpu-s-cscf --config FILE: the S-CSCF as a process. Cx over Diameter to the HSS, SIP on the
// configured listeners. Prints "listening <proto> <addr>:<port>" per listener once bound; stops
// on SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "wimpu/common/clock.hpp"
#include "wimpu/diameter/node.hpp"
#include "wimpu/s_cscf/s_cscf.hpp"

int main(int argc, char** argv) {
  CLI::App app{"wimpu S-CSCF"};
  std::string config_path;
  app.add_option("--config", config_path, "TOML configuration file")->required();
  CLI11_PARSE(app, argc, argv);
  // Only sigwait() below sees the stop signals: block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
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
    for (const auto& l : sip.listeners()) {
      std::printf("listening %s %s\n", std::string(wimpu::transport::to_string(l.protocol)).c_str(),
                  l.local.to_string().c_str());
    }
    std::fflush(stdout);
    int sig = 0;
    sigwait(&stop_signals, &sig);
    sip.stop();
    clients.clear();
    node.reset();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wimpu-s-cscf: %s\n", e.what());
    return 1;
  }
  return 0;
}
