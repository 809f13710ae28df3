#pragma once
// TLS server/client contexts (OpenSSL 3 through Asio); self-signed certificates for tests and
// development are made by self_signed.hpp. Startup-time code: errors are returned, not thrown.
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "wimpu/common/expected.hpp"

namespace wimpu::http {

/// A PEM certificate chain and its PEM private key.
struct CertificatePem {
  std::string certificate;
  std::string private_key;
};

/// A server context with TLS 1.2+ only, the given chain and key. Error text names the file or the
/// OpenSSL failure.
Expected<std::shared_ptr<boost::asio::ssl::context>, std::string> make_server_tls_context(
    const CertificatePem& pem);
/// Same, reading the PEM chain and key from files.
Expected<std::shared_ptr<boost::asio::ssl::context>, std::string> make_server_tls_context_files(
    const std::string& cert_file, const std::string& key_file);

/// A client context with TLS 1.2+. When `trusted_pem` is non-empty the peer must chain to it;
/// when it is empty the peer is NOT verified (loopback tests and benchmarks only).
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& trusted_pem);

}  // namespace wimpu::http
