#pragma once
// Fetches an issuer's JWKS over HTTPS (Boost.Beast + OpenSSL), e.g.
// https://wwsf.example/.well-known/jwks.json. The server certificate is verified against the
// configured CA file (or the system store) and the URL's host name (RFC 6125; an IP literal is
// matched against the certificate's IP SANs and sent without SNI, RFC 6066 §3).
#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "wimpu/token/jwks_fetcher.hpp"

namespace boost::asio::ssl {
class context;
}

namespace wimpu::token {

/// Options of an HTTPS JWKS source.
struct HttpsFetcherOptions {
  std::string url;       ///< https://host[:port]/path (no userinfo, no fragment)
  std::string ca_file;   ///< PEM trust anchors; empty: the system's default verify paths
  std::chrono::milliseconds timeout{5000};  ///< whole fetch: resolve, connect, TLS, request, body
  std::size_t max_body = 64 * 1024;         ///< larger documents fail with kBodyTooLarge
};

/// One HTTP/1.1 GET per fetch on a fresh TLS connection (a refresh every few minutes does not
/// need keep-alive). Thread-safe: fetches run as coroutines on the executor given at construction,
/// and each owns its connection.
class HttpsJwksFetcher final : public JwksFetcher {
public:
  /// Throws std::invalid_argument for a URL that is not https://host[:port]/path and
  /// std::runtime_error when the CA file cannot be loaded (configuration time).
  HttpsJwksFetcher(boost::asio::any_io_executor executor, HttpsFetcherOptions options);
  ~HttpsJwksFetcher() override;

  /// Starts GET url. `done` gets the body of a 200 response, or the error (system/TLS/Beast
  /// codes, or FetchErrc for status, size, timeout), on the executor.
  void async_fetch(Callback done) override;
  std::string describe() const override { return options_.url; }

  /// Parsed URL parts (tests, logs).
  const std::string& host() const noexcept { return host_; }
  const std::string& port() const noexcept { return port_; }
  const std::string& target() const noexcept { return target_; }

private:
  struct Request;

  boost::asio::any_io_executor executor_;
  HttpsFetcherOptions options_;
  std::string host_;
  std::string port_;
  std::string target_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
};

}  // namespace wimpu::token
