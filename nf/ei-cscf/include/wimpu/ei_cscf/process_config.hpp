#pragma once
// The eI-CSCF process configuration (TOML; example: examples/ei-cscf.toml):
//   [[listeners]], [proxy], [timers]    the SIP node (wimpu/cscf_node/sip_node.hpp)
//   [ei_cscf] wimpu_domains, visited_network, [[ei_cscf.scscf]] name + capabilities
//   [hss] realm (Destination-Realm), host (optional Destination-Host), timeout_ms
//   [diameter]                          our Diameter node (diameter::parse_node_config)
//   [[blocks]] id, domains, range_first, range_last   the wIMPU blocks (both W4 backends)
//   [w4] backend = "memory" | "redis"; [w4.redis] host, port, op_timeout_ms
//        redis: the W4 the eP-CSCF writes (docs/w4.md), so its allocations are seen here
// Loaded at start-up only: errors are exceptions (STYLE.md "Errors").
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "wimpu/cscf_node/sip_node.hpp"
#include "wimpu/diameter/node_config.hpp"
#include "wimpu/ei_cscf/ei_cscf.hpp"
#include "wimpu/registrar/block.hpp"
#include "wimpu/registrar/redis_registrar.hpp"

namespace wimpu::ei_cscf {

struct EiCscfProcessConfig {
  cscf_node::SipNodeConfig sip;
  EiCscfConfig ei_cscf;
  diameter::NodeConfig diameter;
  std::string hss_realm;
  std::string hss_host;
  std::chrono::milliseconds hss_timeout{2000};
  std::vector<registrar::BlockConfig> blocks;
  /// Which W4 backend answers the wIMPU check: the in-process memory registrar (only useful when
  /// the eP-CSCF runs in the same process) or the shared Redis one.
  enum class W4Backend : std::uint8_t { kMemory, kRedis };
  W4Backend w4_backend = W4Backend::kMemory;
  registrar::RedisOptions redis;  ///< [w4.redis]; used with kRedis
};

/// Reads and validates `path`. Throws std::runtime_error naming the bad key.
EiCscfProcessConfig load_process_config(const std::filesystem::path& path);

}  // namespace wimpu::ei_cscf
