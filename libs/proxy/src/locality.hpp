#pragma once
// "Is this us?" (§16.4 Route and Request-URI, §16.3 item 4 Via sent-by) and which of our
// interfaces a message leaves from.
#include <string_view>

#include "wimpu/proxy/config.hpp"
#include "wimpu/sip/uri.hpp"
#include "wimpu/sip/via.hpp"

namespace wimpu::proxy::detail {

class Locality {
public:
  explicit Locality(const ProxyConfig& config) : config_(config) {}

  /// A sip/sips URI whose host:port is one of our interfaces, or whose host is a configured
  /// domain (any port).
  bool is_local_uri(const sip::Uri& uri) const;
  /// A Via whose sent-by is one of our interfaces.
  bool is_local_via(const sip::Via& via) const;
  /// The interface for messages leaving on `protocol` (the one of `listener` when it matches).
  const Interface& outbound(transaction::Protocol protocol, transaction::ListenerId listener) const;
  /// The interface a message from `from` arrived on.
  const Interface& inbound(const transaction::Peer& from) const;

private:
  bool host_port_is_ours(std::string_view host, std::uint16_t port) const;
  const ProxyConfig& config_;
};

/// Default port of a URI per its scheme/transport (RFC 3261 §19.1.2, RFC 7118 §5.5).
std::uint16_t default_port(transaction::Protocol p);

}  // namespace wimpu::proxy::detail
