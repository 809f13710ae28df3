#include "locality.hpp"

#include "wimpu/common/assert.hpp"

namespace wimpu::proxy::detail {

using transaction::Protocol;

std::uint16_t default_port(Protocol p) {
  switch (p) {
    case Protocol::kTls: return 5061;
    case Protocol::kWs: return 80;
    case Protocol::kWss: return 443;
    default: return 5060;
  }
}

bool Locality::host_port_is_ours(std::string_view host, std::uint16_t port) const {
  for (const Interface& i : config_.interfaces) {
    if (i.port == port && sip::iequals(i.host, host)) {
      return true;
    }
  }
  return false;
}

bool Locality::is_local_uri(const sip::Uri& uri) const {
  if (!uri.is_sip()) {
    return false;
  }
  for (const std::string& d : config_.domains) {
    if (sip::iequals(d, uri.host)) {
      return true;
    }
  }
  Protocol p = uri.scheme == sip::UriScheme::kSips ? Protocol::kTls : Protocol::kUdp;
  transaction::protocol_from_param(uri.transport(), p);
  if (uri.port) {
    return host_port_is_ours(uri.host, *uri.port);
  }
  // No port: the scheme's default; "sip:127.0.0.1;transport=tcp" names our TCP 5060.
  return host_port_is_ours(uri.host, default_port(p));
}

bool Locality::is_local_via(const sip::Via& via) const {
  Protocol p = Protocol::kUdp;
  transaction::protocol_from_via(via.transport, p);
  return host_port_is_ours(via.host, via.port.value_or(default_port(p)));
}

const Interface& Locality::outbound(Protocol protocol, transaction::ListenerId listener) const {
  WIMPU_RELEASE_ASSERT(!config_.interfaces.empty());
  const Interface* first_of_protocol = nullptr;
  for (const Interface& i : config_.interfaces) {
    if (i.protocol != protocol) {
      continue;
    }
    if (listener != transaction::kAnyListener && i.listener == listener) {
      return i;
    }
    if (first_of_protocol == nullptr) {
      first_of_protocol = &i;
    }
  }
  return first_of_protocol ? *first_of_protocol : config_.interfaces.front();
}

const Interface& Locality::inbound(const transaction::Peer& from) const {
  return outbound(from.protocol, from.listener);
}

}  // namespace wimpu::proxy::detail
