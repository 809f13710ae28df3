#pragma once
// WebSocket URLs (RFC 6455 §3): ws://host[:port][/path] and wss://...; IPv6 hosts in brackets.
#include <cstdint>
#include <string>
#include <string_view>

#include "wimpu/common/expected.hpp"
#include "wimpu/loadgen/error.hpp"

namespace wimpu::loadgen {

/// A parsed ws:// or wss:// URL.
struct WsUrl {
  bool tls = false;          ///< wss
  std::string host;          ///< without brackets for IPv6 ("::1")
  std::uint16_t port = 0;    ///< explicit or the scheme default (80 / 443)
  std::string target = "/";  ///< path and query, "/" when absent
  /// Host header value (RFC 6455 §4.1 item 4): host, bracketed if IPv6, with ":port" unless it
  /// is the scheme default.
  std::string host_header() const;
  /// "ws://host:port/target" for reports.
  std::string to_string() const;
};

/// Parses `text`. Errors (a human-readable reason): other scheme, empty host, bad port, fragment.
/// Startup-time helper; allocates.
Expected<WsUrl, Error> parse_ws_url(std::string_view text);

}  // namespace wimpu::loadgen
