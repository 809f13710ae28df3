#pragma once
// Configuration of the HSS process (wimpu-hss --config FILE), TOML:
//
//   [diameter]                       # see wimpu/diameter/node_config_toml.hpp
//   identity = "hss.example"
//   realm = "example"
//   port = 3868
//   accept_peers = ["*"]
//   state_dir = "state/hss"
//
//   [hss]
//   subscribers = "subscribers.toml" # relative to this file; re-read on SIGHUP
#include <filesystem>
#include <string>

#include "wimpu/common/expected.hpp"
#include "wimpu/diameter/node_config.hpp"

namespace wimpu::hss {

/// The HSS process configuration.
struct HssConfig {
  diameter::NodeConfig diameter;     ///< the [diameter] section
  std::filesystem::path subscribers;  ///< [hss] subscribers, resolved against the file's directory
};

/// Reads and validates the file. Start-up code: returns the reason on error.
wimpu::Expected<HssConfig, std::string> load_hss_config(const std::filesystem::path& path);

}  // namespace wimpu::hss
