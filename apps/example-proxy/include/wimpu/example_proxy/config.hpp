#pragma once
// The example proxy's configuration (TOML, see examples/example-proxy.toml): listeners, timers,
// shards and static routes. Loaded at start-up only: errors are exceptions (STYLE.md "Errors").
#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "wimpu/transaction/config.hpp"
#include "wimpu/transport/config.hpp"

namespace wimpu::example_proxy {

struct ExampleConfig {
  /// Listeners (udp/tcp/tls/ws/wss, address, port; port 0 = ephemeral) and transport limits.
  transport::TransportConfig transport;
  /// Shards (threads), default 1.
  std::size_t shards = 1;
  /// RFC 3261 timers: [timers] t1_ms, t2_ms, t4_ms, timer_d_ms.
  transaction::TimerConfig timers;
  /// [timers] timer_c_s (> 180).
  std::chrono::seconds timer_c{181};
  /// [proxy] expected_transactions: transaction tables per shard are sized for this many live
  /// transactions up front (no rehash pause under load; rate * 32 s * 2 for INVITE traffic).
  std::size_t expected_transactions = 1 << 18;
  /// [proxy] record_route (default true).
  bool record_route = true;
  /// [proxy] domains: host names that mean "this proxy" besides the listeners' addresses.
  std::vector<std::string> domains;
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
