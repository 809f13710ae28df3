#pragma once
// The example proxy's configuration (TOML, see examples/example-proxy.toml): listeners, timers,
// shards and static routes. Loaded at start-up only: errors are exceptions (STYLE.md "Errors").
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "wimpu/cscf_node/sip_node.hpp"

namespace wimpu::example_proxy {

struct ExampleConfig {
  /// Listeners, shards, timers and proxy knobs: the [[listeners]], [proxy] and [timers]
  /// sections, read as every wimpu SIP node reads them (cscf_node::parse_sip_node_config).
  /// [proxy] expected_transactions defaults to 1 << 18 here (sized for the benchmarks: rate *
  /// 32 s * 2 for INVITE traffic, so the tables never rehash under load).
  cscf_node::SipNodeConfig node;
  /// [[routes]] user -> targets; user "*" matches any user. More than one target forks.
  std::map<std::string, std::vector<std::string>, std::less<>> routes;
  /// [websocket] allowed_origins: Origin values accepted on ws/wss listeners (RFC 7118 §7);
  /// empty = any origin.
  std::vector<std::string> allowed_origins;
};

/// Parses TOML text. Throws std::runtime_error with a precise message on any error.
ExampleConfig parse_config(std::string_view toml_text);
/// Reads and parses a file. Throws std::runtime_error.
ExampleConfig load_config(const std::string& path);

}  // namespace wimpu::example_proxy
