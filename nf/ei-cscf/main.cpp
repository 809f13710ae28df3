// wimpu-ei-cscf --config FILE: the eI-CSCF as a process. Cx over Diameter to the HSS, the wIMPU
// check against the configured blocks (memory W4, or the redis W4 the eP-CSCF writes: one
// connection per shard), SIP on the configured listeners. Prints
// "listening <proto> <addr>:<port>" per listener once bound; stops on SIGINT/SIGTERM.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "wimpu/cscf_node/process.hpp"
#include "wimpu/common/clock.hpp"
#include "wimpu/diameter/node.hpp"
#include "wimpu/ei_cscf/process_config.hpp"
#include "wimpu/registrar/memory_registrar.hpp"
#include "wimpu/registrar/redis_registrar.hpp"

int main(int argc, char** argv) {
  CLI::App app{"wimpu eI-CSCF"};
  std::string config_path;
  app.add_option("--config", config_path, "TOML configuration file")->required();
  CLI11_PARSE(app, argc, argv);
  // Before any thread starts: only stop.wait() below sees SIGINT/SIGTERM.
  const wimpu::cscf_node::StopSignals stop;
  try {
    namespace ei = wimpu::ei_cscf;
    ei::EiCscfProcessConfig cfg = ei::load_process_config(config_path);
    auto node = wimpu::diameter::DiameterNode::start(cfg.diameter);
    std::unique_ptr<wimpu::registrar::MemoryRegistrar> w4;
    const bool redis = cfg.w4_backend == ei::EiCscfProcessConfig::W4Backend::kRedis;
    auto block_set = std::make_shared<wimpu::registrar::BlockSet>(cfg.blocks);
    std::vector<std::unique_ptr<wimpu::registrar::RedisRegistrar>> redis_w4;  // one per shard
    if (!cfg.blocks.empty() && !redis) {
      w4 = std::make_unique<wimpu::registrar::MemoryRegistrar>(
          block_set,
          std::make_shared<wimpu::common::SystemClock>());
    }
    std::vector<std::unique_ptr<wimpu::diameter::CxClient>> clients;  // one per shard
    wimpu::cscf_node::SipNode sip(cfg.sip, [&](wimpu::transport::ShardId,
                                               boost::asio::any_io_executor ex) {
      clients.push_back(node->make_cx_client(
          ex, wimpu::diameter::CxClientOptions{cfg.hss_realm, cfg.hss_host, cfg.hss_timeout}));
      wimpu::registrar::W4* shard_w4 = w4.get();
      if (redis) {
        redis_w4.push_back(
            std::make_unique<wimpu::registrar::RedisRegistrar>(ex, block_set, cfg.redis));
        shard_w4 = redis_w4.back().get();
      }
      auto policy = std::make_unique<ei::EiCscfPolicy>(ex, *clients.back(), shard_w4, cfg.ei_cscf);
      ei::EiCscfPolicy* raw = policy.get();
      return wimpu::cscf_node::ShardPolicy{std::move(policy),
                                           [raw](wimpu::proxy::Proxy& p) { raw->attach(p); }};
    });
    sip.start();
    wimpu::cscf_node::print_listeners(sip.listeners());
    stop.wait();
    sip.stop();
    redis_w4.clear();  // after the shards stopped (RedisRegistrar: destroy once its io_context ran)
    clients.clear();
    node.reset();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wimpu-ei-cscf: %s\n", e.what());
    return 1;
  }
  return 0;
}
