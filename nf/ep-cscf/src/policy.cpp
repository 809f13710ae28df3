// Request dispatch of the eP-CSCF policy: which requests are WIC registrations, which are
// originating or terminating (issue 5).
#include "wimpu/ep_cscf/policy.hpp"

#include "wimpu/common/counter.hpp"
#include "wimpu/sip/uri.hpp"

namespace wimpu::ep_cscf {

using proxy::Decision;

EpCscfPolicy::EpCscfPolicy(RuntimePtr runtime, registrar::W4& w4,
                           std::unique_ptr<token::Verifier> verifier,
                           transport::Transport& transport, boost::asio::any_io_executor shard)
    : rt_(std::move(runtime)),
      w4_(w4),
      verifier_(std::move(verifier)),
      transport_(transport),
      shard_(std::move(shard)) {}

EpCscfPolicy::~EpCscfPolicy() = default;

const WimpuDomain* EpCscfPolicy::wimpu_domain(std::string_view host) const {
  for (const WimpuDomain& d : rt_->config.domains) {
    if (sip::escaped_iequal(d.domain, host)) {
      return &d;
    }
  }
  return nullptr;
}

std::string EpCscfPolicy::service_route(transaction::ListenerId listener) const {
  // G-12: the WIC pre-loads this Route, so its originating requests come back to us on the same
  // kind of listener; "orig" marks the originating side (TS 24.229 §5.2.2).
  const transport::ListenerInfo* l = nullptr;
  for (const auto& li : rt_->listeners) {
    if (li.id == listener) {
      l = &li;
    }
  }
  if (l == nullptr) {
    l = &rt_->listeners.front();
  }
  const std::string host = !rt_->config.host.empty() ? rt_->config.host
                           : l->local.address.is_v6()
                               ? "[" + l->local.address.to_string() + "]"
                               : l->local.address.to_string();
  std::string out = "<sip:orig@" + host + ":" + std::to_string(l->local.port);
  if (transport::is_websocket(l->protocol)) {
    out += transport::is_secure(l->protocol) ? ";transport=wss" : ";transport=ws";
  }
  return out + ";lr>";
}

Decision EpCscfPolicy::on_request(proxy::RequestContext& ctx) {
  const sip::Message& req = ctx.request();
  const bool from_wic = transport::is_websocket(ctx.source().protocol);
  if (req.method() == sip::Method::kRegister && from_wic) {
    const WimpuDomain* d = wimpu_domain(req.request_uri().host);
    if (d != nullptr) {
      return on_wic_register(ctx, *d);
    }
  }
  if (from_wic && !ctx.is_ack()) {
    // Originating requests are not handled yet: refuse rather than pass them unchecked.
    common::counter("ep_cscf.orig.refused").inc();
    return Decision::respond(403, "Not Registered");
  }
  return Decision::proceed();
}

}  // namespace wimpu::ep_cscf
