#include "wimpu/admin/admin_server.hpp"

#include <boost/asio/executor_work_guard.hpp>

#include "wimpu/admin/prometheus.hpp"
#include "wimpu/common/counter.hpp"

namespace wimpu::admin {
namespace {

using http::Field;
using http::Request;
using http::RequestInfo;
using http::Response;
using http::Status;
using http::Verb;

Response text(const Request& req, Status status, std::string body,
              const char* type = "text/plain; charset=utf-8") {
  Response res = http::make_response(req, status);
  res.set(Field::content_type, type);
  res.set(Field::cache_control, "no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

}  // namespace

AdminServer::AdminServer(AdminOptions options)
    : options_(std::move(options)), router_(std::make_shared<http::Router>()) {
  router_->add(Verb::get, "/livez", [](const Request& req, const RequestInfo&) {
    return text(req, Status::ok, "ok\n");
  });
  router_->add(Verb::get, "/readyz", [this](const Request& req, const RequestInfo&) {
    std::vector<std::string> why = ready_check_ ? ready_check_() : std::vector<std::string>{};
    if (why.empty()) {
      return text(req, Status::ok, "ready\n");
    }
    common::counter("admin.not_ready").inc();
    std::string body;
    for (const std::string& w : why) {
      body += w + "\n";
    }
    return text(req, Status::service_unavailable, std::move(body));
  });
  router_->add(Verb::get, "/metrics", [](const Request& req, const RequestInfo&) {
    return text(req, Status::ok, render_process_metrics(), kPrometheusContentType);
  });
}

AdminServer::~AdminServer() { stop(); }

Expected<void, std::string> AdminServer::start() {
  http::ServerOptions so;
  so.address = options_.address;
  so.port = options_.port;
  so.body_limit = 64 * 1024;
  // One thread runs the io_context: no strand hop needed (libs/http ServerOptions).
  so.strand_per_connection = false;
  server_ = std::make_unique<http::Server>(io_, so, router_, nullptr);
  if (auto r = server_->start(); !r) {
    common::counter("admin.bind_failed").inc();
    const std::string why = "admin: cannot listen on " + options_.address + ":" +
                            std::to_string(options_.port) + ": " + r.error().message();
    server_.reset();
    return why;
  }
  thread_ = std::thread([this] {
    auto guard = boost::asio::make_work_guard(io_);
    io_.run();
  });
  return {};
}

std::uint16_t AdminServer::port() const { return server_ ? server_->port() : 0; }

void AdminServer::stop() {
  if (server_) {
    server_->stop();
  }
  io_.stop();
  if (thread_.joinable()) {
    thread_.join();
  }
  server_.reset();
}

}  // namespace wimpu::admin
