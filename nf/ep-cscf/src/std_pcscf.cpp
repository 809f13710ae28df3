// The standard P-CSCF role for users of non-wIMPU domains (issue 5; TS 24.229 §5.2): REGISTER
// forwarded to the I-CSCF with our Path (RFC 3327; the S-CSCF does digest), the 200 OK's
// Service-Route and P-Associated-URI kept per flow, originating requests asserted and routed by
// them (TS 24.229 §5.2.6.3), terminating ones come back with the Path's flow token (flows.cpp).
#include "wimpu/common/counter.hpp"
#include "wimpu/ep_cscf/policy.hpp"
#include "wimpu/sip/header_values.hpp"

namespace wimpu::ep_cscf {

using proxy::Decision;

namespace {

common::Counter& count(std::string_view what) {
  return common::counter("ep_cscf.std." + std::string(what));
}

}  // namespace

transport::FlowId EpCscfPolicy::source_flow(const proxy::RequestContext& ctx) {
  const transaction::Peer& src = ctx.source();
  if (src.flow.valid() || src.protocol != transport::Protocol::kUdp) {
    return src.flow;
  }
  auto f = transport_.udp_flow(src.listener, src.remote);
  return f ? *f : transport::FlowId{};
}

bool EpCscfPolicy::assert_identity(proxy::RequestContext& ctx, const std::string& asserted) {
  sip::MessageEditor& ed = ctx.editor();
  return ed.remove_headers(sip::HeaderId::kPPreferredIdentity) &&
         ed.remove_headers(sip::HeaderId::kPAssertedIdentity) &&
         ed.add_header(sip::HeaderId::kPAssertedIdentity, "<" + asserted + ">");
}

Decision EpCscfPolicy::on_standard_register(proxy::RequestContext& ctx) {
  const std::string& upstream = rt_->config.standard.upstream_icscf;
  if (upstream.empty()) {
    count("off").inc();
    return Decision::respond(403, "Domain Not Served");
  }
  const transport::FlowId flow = source_flow(ctx);
  if (!flow.valid()) {
    count("no_flow").inc();
    return Decision::respond(500);
  }
  const std::string token = transport_.flow_token(flow);
  // RFC 3327 §5.1 / TS 24.229 §5.2.2.1: our Path names the UE's flow (RFC 5626 §5.2), and the
  // registrar must support Path.
  std::string path = flow_uri(token, ctx.source().listener);
  if (!ctx.editor().add_header(sip::HeaderId::kPath, path) ||
      !ctx.editor().add_header(sip::HeaderId::kRequire, "path")) {
    return Decision::respond(500);
  }
  proxy::Target t;
  t.routes = {"<" + upstream + ">"};
  ctx.add_target(std::move(t));
  ctx.set_record_route(false);  // REGISTER creates no dialog
  std_pending_[ctx.id()] = token;
  count("register_forwarded").inc();
  return Decision::proceed();
}

void EpCscfPolicy::on_forward_response(proxy::RequestContext& ctx, const sip::Message& response,
                                       sip::MessageEditor& editor) {
  (void)editor;
  auto it = std_pending_.find(ctx.id());
  if (it == std_pending_.end() || response.status_code() < 200 ||
      response.status_code() >= 300) {
    return;
  }
  // RFC 3608 / TS 24.229 §5.2.2.1: keep Service-Route and the associated identities of the 200.
  StdFlow f;
  if (auto sr = sip::name_addr_values(response, sip::HeaderId::kServiceRoute)) {
    for (const sip::NameAddr& v : *sr) {
      f.service_route.emplace_back(v.text);
    }
  }
  if (auto pau = sip::name_addr_values(response, sip::HeaderId::kPAssociatedUri)) {
    for (const sip::NameAddr& v : *pau) {
      f.associated.emplace_back(v.uri.text);
    }
  }
  if (response.contacts().empty() || f.associated.empty()) {
    std_flows_.erase(it->second);  // de-registered (no binding left), or nothing to assert
    count("deregistered").inc();
  } else {
    std_flows_[it->second] = std::move(f);
    count("registered").inc();
  }
}

void EpCscfPolicy::on_context_end(proxy::RequestContext& ctx) { std_pending_.erase(ctx.id()); }

Decision EpCscfPolicy::on_standard_originating(proxy::RequestContext& ctx, const StdFlow& flow,
                                               const std::string& token) {
  const sip::Message& req = ctx.request();
  // TS 24.229 §5.2.6.3.1: a P-Preferred-Identity among the registered ones is asserted, else
  // the default (first) public identity.
  std::string asserted = flow.associated.front();
  if (auto ppi = sip::first_name_addr(req, sip::HeaderId::kPPreferredIdentity); ppi && *ppi) {
    for (const std::string& a : flow.associated) {
      if (a == (*ppi)->uri.text) {
        asserted = a;
      }
    }
  }
  if (!assert_identity(ctx, asserted)) {
    return Decision::respond(500);
  }
  ctx.set_record_route_user(token);
  if (!ctx.is_ack() && req.to_tag().empty() && !ctx.has_remaining_route() &&
      !flow.service_route.empty()) {
    proxy::Target t;
    t.routes = flow.service_route;
    ctx.add_target(std::move(t));
  }
  count("originating").inc();
  return Decision::proceed();
}

}  // namespace wimpu::ep_cscf
