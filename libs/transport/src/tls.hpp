#pragma once
// OpenSSL contexts for TLS/WSS listeners and outgoing connections (TLS 1.2 and later).
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

#include "wimpu/common/expected.hpp"
#include "wimpu/transport/config.hpp"
#include "wimpu/transport/net_transport.hpp"

namespace wimpu::transport::detail {

Expected<std::unique_ptr<boost::asio::ssl::context>, StartupError> make_server_tls(
    const TlsServerConfig& config);
Expected<std::unique_ptr<boost::asio::ssl::context>, StartupError> make_client_tls(
    const TlsClientConfig& config);

/// True when `host` is an IPv4 or IPv6 literal (no SNI for those, RFC 6066 §3).
bool is_ip_literal(const std::string& host);

}  // namespace wimpu::transport::detail
