#include "wimpu/example_proxy/server.hpp"

#include <algorithm>
#include <stdexcept>

#include "shard_stack.hpp"
#include "wimpu/example_proxy/static_routes.hpp"

namespace wimpu::example_proxy {
namespace {

// RFC 7118 §7 / App. A.1: only pages from allowed origins may open SIP WebSockets to us.
transport::WsHandshakeHook origin_hook(std::vector<std::string> allowed) {
  if (allowed.empty()) {
    return {};
  }
  return [allowed = std::move(allowed)](const transport::WsHandshakeRequest& req) {
    const bool ok = std::find(allowed.begin(), allowed.end(), req.origin) != allowed.end();
    return ok ? transport::WsHandshakeDecision::accept()
              : transport::WsHandshakeDecision::forbidden();
  };
}

std::string uri_host(const boost::asio::ip::address& a) {
  return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
}

}  // namespace

Server::Server(ExampleConfig config) : config_(std::move(config)) {}

Server::~Server() { stop(); }

void Server::start() {
  pool_ = std::make_unique<transport::ShardPool>(config_.shards);
  auto t = transport::NetTransport::create(*pool_, config_.transport);
  if (!t) {
    throw std::runtime_error("example-proxy: " + t.error().message);
  }
  transport_ = std::move(*t);

  proxy::ProxyConfig pc;
  for (const transport::ListenerInfo& l : transport_->listeners()) {
    pc.interfaces.push_back(
        proxy::Interface{l.protocol, uri_host(l.local.address), l.local.port, l.id});
  }
  pc.domains = config_.domains;
  pc.record_route = config_.record_route;
  pc.timer_c = config_.timer_c;
  policy_ = std::make_unique<StaticRoutePolicy>(config_.routes);

  // The stacks are built here but live on their shards from pool start on: nothing touches
  // them from this thread again until the pool is joined.
  for (transport::ShardId s = 0; s < pool_->size(); ++s) {
    stacks_.push_back(std::make_unique<ShardStack>(s, *pool_, *transport_, config_.timers,
                                                   config_.expected_transactions, *policy_, pc,
                                                   stacks_));
  }
  transport_->start([this](transport::ShardId s) -> transport::MessageSink& { return *stacks_[s]; },
                    origin_hook(config_.allowed_origins));
  pool_->start();
  running_ = true;
}

void Server::stop() {
  if (!running_) {
    return;
  }
  running_ = false;
  transport_->stop();
  // Transactions keep timers armed for up to 64*T1: stop the shards now rather than drain them.
  pool_->stop_now();
  pool_->join();
  stacks_.clear();
  transport_.reset();
  pool_.reset();
}

const std::vector<transport::ListenerInfo>& Server::listeners() const {
  return transport_->listeners();
}

}  // namespace wimpu::example_proxy
