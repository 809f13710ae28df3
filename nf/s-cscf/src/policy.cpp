// ScscfPolicy: request classification, originating and terminating routing, the expiry sweep,
// and ScscfService. REGISTER handling is in register.cpp.
#include <algorithm>
#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "wimpu/common/assert.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/s_cscf/s_cscf.hpp"
#include "wimpu/sip/header_values.hpp"

namespace wimpu::s_cscf {
namespace {

namespace asio = boost::asio;

common::Counter& count(std::string_view name) {
  return common::counter("s_cscf." + std::string(name));
}

void log_failure(std::exception_ptr e) {
  if (e) {
    count("coroutine_failed").inc();
  }
}

bool address_matches(const std::vector<TrustedAddress>& list, std::string_view host,
                     std::uint16_t port) {
  if (host.size() >= 2 && host.front() == '[') {
    host = host.substr(1, host.size() - 2);
  }
  return std::any_of(list.begin(), list.end(), [&](const TrustedAddress& t) {
    return sip::iequals(t.host, host) && (t.port == 0 || t.port == port);
  });
}

// Our Route value names the originating leg when its user part is "orig" (the Service-Route we
// hand out) or it carries an "orig" parameter (TS 24.229 §5.4.3.2 leaves the encoding to us).
bool is_orig_route(const sip::NameAddr& r) {
  return r.uri.user == "orig" || r.uri.has_param("orig");
}

std::string strip_brackets(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
    v.remove_prefix(1);
  }
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
    v.remove_suffix(1);
  }
  if (v.size() >= 2 && v.front() == '<') {
    const auto close = v.find('>');
    if (close != std::string_view::npos) {
      v = v.substr(1, close - 1);
    }
  }
  return std::string(v);
}

}  // namespace

ScscfPolicy::ScscfPolicy(asio::any_io_executor executor, diameter::CxClient& cx,
                         std::shared_ptr<ScscfShared> shared)
    : executor_(std::move(executor)), cx_(cx), shared_(std::move(shared)) {}

ScscfPolicy::~ScscfPolicy() = default;

std::string ScscfPolicy::service_route() const {
  // RFC 3608 §5: a Route the UE pre-loads on originating requests; "orig" marks that leg.
  const std::string& name = shared_->config.server_name;
  const auto colon = name.find(':');
  return "<" + name.substr(0, colon + 1) + "orig@" + name.substr(colon + 1) + ";lr>";
}

proxy::Decision ScscfPolicy::on_request(proxy::RequestContext& ctx) {
  const sip::Message& req = ctx.request();
  if (ctx.is_ack() || !req.to_tag().empty()) {
    return proxy::Decision::proceed();  // mid-dialog: follow the Route set (RFC 3261 §16.4)
  }
  if (req.method() == sip::Method::kRegister) {
    ctx.set_record_route(false);
    return on_register(ctx);
  }
  const auto popped = ctx.popped_routes();
  if (std::any_of(popped.begin(), popped.end(), is_orig_route)) {
    return on_originating(ctx);
  }
  if (ctx.has_remaining_route()) {
    return proxy::Decision::proceed();
  }
  return on_terminating(ctx, impu_of(ctx.request_uri()));
}

proxy::Decision ScscfPolicy::on_originating(proxy::RequestContext& ctx) {
  // TS 24.229 §5.4.3.2: the served user is the P-Asserted-Identity the P-CSCF inserted.
  auto pai = sip::first_name_addr(ctx.request(), sip::HeaderId::kPAssertedIdentity);
  if (!pai || !pai->has_value()) {
    count("orig.no_asserted_identity").inc();
    return proxy::Decision::respond(403, "No P-Asserted-Identity");
  }
  const std::string served = impu_of((*pai)->uri.text);
  if (served.empty() || !shared_->store.is_registered(served)) {
    count("orig.not_registered").inc();
    return proxy::Decision::respond(403, "Not Registered");
  }
  if (ctx.has_remaining_route()) {
    count("orig.loose_routed").inc();
    return proxy::Decision::proceed();
  }
  auto ruri = sip::parse_uri(ctx.request_uri());
  if (!ruri) {
    count("orig.bad_request_uri").inc();
    return proxy::Decision::respond(400, "Bad Request-URI");
  }
  const ScscfConfig& cfg = shared_->config;
  for (const IcscfRoute& r : cfg.icscfs) {
    if (sip::iequals(r.domain, ruri->host)) {
      // TS 24.229 §5.4.3.2 step 10: toward the I-CSCF of the callee's network.
      proxy::Target t;
      t.routes.push_back("<" + r.uri + ";lr>");
      ctx.add_target(std::move(t));
      count("orig.to_icscf").inc();
      return proxy::Decision::proceed();
    }
  }
  const bool home = std::any_of(cfg.home_domains.begin(), cfg.home_domains.end(),
                                [&](const std::string& d) { return sip::iequals(d, ruri->host); });
  if (home) {
    count("orig.terminated_here").inc();
    return on_terminating(ctx, impu_of(ctx.request_uri()));
  }
  count("orig.by_request_uri").inc();
  return proxy::Decision::proceed();
}

proxy::Decision ScscfPolicy::on_terminating(proxy::RequestContext& ctx, std::string_view impu) {
  // RFC 5002 / TS 24.229 §5.4.3.3: P-Profile-Key names the wildcard the I-CSCF learnt from the
  // LIA, so no regular expression has to run; without it the IMPU itself, exact or by wildcard.
  std::optional<RegistrationView> reg;
  const std::string_view key = ctx.request().header_value(sip::HeaderId::kPProfileKey);
  if (!key.empty()) {
    reg = shared_->store.lookup(strip_brackets(key));
  }
  if (!reg && !impu.empty()) {
    reg = shared_->store.lookup(impu);
  }
  if (!reg || reg->contacts.empty()) {
    count("term.not_registered").inc();
    return proxy::Decision::respond(480, "Temporarily Unavailable");
  }
  sip::MessageEditor& ed = ctx.editor();
  // The key is for the S-CSCF only; P-Called-Party-ID tells the UE (here the eP-CSCF) which IMPU
  // was called once the Request-URI is the contact (RFC 7315 §4.2, requirements C-08).
  if (!key.empty()) {
    ed.remove_headers(sip::HeaderId::kPProfileKey);
  }
  ed.remove_headers(sip::HeaderId::kPCalledPartyId);
  ed.add_header(sip::HeaderId::kPCalledPartyId, "<" + std::string(ctx.request_uri()) + ">");
  for (const ContactView& c : reg->contacts) {
    proxy::Target t;
    t.uri = c.uri;
    t.routes = c.path;  // RFC 3327 §5.3: the Path becomes the pre-loaded route set
    ctx.add_target(std::move(t));
  }
  static common::Counter& forwarded = count("term.forwarded");  // per call: looked up once
  forwarded.inc();
  return proxy::Decision::proceed();
}

bool ScscfPolicy::trusted_source(const proxy::RequestContext& ctx) const {
  const ScscfConfig& cfg = shared_->config;
  const transaction::Endpoint& src = ctx.source().remote;
  const std::string src_host = src.address.to_string();
  if (address_matches(cfg.trusted_nodes, src_host, src.port)) {
    return true;
  }
  // Through one of our I-CSCFs: the Via it kept below its own names the node that sent it.
  const auto vias = ctx.request().vias();
  if (vias.size() < 2 || !address_matches(cfg.trusted_proxies, src_host, src.port)) {
    return false;
  }
  // The proxy recorded where that hop really sent from (received, and rport when the sender
  // asked for it, RFC 3581); sent-by is only what the sender claims.
  const sip::Via& v = vias[1];
  const std::string_view host = v.received.empty() ? v.host : v.received;
  const std::uint16_t port = v.rport ? *v.rport : v.port.value_or(5060);
  return address_matches(cfg.trusted_nodes, host, port);
}

void ScscfPolicy::finish(proxy::ContextId id, int status, std::string reason,
                         std::vector<std::pair<std::string, std::string>> headers) {
  WIMPU_ASSERT(proxy_ != nullptr);
  proxy::RequestContext* ctx = proxy_->find(id);
  if (ctx == nullptr) {  // the transaction ended while the HSS answered
    count("context_gone").inc();
    return;
  }
  for (auto& [n, v] : headers) {
    ctx->add_response_header(std::move(n), std::move(v));
  }
  proxy_->resume(id, proxy::Decision::respond(status, std::move(reason)));
}

void ScscfPolicy::sweep() {
  shared_->nonces.purge();
  for (RegistrationView& gone : shared_->store.expire()) {
    count("registration_expired").inc();
    asio::co_spawn(executor_,
                   deregister(std::move(gone.impi), std::move(gone.registered_impu),
                              diameter::ServerAssignmentType::kTimeoutDeregistration),
                   log_failure);
  }
}

asio::awaitable<void> ScscfPolicy::deregister(std::string impi, std::string impu,
                                              diameter::ServerAssignmentType type) {
  diameter::ServerAssignmentRequest sar;
  sar.user_name = std::move(impi);
  sar.public_identities.push_back(std::move(impu));
  sar.server_name = shared_->config.server_name;
  sar.assignment_type = type;
  auto saa = co_await diameter::async_request(cx_, std::move(sar), asio::use_awaitable);
  if (!saa || !saa->result.success()) {
    count("sar_deregistration_failed").inc();
  }
}

void ScscfPolicy::start_sweeping() {
  sweep_timer_ = std::make_unique<asio::steady_timer>(executor_);
  asio::co_spawn(executor_, sweep_loop(), log_failure);
}

asio::awaitable<void> ScscfPolicy::sweep_loop() {
  // The timer is owned by the policy; the shard's io_context stops before the policy is
  // destroyed (SipNode::stop), so this frame never resumes against a dead policy.
  while (true) {
    sweep_timer_->expires_after(shared_->config.sweep_interval);
    boost::system::error_code ec;
    co_await sweep_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return;
    }
    sweep();
  }
}

ScscfService::ScscfService(ScscfConfig config, common::ClockPtr clock)
    : shared_(std::make_shared<ScscfShared>(std::move(config), std::move(clock))) {}

cscf_node::ShardPolicy ScscfService::make_shard_policy(transport::ShardId shard,
                                                       asio::any_io_executor executor,
                                                       diameter::CxClient& cx) {
  auto policy = std::make_unique<ScscfPolicy>(std::move(executor), cx, shared_);
  ScscfPolicy* raw = policy.get();
  if (shard == 0) {
    raw->start_sweeping();
  }
  return cscf_node::ShardPolicy{std::move(policy), [raw](proxy::Proxy& p) { raw->attach(p); }};
}

}  // namespace wimpu::s_cscf
