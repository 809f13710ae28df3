// Request dispatch of the eP-CSCF policy: which requests are WIC registrations, which are
// originating or terminating (issue 5).
#include "wimpu/ep_cscf/policy.hpp"

#include "pending_register.hpp"

#include "wimpu/common/counter.hpp"
#include "wimpu/sip/header_values.hpp"
#include "wimpu/sip/uri.hpp"

namespace wimpu::ep_cscf {

using proxy::Decision;

EpCscfPolicy::EpCscfPolicy(RuntimePtr runtime, registrar::W4& w4,
                           std::unique_ptr<token::Verifier> verifier, TrustPtr trust,
                           transport::Transport& transport, boost::asio::any_io_executor shard)
    : rt_(std::move(runtime)),
      w4_(w4),
      verifier_(std::move(verifier)),
      trust_(std::move(trust)),
      transport_(transport),
      shard_(std::move(shard)) {}

EpCscfPolicy::~EpCscfPolicy() = default;

void EpCscfPolicy::set_trust(std::unique_ptr<token::Verifier> verifier, TrustPtr trust) {
  retired_verifier_ = std::move(verifier_);
  verifier_ = std::move(verifier);
  trust_ = std::move(trust);
}

const WimpuDomain* EpCscfPolicy::wimpu_domain(std::string_view host) const {
  for (const WimpuDomain& d : rt_->config.domains) {
    if (sip::escaped_iequal(d.domain, host)) {
      return &d;
    }
  }
  return nullptr;
}

std::string EpCscfPolicy::host_port(const transport::ListenerInfo& l) const {
  const std::string host = !rt_->config.host.empty() ? rt_->config.host
                           : l.local.address.is_v6()
                               ? "[" + l.local.address.to_string() + "]"
                               : l.local.address.to_string();
  return host + ":" + std::to_string(l.local.port);
}

namespace {

const transport::ListenerInfo& listener_of(const std::vector<transport::ListenerInfo>& ls,
                                           transaction::ListenerId id) {
  for (const auto& li : ls) {
    if (li.id == id) {
      return li;
    }
  }
  return ls.front();
}

std::string transport_param(transport::Protocol p) {
  switch (p) {
    case transport::Protocol::kWs: return ";transport=ws";
    case transport::Protocol::kWss: return ";transport=wss";
    case transport::Protocol::kTcp: return ";transport=tcp";
    case transport::Protocol::kTls: return ";transport=tls";
    default: return "";
  }
}

}  // namespace

const EpCscfPolicy::ListenerText& EpCscfPolicy::listener_text(
    transaction::ListenerId listener) const {
  for (const ListenerText& t : listener_text_) {
    if (t.id == listener) {
      return t;
    }
  }
  const transport::ListenerInfo& l = listener_of(rt_->listeners, listener);
  const std::string hp = host_port(l);
  ListenerText t;
  t.id = listener;
  // G-12: the WIC pre-loads this Route, so its originating requests come back to us on the same
  // kind of listener; "orig" marks the originating side (TS 24.229 §5.2.2).
  t.service_route = "<sip:orig@" + hp;
  if (transport::is_websocket(l.protocol)) {
    t.service_route += transport_param(l.protocol);
  }
  t.service_route += ";lr>";
  t.flow_uri_suffix = "@" + hp + transport_param(l.protocol) + ";lr>";
  return listener_text_.emplace_back(std::move(t));
}

std::string EpCscfPolicy::service_route(transaction::ListenerId listener) const {
  return listener_text(listener).service_route;
}

std::string EpCscfPolicy::flow_uri(std::string_view token, transaction::ListenerId listener) const {
  std::string out;
  flow_uri_into(token, listener, out);
  return out;
}

void EpCscfPolicy::flow_uri_into(std::string_view token, transaction::ListenerId listener,
                                 std::string& out) const {
  const std::string& suffix = listener_text(listener).flow_uri_suffix;
  out.clear();
  out.reserve(5 + token.size() + suffix.size());
  out += "<sip:";
  out += token;
  out += suffix;
}

Decision EpCscfPolicy::on_request(proxy::RequestContext& ctx) {
  const sip::Message& req = ctx.request();
  const bool from_wic = transport::is_websocket(ctx.source().protocol);
  if (req.method() == sip::Method::kRegister) {
    const WimpuDomain* d = wimpu_domain(req.request_uri().host);
    if (d != nullptr && from_wic) {
      return on_wic_register(ctx, *d);
    }
    if (d != nullptr) {
      // wIMPU registrations come from WICs only (seed 5.2.2.5.2: over a WebSocket).
      common::counter("ep_cscf.register.not_websocket").inc();
      return Decision::respond(403, "WebSocket Required");
    }
    if (d == nullptr && !ctx.has_remaining_route()) {
      // A UE of another domain: the standard P-CSCF role (TS 24.229 §5.2.2).
      return on_standard_register(ctx);
    }
  }
  if (!std_flows_.empty() && ctx.source().flow.valid()) {
    // A UE registered through the standard role (its UDP 5-tuple became a flow at REGISTER).
    const std::string token = cached_flow_token(ctx.source().flow);
    if (auto it = std_flows_.find(token); it != std_flows_.end()) {
      return on_standard_originating(ctx, it->second, token);
    }
  }
  if (from_wic) {
    // Every request of a WIC, in-dialog ones and the ACK included, is originating.
    return on_originating(ctx);
  }
  // From the IMS core. A Route we put in a Record-Route names the WIC flow (in-dialog).
  if (auto d = route_by_flow_token(ctx)) {
    return std::move(*d);
  }
  if (!ctx.is_ack() && req.to_tag().empty() && req.method() != sip::Method::kRegister) {
    // TS 24.229 §5.2.6.4: the called IMPU is in P-Called-Party-ID (the S-CSCF retargeted the
    // Request-URI to the registered contact), else the Request-URI.
    auto pcpi = sip::first_name_addr(req, sip::HeaderId::kPCalledPartyId);
    const sip::Uri* called = pcpi && *pcpi ? &(*pcpi)->uri : &req.request_uri();
    if (wimpu_domain(called->host) != nullptr) {
      return on_terminating(ctx, std::string(called->text));
    }
  }
  return Decision::proceed();
}

}  // namespace wimpu::ep_cscf
