#include "wimpu/example_proxy/server.hpp"

#include <algorithm>
#include <stdexcept>

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

}  // namespace

Server::Server(ExampleConfig config) : config_(std::move(config)) {}

Server::~Server() { stop(); }

void Server::start() {
  cscf_node::SipNodeConfig nc = config_.node;
  nc.ws_handshake = origin_hook(config_.allowed_origins);
  // One policy per shard: the routes are copied, so no shard reads another's memory.
  node_ = std::make_unique<cscf_node::SipNode>(
      std::move(nc), [this](transport::ShardId, boost::asio::any_io_executor) {
        return cscf_node::ShardPolicy{std::make_unique<StaticRoutePolicy>(config_.routes), {}};
      });
  node_->start();
}

void Server::stop() {
  if (node_) {
    node_->stop();
  }
}

const std::vector<transport::ListenerInfo>& Server::listeners() const {
  return node_->listeners();
}

}  // namespace wimpu::example_proxy
