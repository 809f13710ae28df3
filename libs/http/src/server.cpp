#include "wimpu/http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdio>
#include <exception>

#include "wimpu/common/counter.hpp"

namespace wimpu::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using asio::as_tuple;
using asio::use_awaitable;

struct Server::Shared {
  ServerOptions options;
  std::shared_ptr<const Router> router;
  std::shared_ptr<asio::ssl::context> tls;
  ResponseHook hook;
  std::unique_ptr<tcp::acceptor> acceptor;
};

namespace {

// co_spawn completion: a session or the accept loop must never throw; if one does, that is a bug
// in a handler, logged and counted while the server keeps serving everyone else.
void log_coroutine_end(std::exception_ptr e, const char* what) {
  if (!e) {
    return;
  }
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    common::counter("http.coroutine.exception").inc();
    std::fprintf(stderr, "wimpu::http %s ended with exception: %s\n", what, ex.what());
  }
}

Response error_response(unsigned version, Status status, const char* text) {
  Response res{status, version};
  res.set(Field::content_type, "text/plain; charset=utf-8");
  res.body() = text;
  res.keep_alive(false);
  return res;
}

// Maps a request read error to the answer owed to the client (RFC 9110 §15.5), or none when the
// connection just went away.
std::optional<Response> answer_for_read_error(const beast::error_code& ec) {
  if (ec == bhttp::error::body_limit) {
    common::counter("http.request.body_too_large").inc();
    return error_response(11, Status::payload_too_large, "request body too large\n");
  }
  if (ec == bhttp::error::header_limit) {
    common::counter("http.request.header_too_large").inc();
    return error_response(11, Status::request_header_fields_too_large, "header too large\n");
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::body_limit).category() && ec != bhttp::error::end_of_stream &&
      ec != bhttp::error::partial_message) {
    common::counter("http.request.malformed").inc();
    return error_response(11, Status::bad_request, "malformed request\n");
  }
  if (ec == beast::error::timeout) {
    common::counter("http.connection.timeout").inc();
  } else if (ec != bhttp::error::end_of_stream) {
    common::counter("http.connection.read_error").inc();
  }
  return std::nullopt;
}

// The answer when no route matches: 405 with Allow when the path exists, else 404.
Response unrouted(const Request& req, const RouteMatch& m) {
  if (m.path_known) {
    common::counter("http.request.method_not_allowed").inc();
    Response res = make_response(req, Status::method_not_allowed);
    res.set(Field::allow, m.allow);
    return res;
  }
  common::counter("http.request.not_found").inc();
  Response res = make_response(req, Status::not_found);
  res.set(Field::content_type, "text/plain; charset=utf-8");
  res.body() = "not found\n";
  return res;
}

// One connection. The stream lives in this coroutine's frame; everything it touches through
// `shared` is kept alive by the shared_ptr parameter (by value, STYLE.md coroutine hygiene).
template <class Stream>
asio::awaitable<void> serve_requests(Stream& stream, std::shared_ptr<const Server::Shared> shared,
                                     RequestInfo info) {
  const ServerOptions& opt = shared->options;
  beast::flat_buffer buffer;
  for (unsigned count = 0;; ++count) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opt.header_limit));
    parser.body_limit(opt.body_limit);
    // The first request gets the read timeout; later ones may idle for the keep-alive time.
    beast::get_lowest_layer(stream).expires_after(count == 0 ? opt.read_timeout
                                                             : opt.idle_timeout);
    auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, as_tuple(use_awaitable));
    if (rec) {
      if (auto answer = answer_for_read_error(rec)) {
        answer->prepare_payload();
        beast::get_lowest_layer(stream).expires_after(opt.write_timeout);
        co_await bhttp::async_write(stream, *answer, as_tuple(use_awaitable));
      }
      co_return;
    }
    Request req = parser.release();
    const bool head = req.method() == Verb::head;
    const bool keep_alive = req.keep_alive() && count + 1 < opt.max_requests_per_connection;
    // Sync handlers (the hot token path) run inline on the request; only coroutine handlers take
    // the request by value, and then the hook sees a copy of the headers.
    const RouteMatch m = shared->router->find(req.method(), target_path(req.target()));
    Request hook_view;
    Response res;
    if (m.route == nullptr) {
      res = unrouted(req, m);
    } else if (m.route->sync) {
      res = m.route->sync(req, info);
    } else {
      if (shared->hook) {
        hook_view.base() = req.base();
      }
      res = co_await m.route->async(std::move(req), info);
    }
    const Request& seen = (m.route != nullptr && !m.route->sync) ? hook_view : req;
    for (const auto& [name, value] : opt.default_headers) {
      if (res.find(name) == res.end()) {
        res.set(name, value);
      }
    }
    if (shared->hook) {
      shared->hook(seen, info, res);
    }
    res.keep_alive(keep_alive && res.keep_alive());
    res.prepare_payload();
    if (head) {
      res.body().clear();  // Content-Length stays that of the GET answer (RFC 9110 §9.3.2).
    }
    beast::get_lowest_layer(stream).expires_after(opt.write_timeout);
    auto [wec, wn] = co_await bhttp::async_write(stream, res, as_tuple(use_awaitable));
    if (wec) {
      common::counter("http.connection.write_error").inc();
      co_return;
    }
    if (!res.keep_alive()) {
      co_return;
    }
  }
}

asio::awaitable<void> run_plain(tcp::socket socket, std::shared_ptr<const Server::Shared> shared,
                                RequestInfo info) {
  beast::tcp_stream stream(std::move(socket));
  co_await serve_requests(stream, shared, info);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> run_tls(tcp::socket socket, std::shared_ptr<const Server::Shared> shared,
                              RequestInfo info) {
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)),
                                              *shared->tls);
  beast::get_lowest_layer(stream).expires_after(shared->options.handshake_timeout);
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server,
                                               as_tuple(use_awaitable));
  if (hec) {
    common::counter("http.tls.handshake_failed").inc();
    co_return;
  }
  co_await serve_requests(stream, shared, info);
  // Close notify, bounded by the write timeout; a peer that already left is fine.
  beast::get_lowest_layer(stream).expires_after(shared->options.write_timeout);
  co_await stream.async_shutdown(as_tuple(use_awaitable));
}

asio::awaitable<void> accept_loop(std::shared_ptr<Server::Shared> shared) {
  tcp::acceptor& acceptor = *shared->acceptor;
  for (;;) {
    // A strand per connection when several threads run the io_context; with one thread the
    // io_context already serialises everything and a strand would only add a hop per handler.
    // (No co_await inside ?: — GCC 12 miscompiles that.)
    boost::system::error_code ec;
    tcp::socket socket(acceptor.get_executor());
    if (shared->options.strand_per_connection) {
      std::tie(ec, socket) = co_await acceptor.async_accept(
          asio::make_strand(acceptor.get_executor()), as_tuple(use_awaitable));
    } else {
      std::tie(ec, socket) = co_await acceptor.async_accept(as_tuple(use_awaitable));
    }
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
        co_return;
      }
      common::counter("http.accept.error").inc();
      continue;  // EMFILE and friends: keep listening.
    }
    common::counter("http.connection.accepted").inc();
    RequestInfo info;
    beast::error_code rec;
    const auto remote = socket.remote_endpoint(rec);
    if (rec) {
      common::counter("http.connection.no_peer").inc();
      continue;
    }
    info.remote_address = remote.address();
    info.remote_port = remote.port();
    info.secure = shared->tls != nullptr;
    auto executor = socket.get_executor();
    std::shared_ptr<const Server::Shared> cshared = shared;
    if (shared->tls) {
      asio::co_spawn(executor, run_tls(std::move(socket), cshared, info),
                     [](std::exception_ptr e) { log_coroutine_end(e, "tls session"); });
    } else {
      asio::co_spawn(executor, run_plain(std::move(socket), cshared, info),
                     [](std::exception_ptr e) { log_coroutine_end(e, "session"); });
    }
  }
}

}  // namespace

Server::Server(asio::io_context& ioc, ServerOptions options, std::shared_ptr<const Router> router,
               std::shared_ptr<asio::ssl::context> tls, ResponseHook hook)
    : ioc_(ioc), shared_(std::make_shared<Shared>()) {
  shared_->options = std::move(options);
  shared_->router = std::move(router);
  shared_->tls = std::move(tls);
  shared_->hook = std::move(hook);
}

Server::~Server() { stop(); }

Expected<void, boost::system::error_code> Server::start() {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(shared_->options.address, ec);
  if (ec) {
    return ec;
  }
  auto acceptor = std::make_unique<tcp::acceptor>(ioc_);
  const tcp::endpoint endpoint(address, shared_->options.port);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor->bind(endpoint, ec);
  }
  if (!ec) {
    acceptor->listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return ec;
  }
  port_ = acceptor->local_endpoint().port();
  shared_->acceptor = std::move(acceptor);
  asio::co_spawn(ioc_, accept_loop(shared_),
                 [](std::exception_ptr e) { log_coroutine_end(e, "accept loop"); });
  return {};
}

void Server::stop() {
  if (!shared_->acceptor) {
    return;
  }
  asio::post(ioc_, [shared = shared_] {
    if (shared->acceptor) {
      boost::system::error_code ec;
      shared->acceptor->close(ec);
    }
  });
}

}  // namespace wimpu::http
