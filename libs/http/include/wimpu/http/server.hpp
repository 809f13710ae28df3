#pragma once
// HTTPS (or, for tests, plain HTTP) server on Boost.Beast. The Beast model STYLE.md allows for the
// token web server: the caller's io_context (run by one or more threads), one strand per
// connection, each connection served by one coroutine. HTTP/1.1 keep-alive, header and body size
// limits, read/idle/write timeouts (slowloris), 400/405/413/431 answers with counters.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "wimpu/common/expected.hpp"
#include "wimpu/http/router.hpp"

namespace wimpu::http {

/// Listener and connection limits. Defaults suit a login/token API and a small static site.
struct ServerOptions {
  std::string address = "127.0.0.1";  ///< Numeric IPv4/IPv6 address to bind.
  std::uint16_t port = 0;             ///< 0 picks a free port; read it back with Server::port().
  std::size_t header_limit = 8 * 1024;
  std::size_t body_limit = 16 * 1024;
  std::chrono::milliseconds handshake_timeout{10'000};  ///< TLS handshake.
  std::chrono::milliseconds read_timeout{10'000};       ///< One whole request, first byte to last.
  std::chrono::milliseconds idle_timeout{60'000};       ///< Keep-alive wait for the next request.
  std::chrono::milliseconds write_timeout{10'000};
  // Timeouts are enforced by a per-connection watchdog waking every min(timeouts): a timeout
  // that follows a longer one may be overrun by up to that period.
  unsigned max_requests_per_connection = 10'000;  ///< Then "Connection: close".
  /// Serve each connection on its own strand: required when more than one thread runs the
  /// io_context; set false for a single-threaded io_context (saves an executor hop per op).
  bool strand_per_connection = true;
  /// Headers added to every response (security headers such as X-Content-Type-Options) that
  /// neither the handler nor the ResponseHook set: they are written straight into the serialised
  /// answer, after the hook ran (so the hook does not see them in the Response).
  std::vector<std::pair<std::string, std::string>> default_headers;
};

/// Called for every response before it is written (CORS, security headers). Runs on the
/// session's strand; must not block. ServerOptions::default_headers are added after it.
using ResponseHook = std::function<void(const Request&, const RequestInfo&, Response&)>;

/// An HTTP/1.1 server. Construct, start(), run the io_context, stop().
class Server {
public:
  /// `tls` null means plain HTTP (tests only). The server keeps `tls` and `router` alive for as
  /// long as any connection runs. Not thread-safe itself: call start()/stop() from one thread.
  Server(boost::asio::io_context& ioc, ServerOptions options, std::shared_ptr<const Router> router,
         std::shared_ptr<boost::asio::ssl::context> tls, ResponseHook hook = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and listens (SO_REUSEADDR), then accepts on the io_context. The error says what failed
  /// (bad address, port in use). After success, port() is the bound port.
  Expected<void, boost::system::error_code> start();
  /// The bound port (valid after start()).
  std::uint16_t port() const { return port_; }
  /// Stops accepting. Open connections end at their next timeout or when the io_context stops.
  /// Thread-safe (posts to the io_context).
  void stop();

  /// Implementation detail shared by the accept loop and the sessions.
  struct Shared;

private:
  boost::asio::io_context& ioc_;
  std::shared_ptr<Shared> shared_;
  std::uint16_t port_ = 0;
};

}  // namespace wimpu::http
