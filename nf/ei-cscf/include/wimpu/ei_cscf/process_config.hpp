#pragma once
// The eI-CSCF process configuration (TOML; example: examples/ei-cscf.toml):
//   [[listeners]], [proxy], [timers]    the SIP node (wimpu/cscf_node/sip_node.hpp)
//   [ei_cscf] wimpu_domains, visited_network, [[ei_cscf.scscf]] name + capabilities
//   [hss] realm (Destination-Realm), host (optional Destination-Host), timeout_ms
//   [diameter]                          our Diameter node (diameter::parse_node_config)
//   [[blocks]] id, domains, range_first, range_last   the wIMPU blocks for the memory W4
// Loaded at start-up only: errors are exceptions (STYLE.md "Errors").
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "wimpu/cscf_node/sip_node.hpp"
#include "wimpu/diameter/node_config.hpp"
#include "wimpu/ei_cscf/ei_cscf.hpp"
#include "wimpu/registrar/block.hpp"

namespace wimpu::ei_cscf {

struct EiCscfProcessConfig {
  cscf_node::SipNodeConfig sip;
  EiCscfConfig ei_cscf;
  diameter::NodeConfig diameter;
  std::string hss_realm;
  std::string hss_host;
  std::chrono::milliseconds hss_timeout{2000};
  std::vector<registrar::BlockConfig> blocks;
};

/// Reads and validates `path`. Throws std::runtime_error naming the bad key.
EiCscfProcessConfig load_process_config(const std::filesystem::path& path);

}  // namespace wimpu::ei_cscf
