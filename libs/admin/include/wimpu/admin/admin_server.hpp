#pragma once
// The per-process admin endpoint (issue 7): plain HTTP on loopback by default, on its own
// io_context and thread (the main thread owns signals and reload, STYLE.md "Threading"), served by
// libs/http. Built-in routes:
//   GET /livez    200 "ok" while the admin thread runs (the process is not wedged)
//   GET /readyz   200 "ready", or 503 with one reason per line from the readiness check
//   GET /metrics  Prometheus text format: every counter and histogram (prometheus.hpp)
// Callers add their JSON routes (registrar_routes.hpp, wimpud's user routes) before start().
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>

#include "wimpu/common/expected.hpp"
#include "wimpu/http/router.hpp"
#include "wimpu/http/server.hpp"

namespace wimpu::admin {

/// Where the admin endpoint listens. Loopback by default: the routes change state (kick, users)
/// and carry no authentication, so exposing them is a deliberate act.
struct AdminOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0: any free port, read back with AdminServer::port()
};

/// Reasons the process is not ready; empty means ready. Called on the admin thread: must be
/// thread-safe and must not block.
using ReadyCheck = std::function<std::vector<std::string>()>;

/// Lifecycle (one thread): AdminServer a(options); a.router().add(...); a.start(); ... a.stop().
class AdminServer {
public:
  explicit AdminServer(AdminOptions options);
  /// Calls stop().
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  /// The routing table; add routes before start(). /livez, /readyz and /metrics are pre-set.
  http::Router& router() { return *router_; }
  /// Replaces the readiness check (default: always ready). Before start().
  void set_ready_check(ReadyCheck check) { ready_check_ = std::move(check); }

  /// Binds the listener and starts the admin thread. The error names the address and the cause.
  Expected<void, std::string> start();
  /// The bound port (after start()).
  std::uint16_t port() const;
  /// The admin io_context's executor: route coroutines run here.
  boost::asio::any_io_executor executor() { return io_.get_executor(); }
  /// Stops accepting, stops the io_context, joins the thread. Idempotent.
  void stop();

private:
  AdminOptions options_;
  boost::asio::io_context io_{1};
  std::shared_ptr<http::Router> router_;
  ReadyCheck ready_check_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
};

}  // namespace wimpu::admin
