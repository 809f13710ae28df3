// Requests: RFC 3261 §16.3 validation, §16.4 Route processing, the plug-in's decision, §16.10
// CANCEL and §16.11 ACK. Responses and forwarding are in response.cpp and forward.cpp.
#include <algorithm>
#include <utility>

#include "proxy_impl.hpp"
#include "wire_helpers.hpp"
#include "wimpu/sip/builder.hpp"
#include "wimpu/sip/header_values.hpp"
#include "wimpu/transaction/branch.hpp"

namespace wimpu::proxy {

using detail::Context;
using transaction::Peer;
using transaction::ServerTxId;

namespace {

// §16.6 step 4: stay on the path of the dialog this request may create.
bool creates_dialog(const sip::Message& r) {
  if (!r.to_tag().empty()) {
    return false;
  }
  switch (r.method()) {
    case sip::Method::kInvite:
    case sip::Method::kSubscribe:
    case sip::Method::kRefer:
    case sip::Method::kNotify:
      return true;
    default:
      return false;
  }
}

}  // namespace

// ------------------------------------------------------------------ Proxy (public)

Proxy::Proxy(transaction::TransactionLayer& layer, RequestPolicy& policy, ProxyConfig config)
    : impl_(std::make_unique<Impl>(*this, layer, policy, std::move(config))) {
  layer.set_user(*this);
}

Proxy::~Proxy() {
  // Timer callbacks refer to the Impl: none may outlive it.
  auto& ts = impl_->layer.timer_service();
  for (auto& [id, ctx] : impl_->contexts) {
    for (auto& b : ctx->branches_) {
      ts.cancel(b.timer_c);
      ts.cancel(b.cancel_timer);
    }
  }
}

bool Proxy::resume(ContextId id, Decision decision) {
  Context* ctx = impl_->find(id);
  if (ctx != nullptr && ctx->phase_ == Context::Phase::kPolicy &&
      decision.verdict() != Decision::Verdict::kWait) {
    // Called from inside the plug-in's on_request(): its asynchronous work finished before
    // on_request() returned wait() (a co_spawn'ed lookup that never suspended, e.g. on the
    // memory registrar). Keep the decision; run_policy() applies it when on_request() returns.
    ctx->early_decision_ = std::move(decision);
    return true;
  }
  if (ctx == nullptr || ctx->phase_ != Context::Phase::kWaiting) {
    impl_->counters.resume_stale.inc();
    return false;
  }
  impl_->apply_decision(*ctx, decision);
  return true;
}

RequestContext* Proxy::find(ContextId id) { return impl_->find(id); }
std::size_t Proxy::live_contexts() const { return impl_->contexts.size(); }
const ProxyConfig& Proxy::config() const { return impl_->config; }

void Proxy::on_request(ServerTxId tx, sip::Message&& request, const Peer& from) {
  impl_->handle_request(tx, std::move(request), from);
}

void Proxy::on_cancel(ServerTxId cancel_tx, ServerTxId invite_tx, sip::Message&& cancel,
                      const Peer&) {
  impl_->handle_cancel(cancel_tx, invite_tx, std::move(cancel));
}

void Proxy::on_ack(sip::Message&& ack, const Peer& from, ServerTxId) {
  Impl& p = *impl_;
  p.counters.requests.inc();
  // An ACK cannot be answered: what fails validation is dropped (§16.3).
  if (ack.max_forwards() && *ack.max_forwards() == 0) {
    p.counters.ack_dropped.inc();
    return;
  }
  Context& ctx = p.new_context();
  std::swap(ctx.request_, ack);  // as handle_request: the caller gets pooled buffers back
  ctx.source_ = from;
  if (!p.preprocess_routes(ctx)) {
    p.counters.ack_dropped.inc();
    p.end_context(ctx);
    return;
  }
  p.run_policy(ctx);
}

void Proxy::on_response(const transaction::ClientTxInfo& tx, sip::Message&& response) {
  impl_->handle_response(tx, std::move(response));
}

void Proxy::on_client_failure(const transaction::ClientTxInfo& tx,
                              transaction::ClientFailure why) {
  Impl& p = *impl_;
  if (tx.cookie == 0) {
    return;  // one of our CANCELs timed out: the branch's own cancel timer handles it
  }
  Context* ctx = p.find(tx.cookie);
  if (ctx == nullptr) {
    return;
  }
  const std::size_t i = p.branch_index(*ctx, tx.id);
  if (i == SIZE_MAX) {
    return;
  }
  // §16.7 step 1 / §16.9: a timeout is a 408, a transport error a 503 from that branch.
  if (why == transaction::ClientFailure::kTimeout) {
    p.counters.branch_timeout.inc();
    p.branch_final(*ctx, i, 408, std::nullopt);
  } else {
    p.counters.branch_transport_error.inc();
    p.branch_final(*ctx, i, 503, std::nullopt);
  }
  p.check_done(*ctx);
}

void Proxy::on_server_failure(ServerTxId tx, transaction::ServerFailure) {
  Impl& p = *impl_;
  p.counters.server_failure.inc();
  auto it = p.by_server_tx.find(Impl::key(tx));
  if (it == p.by_server_tx.end()) {
    return;
  }
  Context* ctx = p.find(it->second);
  if (ctx == nullptr || ctx->final_sent_) {
    return;
  }
  // Nobody upstream can hear us any more: stop the branches and send nothing.
  ctx->final_sent_ = true;
  ctx->cancelled_ = true;
  p.cancel_pending(*ctx, SIZE_MAX, {});
  p.check_done(*ctx);
}

// ------------------------------------------------------------------ request path

void Proxy::Impl::handle_request(ServerTxId tx, sip::Message&& request, const Peer& from) {
  counters.requests.inc();
  if (!validate(tx, request)) {
    return;
  }
  Context& ctx = new_context();
  ctx.server_tx_ = tx;
  // A swap, not a move: the caller gets back the buffers of the request this pooled context held
  // before, with their capacity (the node's inbound Message is parsed into again).
  std::swap(ctx.request_, request);
  ctx.source_ = from;
  ctx.record_route_ = config.record_route && creates_dialog(ctx.request_);
  if (ctx.request_.method() == sip::Method::kInvite) {
    by_server_tx[key(tx)] = ctx.id_;
  }
  // §18.2.1 / RFC 3581: record where the request really came from in its Via; our own
  // responses carry it back too (respond_local), so it is worked out before any can be sent.
  // The edit of the forwarded copy waits until the request is forwarded (prepare_forwarding):
  // a request answered here (a REGISTER at the eP-CSCF) never needs it.
  ctx.via_stamped_ = detail::via_with_received(ctx.request_.top_via(), from.remote,
                                               ctx.received_via_);
  if (ctx.request_.method() == sip::Method::kInvite) {
    // §16.2 / §16.7: a stateful proxy answers INVITE with 100 at once, before any plug-in work.
    sip::ResponseBuilder trying(ctx.request_, 100);
    layer.respond(tx, 100, trying.top_via(ctx.received_via_).build());
  }
  if (!preprocess_routes(ctx)) {
    respond_local(ctx, 400, "Bad Route");
    end_context(ctx);
    return;
  }
  run_policy(ctx);
}

// Work that only a forwarded request needs, done once when the decision is to forward: the
// received/rport Via of the copies (§18.2.1, RFC 3581 §4) and the loop-detection hash their
// branch parameter carries (§16.6 step 8). A request answered locally skips both: its response
// takes the stamped Via from received_via_ (§8.2.6.2), and no branch of ours is created.
void Proxy::Impl::prepare_forwarding(Context& ctx) {
  if (ctx.via_stamped_) {
    if (!ctx.editor_.pop_via() || !ctx.editor_.push_via(ctx.received_via_)) {
      counters.edit_error.inc();
    }
  }
  if (!ctx.is_ack()) {
    detail::append_loop_hash(ctx.request_, ctx.loop_hash_);
  }
}

void Proxy::Impl::run_policy(Context& ctx) {
  Decision d = policy.on_request(ctx);
  if (d.verdict() == Decision::Verdict::kWait && ctx.early_decision_) {
    d = std::move(*ctx.early_decision_);  // resumed before it returned: see Proxy::resume
  }
  ctx.early_decision_.reset();
  apply_decision(ctx, d);
}

bool Proxy::Impl::validate(ServerTxId tx, const sip::Message& r) {
  // §16.3 item 3: Max-Forwards.
  if (r.max_forwards() && *r.max_forwards() == 0) {
    counters.reject_483.inc();
    reject(tx, r, 483);
    return false;
  }
  // §16.3 item 2: URI scheme.
  const sip::UriScheme scheme = r.request_uri().scheme;
  if (scheme != sip::UriScheme::kSip && scheme != sip::UriScheme::kSips &&
      scheme != sip::UriScheme::kTel) {
    counters.reject_416.inc();
    reject(tx, r, 416);
    return false;
  }
  // §16.3 item 4: a Via of ours whose branch carries this request's loop hash = a loop.
  bool hashed = false;
  for (const sip::Via& via : r.vias()) {
    if (!locality.is_local_via(via)) {
      continue;
    }
    if (!hashed) {
      scratch.clear();
      detail::append_loop_hash(r, scratch);
      hashed = true;
    }
    if (transaction::branch_suffix(via.branch) == scratch) {
      counters.reject_482.inc();
      reject(tx, r, 482);
      return false;
    }
  }
  // §16.3 item 5: Proxy-Require.
  if (r.find(sip::HeaderId::kProxyRequire) != nullptr) {
    auto tags = sip::option_tags(r, sip::HeaderId::kProxyRequire);
    if (!tags) {
      counters.reject_400.inc();
      reject(tx, r, 400);
      return false;
    }
    std::string unsupported;
    for (std::string_view tag : *tags) {
      const bool known = std::any_of(
          config.supported_proxy_require.begin(), config.supported_proxy_require.end(),
          [&](const std::string& s) { return sip::iequals(s, tag); });
      if (!known) {
        if (!unsupported.empty()) {
          unsupported.append(", ");
        }
        unsupported.append(tag);
      }
    }
    if (!unsupported.empty()) {
      counters.reject_420.inc();
      reject(tx, r, 420, "Unsupported", unsupported);
      return false;
    }
  }
  return true;
}

void Proxy::Impl::reject(ServerTxId tx, const sip::Message& r, int status,
                         std::string_view extra_name, std::string_view extra_value) {
  std::string tag;
  layer.random().append_hex(tag);
  sip::ResponseBuilder b(r, status);
  b.to_tag(tag);
  if (!extra_name.empty()) {
    b.header(extra_name, extra_value);
  }
  layer.respond(tx, status, b.build(), tag);
}

Context& Proxy::Impl::new_context() {
  const ContextId id = next_id++;
  if (!spare.empty()) {
    ContextMap::node_type node = std::move(spare.back());
    spare.pop_back();
    node.key() = id;
    Context& ref = *node.mapped();
    ref.reset(id);
    contexts.insert(std::move(node));
    return ref;
  }
  auto ctx = std::make_unique<Context>();
  ctx->reset(id);
  Context& ref = *ctx;
  contexts.emplace(id, std::move(ctx));
  return ref;
}

// §16.4. The editor starts over the request here; everything else edits on top.
bool Proxy::Impl::preprocess_routes(Context& ctx) {
  const sip::Message& r = ctx.request_;
  ctx.editor_.reset(r);
  const auto routes = r.routes();
  std::size_t last = routes.size();
  const sip::Uri* effective = &r.request_uri();
  // Strict-route fix-up: a strict router (RFC 2543) put our Record-Route URI in the
  // Request-URI; the real Request-URI is the last Route value.
  if (!routes.empty() && locality.is_local_uri(r.request_uri()) && r.request_uri().lr()) {
    sip::NameAddr ours;
    ours.text = r.request_uri().text;
    ours.uri = r.request_uri();
    ctx.popped_.push_back(ours);
    effective = &routes.back().uri;
    if (!ctx.editor_.remove_route(routes.size() - 1)) {
      counters.edit_error.inc();
      return false;
    }
    --last;
  }
  ctx.request_uri_.assign(effective->text);
  // Our own Route value on top goes (loose routing); with RFC 5658 double Record-Route both
  // values of the pair (marked r2) are ours.
  std::size_t first = 0;
  while (first < last && locality.is_local_uri(routes[first].uri)) {
    const bool pair = routes[first].uri.has_param("r2");
    ctx.popped_.push_back(routes[first]);
    if (!ctx.editor_.pop_route()) {
      counters.edit_error.inc();
      return false;
    }
    ++first;
    if (!pair || first >= last || !routes[first].uri.has_param("r2")) {
      break;
    }
  }
  ctx.remaining_route_ = first < last;
  ctx.first_route_ = first;
  ctx.uri_local_ = locality.is_local_uri(*effective);
  return true;
}

void Proxy::Impl::apply_decision(Context& ctx, const Decision& d) {
  switch (d.verdict()) {
    case Decision::Verdict::kWait:
      ctx.phase_ = Context::Phase::kWaiting;
      return;
    case Decision::Verdict::kRespond:
      if (!ctx.is_ack()) {
        counters.reject_policy.inc();
        // A plug-in acting as a UAS for a non-INVITE (a registrar answering REGISTER, RFC 3261
        // §10.3) may answer 2xx; an INVITE 2xx would need a dialog and ACK handling we lack.
        respond_local(ctx,
                      d.status() >= 300 || (d.status() >= 200 &&
                                            ctx.request_.method() != sip::Method::kInvite)
                          ? d.status()
                          : 500,
                      d.reason());
      }
      end_context(ctx);
      return;
    case Decision::Verdict::kContinue:
      break;
  }
  ctx.phase_ = Context::Phase::kForwarding;
  prepare_forwarding(ctx);
  if (ctx.is_ack()) {
    forward_ack(ctx);
    end_context(ctx);
    return;
  }
  if (ctx.new_targets_.empty()) {
    if (!ctx.uri_local_ || ctx.remaining_route_) {
      ctx.new_targets_.emplace_back();  // §16.5: the Request-URI as it is (or the next Route)
    } else {
      // F-04: nothing to fork to. Mid-dialog: the dialog is unknown here.
      counters.reject_480.inc();
      respond_local(ctx, ctx.request_.to_tag().empty() ? 480 : 481);
      end_context(ctx);
      return;
    }
  }
  start_targets(ctx);
  check_done(ctx);
}

void Proxy::Impl::respond_local(Context& ctx, int status, std::string_view reason) {
  if (ctx.to_tag_.empty()) {
    layer.random().append_hex(ctx.to_tag_);
  }
  sip::ResponseBuilder b(ctx.request_, status, reason);
  b.to_tag(ctx.to_tag_);
  b.top_via(ctx.received_via_);
  for (const auto& [name, value] : ctx.response_headers_) {
    b.header(name, value);
  }
  ctx.final_sent_ = true;
  if (!layer.respond(ctx.server_tx_, status, b.build(), ctx.to_tag_)) {
    counters.forward_error.inc();
  }
}

void Proxy::Impl::end_context(Context& ctx) {
  policy.on_context_end(ctx);
  auto& ts = layer.timer_service();
  for (auto& b : ctx.branches_) {
    ts.cancel(b.timer_c);
    ts.cancel(b.cancel_timer);
  }
  if (ctx.server_tx_.valid()) {
    by_server_tx.erase(key(ctx.server_tx_));
  }
  ContextMap::node_type node = contexts.extract(ctx.id_);
  if (spare.size() < 1024) {
    spare.push_back(std::move(node));
  }
}

// §16.10.
void Proxy::Impl::handle_cancel(ServerTxId cancel_tx, ServerTxId invite_tx,
                                sip::Message&& cancel) {
  counters.cancel_received.inc();
  if (!invite_tx.valid()) {
    counters.cancel_no_match.inc();
    reject(cancel_tx, cancel, 481);
    return;
  }
  Context* ctx = nullptr;
  if (auto it = by_server_tx.find(key(invite_tx)); it != by_server_tx.end()) {
    ctx = find(it->second);
  }
  // A matching transaction: 200 to the CANCEL at once.
  reject(cancel_tx, cancel, 200);
  if (ctx == nullptr || ctx->final_sent_) {
    return;  // the INVITE is already answered: the CANCEL has no effect (§9.2)
  }
  if (ctx->phase_ != Context::Phase::kForwarding) {
    // Still with the plug-in: no branch exists, answer the INVITE ourselves. find() returns
    // nullptr from now on, which is how an asynchronous plug-in learns it (sprout's race).
    respond_local(*ctx, 487);
    end_context(*ctx);
    return;
  }
  ctx->cancelled_ = true;
  ctx->new_targets_.clear();
  // RFC 3326: a Reason the caller gave travels on to the branches.
  cancel_pending(*ctx, SIZE_MAX, cancel.header_value(sip::HeaderId::kReason));
  check_done(*ctx);
}

}  // namespace wimpu::proxy
