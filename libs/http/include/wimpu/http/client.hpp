#pragma once
// A blocking HTTP/1.1 keep-alive client over TCP or TLS. For tests, benchmarks and admin tools
// talking to a server on loopback; never used on a server's I/O threads.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "wimpu/common/expected.hpp"
#include "wimpu/http/types.hpp"

namespace wimpu::http {

/// One connection. Not thread-safe. Reconnect by constructing a new client.
class Client {
public:
  /// Connects to host:port (numeric address), with a TLS handshake when `tls` is non-null
  /// (no SNI: RFC 6066 §3 forbids IP literals). Errors are returned by the first request() if connecting failed.
  Client(std::string host, std::uint16_t port, std::shared_ptr<boost::asio::ssl::context> tls,
         std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Sends `req` (Host, Content-Length and keep-alive are filled in) and reads the answer.
  Expected<Response, boost::system::error_code> request(Request req);
  /// Shorthand: builds a request with a target, a body and optional Content-Type.
  Expected<Response, boost::system::error_code> request(Verb method, std::string target,
                                                       std::string body = {},
                                                       std::string content_type = {});
  /// Sends raw bytes and reads one response (to test malformed requests). Keeps the connection.
  Expected<Response, boost::system::error_code> raw(const std::string& bytes);
  /// True once the connection failed or the server closed it.
  bool closed() const;

private:
  Expected<Response, boost::system::error_code> read_response(bool head);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wimpu::http
