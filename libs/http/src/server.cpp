#include "wimpu/http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <algorithm>
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
  if (ec.category() == bhttp::make_error_code(bhttp::error::body_limit).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    common::counter("http.request.malformed").inc();
    return error_response(11, Status::bad_request, "malformed request\n");
  }
  if (ec != bhttp::error::end_of_stream) {
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

// Per-connection deadline. Arming an Asio timer for every read and write (what beast::tcp_stream
// does) costs a timer-queue insert and a cancelled handler per operation; instead the session
// only moves `at`, and one watchdog coroutine per connection wakes at the earlier of `at` and one
// `period` from now (the shortest configured timeout), and closes the socket once `at` has
// passed. A deadline moved earlier is therefore enforced up to one period late.
struct Deadline {
  Deadline(const asio::any_io_executor& ex, std::chrono::milliseconds p) : timer(ex), period(p) {}
  asio::steady_timer timer;
  std::chrono::milliseconds period;
  std::chrono::steady_clock::time_point at;
  bool expired = false;
  bool done = false;
  void set(std::chrono::milliseconds d) { at = std::chrono::steady_clock::now() + d; }
};

asio::awaitable<void> watchdog(std::shared_ptr<Deadline> deadline, tcp::socket* socket) {
  for (;;) {
    deadline->timer.expires_at(
        std::min(deadline->at, std::chrono::steady_clock::now() + deadline->period));
    co_await deadline->timer.async_wait(as_tuple(use_awaitable));
    if (deadline->done) {
      co_return;  // The session ended (and cancelled us); `socket` may be gone.
    }
    if (std::chrono::steady_clock::now() >= deadline->at) {
      deadline->expired = true;
      common::counter("http.connection.timeout").inc();
      boost::system::error_code ec;
      socket->close(ec);  // Pending reads/writes complete with an error; the session ends.
      co_return;
    }
  }
}

// The watchdog period: the shortest timeout, so none is overrun by more than itself.
std::chrono::milliseconds watchdog_period(const ServerOptions& o) {
  return std::max(std::chrono::milliseconds(1),
                  std::min({o.handshake_timeout, o.read_timeout, o.idle_timeout, o.write_timeout}));
}

// Ends the watchdog before the socket it points to goes away.
struct WatchdogStop {
  std::shared_ptr<Deadline> deadline;
  ~WatchdogStop() {
    deadline->done = true;
    deadline->timer.cancel();
  }
};

// Serialises `res` (status line, fields, the `defaults` it does not set itself, body) into `out`:
// one buffer, so a TLS session sends the whole answer as one record and one sendmsg. Defaults
// are written here rather than set() into every Response: that saved an allocated field element
// per default header per request (five on the WWSF's token path).
void serialize_response(const Response& res, bool head, std::string& out,
                        const std::vector<std::pair<std::string, std::string>>& defaults = {}) {
  out.clear();
  out.reserve(1024 + res.body().size());
  out += res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(res.result_int());
  out += ' ';
  const auto reason = res.reason();
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (const auto& f : res) {
    const auto name = f.name_string();
    const auto value = f.value();
    out.append(name.data(), name.size());
    out += ": ";
    out.append(value.data(), value.size());
    out += "\r\n";
  }
  for (const auto& [name, value] : defaults) {
    if (res.find(name) == res.end()) {
      out += name;
      out += ": ";
      out += value;
      out += "\r\n";
    }
  }
  out += "\r\n";
  if (!head) {
    out += res.body();  // HEAD: Content-Length stays that of the GET answer (RFC 9110 §9.3.2).
  }
}

// One connection's request loop over `stream` (a socket or a TLS stream on it).
template <class Stream>
asio::awaitable<void> serve_requests(Stream& stream, Deadline& deadline,
                                     std::shared_ptr<const Server::Shared> shared,
                                     RequestInfo info) {
  const ServerOptions& opt = shared->options;
  beast::flat_buffer buffer;
  std::string wire;
  for (unsigned count = 0;; ++count) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opt.header_limit));
    parser.body_limit(opt.body_limit);
    // The first request gets the read timeout; later ones may idle for the keep-alive time.
    deadline.set(count == 0 ? opt.read_timeout : opt.idle_timeout);
    auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, as_tuple(use_awaitable));
    if (rec) {
      if (deadline.expired) {
        co_return;
      }
      if (auto answer = answer_for_read_error(rec)) {
        answer->prepare_payload();
        serialize_response(*answer, false, wire);
        deadline.set(opt.write_timeout);
        co_await asio::async_write(stream, asio::buffer(wire), as_tuple(use_awaitable));
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
    if (shared->hook) {
      shared->hook(seen, info, res);
    }
    res.keep_alive(keep_alive && res.keep_alive());
    res.prepare_payload();
    serialize_response(res, head, wire, opt.default_headers);
    deadline.set(opt.write_timeout);
    auto [wec, wn] =
        co_await asio::async_write(stream, asio::buffer(wire), as_tuple(use_awaitable));
    if (wec) {
      if (!deadline.expired) {
        common::counter("http.connection.write_error").inc();
      }
      co_return;
    }
    if (!res.keep_alive()) {
      co_return;
    }
  }
}

// The socket lives in the session coroutine's frame; the watchdog refers to it only until
// WatchdogStop (declared after the socket, so destroyed first) has stopped it. Everything else
// is kept alive by the shared_ptr parameters (by value, STYLE.md coroutine hygiene).
asio::awaitable<void> run_plain(tcp::socket socket, std::shared_ptr<const Server::Shared> shared,
                                RequestInfo info) {
  auto deadline =
      std::make_shared<Deadline>(socket.get_executor(), watchdog_period(shared->options));
  deadline->set(shared->options.read_timeout);
  asio::co_spawn(socket.get_executor(), watchdog(deadline, &socket), asio::detached);
  WatchdogStop stop{deadline};
  co_await serve_requests(socket, *deadline, shared, info);
  boost::system::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> run_tls(tcp::socket socket, std::shared_ptr<const Server::Shared> shared,
                              RequestInfo info) {
  asio::ssl::stream<tcp::socket> stream(std::move(socket), *shared->tls);
  auto deadline =
      std::make_shared<Deadline>(stream.get_executor(), watchdog_period(shared->options));
  deadline->set(shared->options.handshake_timeout);
  asio::co_spawn(stream.get_executor(), watchdog(deadline, &stream.next_layer()), asio::detached);
  WatchdogStop stop{deadline};
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server,
                                               as_tuple(use_awaitable));
  if (hec) {
    common::counter("http.tls.handshake_failed").inc();
    co_return;
  }
  co_await serve_requests(stream, *deadline, shared, info);
  // Close notify, bounded by the write timeout; a peer that already left is fine.
  deadline->set(shared->options.write_timeout);
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
    // Responses go out in one write each; never hold one back for Nagle (RFC 896).
    socket.set_option(tcp::no_delay(true), rec);
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
