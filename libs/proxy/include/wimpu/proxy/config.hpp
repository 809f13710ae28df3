#pragma once
// Configuration of the stateful proxy core: who "we" are (for Route, Record-Route, Via and loop
// detection) and the §16 knobs. A plain struct with documented defaults; loading it from TOML is
// the application's job.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "wimpu/common/clock.hpp"
#include "wimpu/transaction/types.hpp"

namespace wimpu::proxy {

/// One address the proxy listens on. It is what we put in Via sent-by and Record-Route for
/// messages leaving on that protocol, and a Route/Request-URI naming it names us (§16.4).
struct Interface {
  transaction::Protocol protocol = transaction::Protocol::kUdp;
  /// Host as written in URIs and Via: "127.0.0.1", "[::1]" or a name.
  std::string host;
  std::uint16_t port = 5060;
  /// The transport listener behind it (UDP: the socket that sends from this address).
  transaction::ListenerId listener = transaction::kAnyListener;
};

struct ProxyConfig {
  /// Our listening addresses. At least one.
  std::vector<Interface> interfaces;
  /// Extra host names that mean "this proxy" in a Route or Request-URI (any port), e.g. the
  /// domain the proxy is responsible for (§16.4, §16.5).
  std::vector<std::string> domains;
  /// Record-Route dialog-creating requests (§16.6 step 4); a plug-in may override per request.
  bool record_route = true;
  /// Timer C (§16.6 step 11): must be more than 3 minutes.
  common::Duration timer_c = std::chrono::seconds(181);
  /// Option tags we support in Proxy-Require (§16.3 item 5); others get 420 + Unsupported.
  std::vector<std::string> supported_proxy_require;
  /// Upper bound on the branches of one request (a plug-in asking for more gets a 500 at once).
  std::size_t max_branches = 16;
};

}  // namespace wimpu::proxy
