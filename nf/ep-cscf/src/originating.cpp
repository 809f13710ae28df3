// Originating requests from WICs (issue 5; seed TR §5.2.2.3.2; TS 24.229 §5.2.6.3): only on a
// flow registered in W4, with the asserted identity set by us, routed via the block's
// Service-Route, Record-Routed with the flow token (RFC 5626 §5.3).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "wimpu/common/counter.hpp"
#include "wimpu/ep_cscf/policy.hpp"
#include "wimpu/sip/header_values.hpp"

namespace wimpu::ep_cscf {

using proxy::Decision;

namespace {

common::Counter& count(std::string_view what) {
  return common::counter("ep_cscf.orig." + std::string(what));
}

// Looked up once, not per request (count() builds the name and takes the registry lock); the
// same for every counter of the file, hot or not (libs/transaction's detail::Counters likewise).
struct OrigCounters {
  common::Counter& not_registered = count("not_registered");
  common::Counter& stale = count("stale");
  common::Counter& w4_error = count("w4_error");
  common::Counter& ppi_ignored = count("ppi_ignored");
  common::Counter& bundle_stripped = count("bundle_stripped");
  common::Counter& edit_error = count("edit_error");
  common::Counter& forwarded = count("forwarded");
};

OrigCounters& counters() {
  static OrigCounters c;
  return c;
}

bool is_sdp(const sip::Message& m) {
  auto ct = sip::content_type(m);
  return ct && *ct && sip::escaped_iequal((*ct)->type, "application") &&
         sip::escaped_iequal((*ct)->subtype, "sdp");
}

}  // namespace

std::string EpCscfPolicy::strip_bundle(std::string_view sdp) const {
  // TS 23.228 Annex U.1.1: drop the BUNDLE group so that a core without RFC 8843 support sees
  // one transport per m-line.
  std::string out;
  out.reserve(sdp.size());
  while (!sdp.empty()) {
    std::size_t end = sdp.find('\n');
    std::string_view line = sdp.substr(0, end == std::string_view::npos ? sdp.size() : end + 1);
    sdp.remove_prefix(line.size());
    if (!line.starts_with("a=group:BUNDLE")) {
      out.append(line);
    }
  }
  return out;
}

std::vector<std::string> EpCscfPolicy::originating_routes(const WimpuDomain& d) const {
  if (auto learned = rt_->blocks.service_route(d.block.id); !learned.empty()) {
    return learned;  // the 200 OK of the block registration (seed 5.2.2.5.1)
  }
  if (!d.service_route.empty()) {
    return d.service_route;
  }
  if (!d.upstream_icscf.empty()) {
    return {"<" + d.upstream_icscf + ">"};
  }
  return {};
}

Decision EpCscfPolicy::on_originating(proxy::RequestContext& ctx) {
  const std::string token = cached_flow_token(ctx.source().flow);
  auto it = wic_flows_.find(token);
  if (it == wic_flows_.end()) {
    // Seed 5.2.2.3.2: validate the registration status first.
    counters().not_registered.inc();
    if (ctx.is_ack()) {
      return Decision::respond(403);  // dropped: an ACK is never answered
    }
    return Decision::respond(403, "Not Registered");
  }
  spawn_after_return(run_originating(ctx.id(), token, it->second));
  return Decision::wait();
}

boost::asio::awaitable<void> EpCscfPolicy::run_originating(proxy::ContextId id, std::string token,
                                                           WicFlow flow) {
  std::string impu = flow.impu;
  auto b = co_await w4_.lookup(std::move(impu));
  proxy::RequestContext* ctx = proxy_->find(id);
  if (ctx == nullptr) {
    counters().stale.inc();
    co_return;
  }
  if (!b) {
    counters().w4_error.inc();
    proxy_->resume(id, Decision::respond(b.error() == registrar::W4Error::kUnavailable ? 503 : 500));
    co_return;
  }
  // The contact on this very flow must still be live (expiry, de-registration elsewhere).
  bool live = false;
  for (const registrar::ContactView& c : b->contacts) {
    live = live || c.info.flow_token == token;
  }
  if (!live) {
    counters().not_registered.inc();
    wic_flows_.erase(token);
    proxy_->resume(id, Decision::respond(403, "Not Registered"));
    co_return;
  }
  const sip::Message& req = ctx->request();
  sip::MessageEditor& ed = ctx->editor();
  // RFC 3325 §9.1 / TS 24.229 §5.2.6.3.1: the WIC's P-Preferred-Identity is honoured only when
  // it names one of its own identities; what the WIC asserted itself never passes.
  std::string asserted = b->impu;
  if (auto ppi = sip::first_name_addr(req, sip::HeaderId::kPPreferredIdentity); ppi && *ppi) {
    const std::string_view wanted = (*ppi)->uri.text;
    if (wanted == b->impu) {
      asserted = b->impu;
    } else {
      bool alias = false;
      for (const std::string& a : b->aliases) {
        if (wanted == a) {
          asserted = a;
          alias = true;
        }
      }
      if (!alias) {
        counters().ppi_ignored.inc();
      }
    }
  }
  bool ok = static_cast<bool>(ed.remove_headers(sip::HeaderId::kPPreferredIdentity));
  ok = ok && static_cast<bool>(ed.remove_headers(sip::HeaderId::kPAssertedIdentity));
  ok = ok && static_cast<bool>(ed.add_header(sip::HeaderId::kPAssertedIdentity, "<" + asserted + ">"));
  if (rt_->config.strip_bundle && is_sdp(req) &&
      req.body().find("a=group:BUNDLE") != std::string_view::npos) {
    counters().bundle_stripped.inc();
    ok = ok && static_cast<bool>(ed.set_body(req.header_value(sip::HeaderId::kContentType),
                                             strip_bundle(req.body())));
  }
  if (!ok) {
    counters().edit_error.inc();
    proxy_->resume(id, Decision::respond(500));
    co_return;
  }
  // RFC 5626 §5.3: our Record-Route names the flow, so the core's in-dialog requests come back
  // down this WebSocket.
  ctx->set_record_route_user(token);
  if (!ctx->is_ack() && req.to_tag().empty() && !ctx->has_remaining_route()) {
    // An initial request: TS 24.229 §5.2.6.3.2, the Service-Route of the registration.
    proxy::Target t;
    t.routes = originating_routes(*flow.domain);
    if (!t.routes.empty()) {
      ctx->add_target(std::move(t));
    }
  }
  counters().forwarded.inc();
  proxy_->resume(id, Decision::proceed());
}

}  // namespace wimpu::ep_cscf
