#include "wimpu/http/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <optional>

namespace wimpu::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

struct Client::Impl {
  asio::io_context ioc;
  std::string host;
  std::chrono::milliseconds timeout;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  boost::system::error_code connect_error;
  bool closed = false;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  // Sync I/O with a deadline: Beast's tcp_stream timeouts apply only to async operations, so run
  // each operation asynchronously on the private io_context.
  template <class Op>
  boost::system::error_code run(Op&& op) {
    boost::system::error_code result;
    lowest().expires_after(timeout);
    op([&](boost::system::error_code ec, std::size_t) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }
};

Client::Client(std::string host, std::uint16_t port, std::shared_ptr<asio::ssl::context> tls,
               std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->timeout = timeout;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(impl_->host, ec);
  if (ec) {
    impl_->connect_error = ec;
    impl_->closed = true;
    return;
  }
  const tcp::endpoint ep(address, port);
  if (tls) {
    impl_->tls.emplace(beast::tcp_stream(impl_->ioc), *tls);
  } else {
    impl_->plain.emplace(impl_->ioc);
  }
  impl_->lowest().expires_after(timeout);
  impl_->lowest().async_connect(ep, [&](boost::system::error_code e) { ec = e; });
  impl_->ioc.run();
  if (!ec && impl_->tls) {
    ec = impl_->run([&](auto handler) {
      impl_->tls->async_handshake(asio::ssl::stream_base::client,
                                  [handler](boost::system::error_code e) { handler(e, 0); });
    });
  }
  if (ec) {
    impl_->connect_error = ec;
    impl_->closed = true;
  }
}

Client::~Client() = default;

bool Client::closed() const { return impl_->closed; }

Expected<Response, boost::system::error_code> Client::request(Request req) {
  if (impl_->closed) {
    return impl_->connect_error ? impl_->connect_error
                                : make_error_code(asio::error::not_connected);
  }
  if (req.find(Field::host) == req.end()) {
    req.set(Field::host, impl_->host);
  }
  req.prepare_payload();
  boost::system::error_code ec = impl_->run([&](auto handler) {
    if (impl_->tls) {
      bhttp::async_write(*impl_->tls, req, handler);
    } else {
      bhttp::async_write(*impl_->plain, req, handler);
    }
  });
  if (ec) {
    impl_->closed = true;
    return ec;
  }
  return read_response(req.method() == Verb::head);
}

Expected<Response, boost::system::error_code> Client::request(Verb method, std::string target,
                                                             std::string body,
                                                             std::string content_type) {
  Request req{method, target, 11};
  if (!content_type.empty()) {
    req.set(Field::content_type, content_type);
  }
  req.body() = std::move(body);
  req.keep_alive(true);
  return request(std::move(req));
}

Expected<Response, boost::system::error_code> Client::raw(const std::string& bytes) {
  if (impl_->closed) {
    return make_error_code(asio::error::not_connected);
  }
  boost::system::error_code ec;
  if (!bytes.empty()) {
    ec = impl_->run([&](auto handler) {
      if (impl_->tls) {
        asio::async_write(*impl_->tls, asio::buffer(bytes), handler);
      } else {
        asio::async_write(*impl_->plain, asio::buffer(bytes), handler);
      }
    });
    if (ec) {
      impl_->closed = true;
      return ec;
    }
  }
  return read_response(false);
}

Expected<Response, boost::system::error_code> Client::read_response(bool head) {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  parser.skip(head);  // A HEAD answer has Content-Length but no body (RFC 9110 §9.3.2).
  boost::system::error_code ec;
  ec = impl_->run([&](auto handler) {
    if (impl_->tls) {
      bhttp::async_read(*impl_->tls, impl_->buffer, parser, handler);
    } else {
      bhttp::async_read(*impl_->plain, impl_->buffer, parser, handler);
    }
  });
  if (ec) {
    impl_->closed = true;
    return ec;
  }
  Response res = parser.release();
  if (!res.keep_alive()) {
    impl_->closed = true;
  }
  return res;
}

}  // namespace wimpu::http
