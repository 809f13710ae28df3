// WIC registration at the eP-CSCF: RFC 3261 §10.3 registrar steps over W4 (requirements G-01..G-14),
// with the Bearer token of RFC 8898 §2.2 instead of digest.
#include <algorithm>
#include <chrono>
#include <span>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "wimpu/common/counter.hpp"
#include "pending_register.hpp"
#include "wimpu/ep_cscf/policy.hpp"
#include "wimpu/sip/header_values.hpp"
#include "wimpu/token/bearer.hpp"
#include "wimpu/token/error.hpp"

namespace wimpu::ep_cscf {

using proxy::Decision;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

// Lends the policy's reused PendingRegister to one on_wic_register() call and gives it back when
// the call returns, unless the asynchronous token check took it (then the next REGISTER makes a
// new one). A nested call, were there ever one, would find none lent and use its own.
template <class T>
struct Lease {
  std::unique_ptr<T>& home;
  std::unique_ptr<T> held;
  ~Lease() {
    if (held && !home) {
      home = std::move(held);
    }
  }
};

// Registry lookups take a lock and build the name: rare paths only. The hot ones are below.
common::Counter& count(std::string_view what) {
  return common::counter("ep_cscf.register." + std::string(what));
}

common::Counter& count_ok() {
  static common::Counter& c = count("ok");
  return c;
}

std::string_view trim_view(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
    v.remove_prefix(1);
  }
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
    v.remove_suffix(1);
  }
  return v;
}

std::string contact_line(const registrar::ContactView& c) {
  const std::string expires = std::to_string(c.expires_in_s);
  std::string out;
  out.reserve(c.info.uri.size() + c.info.params.size() + expires.size() + 11);
  out += '<';
  out += c.info.uri;
  out += '>';
  out += c.info.params;
  out += ";expires=";
  out += expires;
  return out;
}

// Retry-After of the 503 for a block that is down (RFC 3261 §20.33, whole seconds, at least 1):
// when the block registration tries next, or its first back-off step while an attempt is on its
// way. Not registration.retry_after (the pool-exhausted delay, 60 s by default): after an
// eP-CSCF restart the block is down for one Cx round trip, and every WIC would wait a minute.
std::uint32_t block_down_retry_after(std::chrono::steady_clock::time_point next_attempt,
                                     const BlockRegistrationConfig& reg) {
  using namespace std::chrono;
  const auto now = steady_clock::now();
  const milliseconds wait =
      next_attempt > now ? duration_cast<milliseconds>(next_attempt - now) : reg.retry_min;
  return static_cast<std::uint32_t>(std::max<std::int64_t>(1, (wait.count() + 999) / 1000));
}

}  // namespace

Decision EpCscfPolicy::on_wic_register(proxy::RequestContext& ctx, const WimpuDomain& domain) {
  const sip::Message& req = ctx.request();
  const RegistrationPolicy& pol = rt_->config.registration;

  // Seed 5.2.2.5.1: while the block is not registered with the IMS core its IMPUs are
  // unreachable; the WIC retries later (RFC 3261 §21.5.4).
  if (const auto down = rt_->blocks.down_until(domain.block.id)) {
    count("block_down").inc();
    ctx.add_response_header("Retry-After",
                            std::to_string(block_down_retry_after(*down, domain.registration)));
    return Decision::respond(503, "Block Not Registered");
  }

  // Step 2: Require (RFC 3261 §8.2.2.3) -> 420 + Unsupported.
  auto required = sip::option_tags(req, sip::HeaderId::kRequire);
  if (!required) {
    count("bad_require").inc();
    return Decision::respond(400, "Bad Require");
  }
  std::string unsupported;
  for (std::string_view tag : *required) {
    if (tag != "outbound" && tag != "path") {
      unsupported += unsupported.empty() ? "" : ", ";
      unsupported += tag;
    }
  }
  if (!unsupported.empty()) {
    count("unsupported").inc();
    ctx.add_response_header("Unsupported", unsupported);
    return Decision::respond(420);
  }

  // Step 3: the Bearer token (RFC 8898 §2.2, requirement T-04). Missing -> challenge.
  const sip::HeaderField* auth = req.find(sip::HeaderId::kAuthorization);
  if (auth == nullptr) {
    count("no_token").inc();
    token::BearerChallenge ch;
    ch.realm = rt_->config.realm;
    ch.authz_server = domain.authz_server;
    ctx.add_response_header("WWW-Authenticate", token::format_challenge(ch));
    return Decision::respond(401);
  }
  // A view into the request, which the context owns until it ends.
  auto bearer = token::bearer_token(auth->value);
  if (!bearer) {
    count(bearer.error() == token::BearerError::kNotBearer ? "not_bearer" : "bad_bearer").inc();
    token::BearerChallenge ch;
    ch.realm = rt_->config.realm;
    ch.authz_server = domain.authz_server;
    if (bearer.error() == token::BearerError::kMalformed) {
      ch.error = "invalid_token";
    }
    ctx.add_response_header("WWW-Authenticate", token::format_challenge(ch));
    return Decision::respond(401);
  }

  // Steps 6 and 7: contacts and their expiry.
  auto header_expires = sip::delta_seconds(req, sip::HeaderId::kExpires);
  if (!header_expires) {
    count("bad_expires").inc();
    return Decision::respond(400, "Bad Expires");
  }
  // Every field below is assigned (or the vector resized) for this REGISTER: nothing of the
  // previous one the lent object held survives into W4's request.
  Lease<PendingRegister> lease{register_scratch_, std::move(register_scratch_)};
  if (!lease.held) {
    lease.held = std::make_unique<PendingRegister>();
  }
  PendingRegister& reg = *lease.held;
  reg.domain = &domain;
  reg.star = false;
  reg.outbound = false;
  reg.request.block.assign(domain.block.id);
  std::size_t n_contacts = 0;
  std::size_t contact_lines = 0;
  for (const sip::HeaderField& h : req.headers()) {
    if (h.id == sip::HeaderId::kContact) {
      ++contact_lines;
      if (trim_view(h.value) == "*") {
        reg.star = true;
      }
    }
  }
  reg.cseq = req.cseq().number;
  // One HMAC per flow, not per REGISTER (cached until the flow closes).
  reg.flow_token = cached_flow_token(ctx.source().flow);
  reg.listener = ctx.source().listener;
  if (reg.star) {
    // §10.3 step 6: `*` only alone and with Expires: 0.
    if (contact_lines != 1 || !header_expires->has_value() || **header_expires != 0) {
      count("bad_star").inc();
      return Decision::respond(400, "Invalid Contact: *");
    }
    reg.call_id.assign(req.call_id());
  } else if (contact_lines > 0) {
    // The parser already split and parsed every Contact value at ingress (a malformed one
    // refused the message there): no second parse and no vector of copies here.
    const std::span<const sip::NameAddr> contacts = req.contacts();
    if (contacts.empty()) {  // "*" beside other values is refused by the parser; defensive
      count("bad_contact").inc();
      return Decision::respond(400, "Bad Contact");
    }
    auto supported = sip::has_option_tag(req, sip::HeaderId::kSupported, "outbound");
    std::size_t live = 0;
    bool any_reg_id = false;
    const std::string_view call_id = req.call_id();
    const std::string_view user_agent = trim_view(req.header_value(sip::HeaderId::kUserAgent));
    std::vector<registrar::ContactUpdate>& updates = reg.request.contacts;
    for (const sip::NameAddr& c : contacts) {
      // One walk of the params for expires, +sip.instance, reg-id and the params stored without
      // expires (the 200 OK writes the granted one, §10.3 step 8), not one walk each.
      if (n_contacts == updates.size()) {
        updates.emplace_back();
      }
      registrar::ContactUpdate& u = updates[n_contacts++];
      u.contact.params.clear();
      const sip::ContactParams cp = sip::contact_params(c, &u.contact.params);
      std::uint32_t e = cp.expires.value_or(header_expires->value_or(pol.default_expires));
      if (e != 0 && e < pol.min_expires) {
        count("interval_too_brief").inc();
        ctx.add_response_header("Min-Expires", std::to_string(pol.min_expires));
        return Decision::respond(423);
      }
      e = std::min(e, pol.max_expires);
      // assign(): the lent request's strings keep their capacity (no allocation when warm).
      u.contact.uri.assign(c.uri.text);
      u.contact.instance.assign(cp.instance);
      u.contact.reg_id = cp.reg_id.value_or(0);
      u.contact.call_id.assign(call_id);
      u.contact.cseq = reg.cseq;
      u.contact.flow_token.assign(reg.flow_token);
      u.contact.epcscf_instance.assign(rt_->config.instance_id);
      // Our Path toward the WIC (RFC 3327 §5.3 as an edge proxy would add it): terminating
      // requests take the flow and its transport from it.
      u.contact.path.resize(1);
      flow_uri_into(reg.flow_token, reg.listener, u.contact.path.front());
      u.contact.user_agent.assign(user_agent);
      u.expires_s = e;
      live += e != 0 ? 1 : 0;
      any_reg_id = any_reg_id || u.contact.reg_id != 0;
      reg.outbound = reg.outbound ||
                     (u.contact.reg_id != 0 && !u.contact.instance.empty() && e != 0 &&
                      supported && *supported);
    }
    // RFC 5626 §6 (G-05): several live contacts when one has a reg-id.
    if (live > 1 && any_reg_id) {
      count("multiple_reg_id").inc();
      return Decision::respond(400, "Multiple Contacts with reg-id");
    }
  }

  reg.request.contacts.resize(n_contacts);

  const proxy::ContextId id = ctx.id();
  // The usual case (cache hit, known key, or a refusal) is answered now, without a callback and
  // an executor round trip; only an unknown kid waits for the issuer's key refresh.
  if (auto now = verifier_->try_verify(*bearer, domain.block.id)) {
    on_token(id, reg, std::move(*now));
    return Decision::wait();
  }
  std::shared_ptr<PendingRegister> pending = std::move(lease.held);
  verifier_->async_verify(std::string(*bearer), domain.block.id,
                          [this, id, pending](token::VerifyResult r) {
                            on_token(id, *pending, std::move(r));
                          });
  return Decision::wait();
}

void EpCscfPolicy::on_token(proxy::ContextId id, PendingRegister& reg,
                            token::VerifyResult result) {
  if (proxy_->find(id) == nullptr) {
    count("stale").inc();
    return;
  }
  bool trusted = false;
  if (result) {
    // The issuers trusted for this domain now (a reload may have removed this one since the
    // verifier's stores were built): the same refusal as an issuer never configured.
    const auto index = static_cast<std::size_t>(reg.domain - rt_->config.domains.data());
    const auto& iss = trust_->issuers.at(index);
    trusted = std::find(iss.begin(), iss.end(), result->claims->issuer) != iss.end();
    if (!trusted) {
      token::failure_counter(token::TokenError::kUnknownIssuer).inc();
    }
  }
  if (!trusted) {
    // RFC 6750 §3.1 / RFC 8898 §2.2: 401 with error="invalid_token"; the token goes nowhere.
    count("invalid_token").inc();
    token::BearerChallenge ch;
    ch.realm = rt_->config.realm;
    ch.authz_server = reg.domain->authz_server;
    ch.error = "invalid_token";
    finish(id, Decision::respond(401), {{"WWW-Authenticate", token::format_challenge(ch)}});
    return;
  }
  reg.request.identity.issuer.assign(result->claims->issuer);
  reg.request.identity.subject.assign(result->claims->subject);
  if (!reg.star && !reg.request.contacts.empty()) {
    // A re-REGISTER on a flow passes the IMPU that flow registered last: W4 then finds the
    // binding without its identity index (only a hint: the registrar checks the owner).
    if (const auto f = wic_flows_.find(reg.flow_token); f != wic_flows_.end()) {
      reg.request.impu_hint.assign(f->second.impu);
    } else {
      reg.request.impu_hint.clear();
    }
    // A registrar that can answer without waiting (memory) does so here: no co_spawn, no
    // awaitable frames, no executor dispatch (issue 8 figure 2). The others (redis) say "would
    // block" without doing anything, and the coroutine below asks them the same question.
    if (auto done = w4_.try_register_now(reg.request, reg.result)) {
      if (!*done) {
        on_register_error(id, done->error());
        return;
      }
      answer_register(id, reg, reg.result.impu, reg.result.aliases, reg.result.contacts);
      return;
    }
  }
  // May run inline (the memory W4 never suspends) and resume the context before on_request()
  // returned wait(): Proxy::resume keeps that early decision (proxy.hpp).
  boost::asio::co_spawn(shard_, run_register(id, std::move(reg)), boost::asio::detached);
}

void EpCscfPolicy::on_w4_error(proxy::ContextId id, registrar::W4Error e) {
  const RegistrationPolicy& pol = rt_->config.registration;
  count(std::string("w4.") + std::string(registrar::to_string(e))).inc();
  switch (e) {
    case registrar::W4Error::kPoolExhausted:  // G-14
    case registrar::W4Error::kUnavailable:
      finish(id, Decision::respond(503), {{"Retry-After", std::to_string(pol.retry_after)}});
      return;
    case registrar::W4Error::kInvalidArgument:
      finish(id, Decision::respond(400), {});
      return;
    case registrar::W4Error::kTooManyContacts:
      finish(id, Decision::respond(403, "Too Many Contacts"), {});
      return;
    default:  // kOutOfOrder: RFC 3261 §10.3 step 7 -> 500
      finish(id, Decision::respond(500), {});
      return;
  }
}

void EpCscfPolicy::on_register_error(proxy::ContextId id, registrar::W4Error e) {
  if (e == registrar::W4Error::kNotFound) {  // only removals, nothing held
    finish(id, Decision::respond(200), {});
    return;
  }
  on_w4_error(id, e);
}

boost::asio::awaitable<void> EpCscfPolicy::run_register(proxy::ContextId id,
                                                        PendingRegister reg) {
  if (!reg.star && !reg.request.contacts.empty()) {
    // The registrar could not answer at once (on_token() asked it first).
    auto r = co_await w4_.register_contacts(std::move(reg.request));
    if (!r) {
      on_register_error(id, r.error());
      co_return;
    }
    answer_register(id, reg, r->impu, r->aliases, r->contacts);
    co_return;
  }
  // `Contact: *` or a query: both start from the identity's IMPU.
  std::string block_id = reg.domain->block.id;
  registrar::WebIdentity who = reg.request.identity;
  auto b = co_await w4_.lookup_identity(std::move(block_id), std::move(who));
  if (!b) {
    if (b.error() != registrar::W4Error::kNotFound) {
      on_w4_error(id, b.error());
      co_return;
    }
    // Nothing held: a de-registration of nothing, or a query with no bindings.
    count("ok_empty").inc();
    finish(id, Decision::respond(200), {});
    co_return;
  }
  registrar::Binding result = std::move(*b);
  if (reg.star) {
    // Named arguments: GCC 12 double-destroys temporaries built inside a co_await operand.
    std::optional<registrar::CallIdGuard> guard = registrar::CallIdGuard{reg.call_id, reg.cseq};
    std::string impu = result.impu;
    auto r = co_await w4_.remove_all(std::move(impu), std::move(guard));
    if (!r) {
      on_w4_error(id, r.error());
      co_return;
    }
    result.contacts.clear();
  }
  answer_register(id, reg, result.impu, result.aliases, result.contacts);
}

void EpCscfPolicy::answer_register(proxy::ContextId id, const PendingRegister& reg,
                                   const std::string& impu,
                                   const std::vector<std::string>& aliases,
                                   const std::vector<registrar::ContactView>& contacts) {
  const RegistrationPolicy& pol = rt_->config.registration;
  bool on_this_flow = false;
  for (const registrar::ContactView& c : contacts) {
    on_this_flow = on_this_flow || c.info.flow_token == reg.flow_token;
  }
  remember_flow(reg.flow_token, impu, reg.domain, on_this_flow);

  count_ok().inc();
  if (reg.domain->registration.trigger == BlockTrigger::kFirstWic && rt_->first_wic) {
    // Seed 5.2.2.5.1 option 2 (idempotent on the registering side).
    rt_->first_wic(static_cast<std::size_t>(reg.domain - rt_->config.domains.data()));
  }
  proxy::RequestContext* ctx = proxy_->find(id);
  if (ctx == nullptr) {  // the transaction ended meanwhile
    count("stale").inc();
    return;
  }
  // Step 8: every current contact with its expires; the IMPU first in P-Associated-URI. Straight
  // into the context (no intermediate header list).
  for (const registrar::ContactView& c : contacts) {
    ctx->add_response_header("Contact", contact_line(c));
  }
  std::string pau;
  pau.reserve(impu.size() + 2 + aliases.size() * (impu.size() + 4));
  pau += '<';
  pau += impu;
  pau += '>';
  for (const std::string& a : aliases) {
    pau += ", <";
    pau += a;
    pau += '>';
  }
  ctx->add_response_header("P-Associated-URI", std::move(pau));
  ctx->add_response_header("Service-Route", service_route(reg.listener));
  if (reg.outbound) {  // RFC 5626 §6: Require: outbound; §5.4 Flow-Timer
    ctx->add_response_header("Require", "outbound");
    ctx->add_response_header("Flow-Timer", std::to_string(pol.flow_timer));
  }
  proxy_->resume(id, Decision::respond(200));
}

boost::asio::awaitable<void> EpCscfPolicy::run_remove_flow(std::string token) {
  std::string t = std::move(token);
  auto r = co_await w4_.remove_flow(std::move(t));
  if (!r) {
    count("remove_flow_failed").inc();
    co_return;
  }
  common::counter("ep_cscf.flow_closed.contacts_removed").inc(*r);
}

void EpCscfPolicy::on_flow_closed(transport::FlowId flow) {
  std::string token = cached_flow_token(flow);
  forget_flow_token(flow);
  wic_flows_.erase(token);
  boost::asio::co_spawn(shard_, run_remove_flow(std::move(token)), boost::asio::detached);
}

void EpCscfPolicy::finish(proxy::ContextId id, Decision d, Headers headers) {
  proxy::RequestContext* ctx = proxy_->find(id);
  if (ctx == nullptr) {  // the transaction ended meanwhile (sprout's CANCEL race)
    count("stale").inc();
    return;
  }
  for (auto& [n, v] : headers) {
    ctx->add_response_header(std::move(n), std::move(v));
  }
  proxy_->resume(id, std::move(d));
}

}  // namespace wimpu::ep_cscf
