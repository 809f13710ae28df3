#pragma once
// Reads a NodeConfig from the [diameter] section of a wimpu TOML configuration (wimpud's or the
// HSS's), so the freeDiameter configuration is always derived from ours:
//
//   [diameter]
//   identity = "hss.example"          # required
//   realm = "example"                 # required
//   listen_address = "127.0.0.1"      # default 127.0.0.1
//   port = 3868                       # default 0: do not listen
//   tls_port = 0                      # default 0: no TLS listener
//   accept_peers = ["*"]              # identities allowed to connect in; default none
//   require_tls = false
//   state_dir = "state/hss"           # required; relative to the config file's directory
//   tc_timer = 30                     # seconds
//   tw_timer = 30                     # seconds, > 5
//   app_threads = 2
//   log_level = "error"               # debug | notice | error | fatal
//   extensions = []                   # .fdx paths
//   [diameter.tls]                    # optional; generated self-signed when absent
//   cert = "cert.pem"
//   key = "key.pem"
//   ca = "ca.pem"
//   [[diameter.peer]]                 # peers we connect to
//   identity = "hss.example"
//   address = "127.0.0.1"
//   port = 3868
//   tls = false
//   realm = "example"
#include <filesystem>
#include <string>

#include <toml++/toml.h>

#include "wimpu/common/expected.hpp"
#include "wimpu/diameter/node_config.hpp"

namespace wimpu::diameter {

/// Parses `section` (the [diameter] table); relative paths are resolved against `base_dir`.
/// Returns the validated config (validate() is applied) or the reason it is invalid.
wimpu::Expected<NodeConfig, std::string> parse_node_config(const toml::table& section,
                                                           const std::filesystem::path& base_dir);

}  // namespace wimpu::diameter
