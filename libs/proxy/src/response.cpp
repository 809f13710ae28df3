// Responses: RFC 3261 §16.7 (aggregation), §16.8 (Timer C), §9.1/§16.10 (CANCEL of branches),
// RFC 3326 (Reason in those CANCELs), RFC 6026 (every 2xx forwarded).
#include <algorithm>

#include "proxy_impl.hpp"
#include "wimpu/sip/builder.hpp"

namespace wimpu::proxy {

using detail::Branch;
using detail::Context;
using transaction::ClientTxId;

namespace {

constexpr std::string_view kCompletedElsewhere = "SIP;cause=200;text=\"Call completed elsewhere\"";

// §16.7 step 6: lower is better. 6xx first; then by class; within 4xx the statuses that let the
// caller retry usefully (401, 407, 415, 420, 484) before the others.
int rank(int status) {
  if (status >= 600) {
    return 0;
  }
  int preference = 9;
  static constexpr int kPreferred4xx[] = {401, 407, 415, 420, 484};
  for (int i = 0; i < 5; ++i) {
    if (status == kPreferred4xx[i]) {
      preference = i;
    }
  }
  return (status / 100) * 10 + preference;
}

// A Reason text parameter from a reason phrase: quoted-string without '"' or '\'.
std::string reason_for(int status, std::string_view phrase) {
  std::string r = "SIP;cause=" + std::to_string(status) + ";text=\"";
  for (char c : phrase) {
    if (c != '"' && c != '\\') {
      r.push_back(c);
    }
  }
  r.push_back('"');
  return r;
}

std::uint64_t token(ContextId id, std::size_t index) {
  return (id << 16) | static_cast<std::uint64_t>(index);
}

}  // namespace

std::size_t Proxy::Impl::branch_index(const Context& ctx, ClientTxId tx) const {
  for (std::size_t i = 0; i < ctx.branches_.size(); ++i) {
    if (ctx.branches_[i].tx == tx) {
      return i;
    }
  }
  return SIZE_MAX;
}

void Proxy::Impl::handle_response(const transaction::ClientTxInfo& tx, sip::Message&& resp) {
  if (tx.cookie == 0) {
    return;  // the 200/481 to one of our CANCELs: nothing to do (§9.1)
  }
  const int status = resp.status_code();
  const bool success = status >= 200 && status < 300;
  Context* ctx = find(tx.cookie);
  const std::size_t i = ctx ? branch_index(*ctx, tx.id) : SIZE_MAX;
  if (i == SIZE_MAX) {
    // The context is over; a 2xx still goes up (a retransmission, or another fork's answer:
    // RFC 6026 §7.1), through the INVITE server transaction while it is Accepted.
    if (success) {
      counters.late_2xx.inc();
      forward_upstream(tx.upstream, nullptr, resp);
    } else {
      counters.response_no_context.inc();
    }
    return;
  }
  const bool invite = ctx->request_.method() == sip::Method::kInvite;
  Branch& b = ctx->branches_[i];
  detail::BranchResponse view(*ctx, i, resp);

  if (status < 200) {
    if (b.state == Branch::State::kCalling) {
      b.state = Branch::State::kProceeding;
    }
    if (b.state == Branch::State::kDone) {
      return;
    }
    if (invite) {
      // §16.7 step 2: a provisional resets Timer C. Only the deadline moves; the armed timer
      // re-arms itself for the rest when it fires early (no cancel + schedule per 1xx).
      b.timer_c_due = layer.timer_service().now() + config.timer_c;
    }
    if (b.cancel_wanted && !b.cancel_sent) {
      send_cancel(*ctx, i);  // §9.1: the CANCEL waited for this provisional
    }
    policy.on_response(view);
    if (status != 100 && !ctx->final_sent_) {
      forward_upstream(ctx->server_tx_, ctx, resp);  // §16.7 step 5
    }
    return;
  }

  const ResponseVerdict verdict = policy.on_response(view);
  if (status >= 300 && verdict == ResponseVerdict::kReplaceBranch && !ctx->no_new_branches_ &&
      !ctx->cancelled_ && !ctx->new_targets_.empty()) {
    // RFC 5626 §7: e.g. 430 Flow Failed, the plug-in picked another flow of the instance.
    counters.branch_replaced.inc();
    b.state = Branch::State::kDone;
    layer.timer_service().cancel(b.timer_c);
    layer.timer_service().cancel(b.cancel_timer);
    b.timer_c = b.cancel_timer = 0;
    start_targets(*ctx);
    check_done(*ctx);
    return;
  }

  if (success) {
    // §16.7 step 5: every 2xx goes up at once (RFC 6026); the other branches are cancelled
    // with the RFC 3326 reason so the other phones do not show a missed call (F-03).
    b.state = Branch::State::kDone;
    layer.timer_service().cancel(b.timer_c);
    layer.timer_service().cancel(b.cancel_timer);
    b.timer_c = b.cancel_timer = 0;
    forward_upstream(ctx->server_tx_, ctx, resp);
    ctx->final_sent_ = true;
    ctx->new_targets_.clear();
    if (invite) {
      cancel_pending(*ctx, i, kCompletedElsewhere);
    }
    check_done(*ctx);
    return;
  }
  if (status >= 600 && !ctx->no_new_branches_) {
    // §16.7 step 5: a 6xx ends the forking; cancel the rest, start nothing new.
    ctx->no_new_branches_ = true;
    ctx->new_targets_.clear();
    if (invite) {
      cancel_pending(*ctx, i, reason_for(status, resp.reason_phrase()));
    }
  }
  branch_final(*ctx, i, status, std::move(resp));
  check_done(*ctx);
}

void Proxy::Impl::branch_final(Context& ctx, std::size_t index, int status,
                               std::optional<sip::Message>&& response) {
  Branch& b = ctx.branches_[index];
  if (b.state == Branch::State::kDone) {
    return;
  }
  b.state = Branch::State::kDone;
  layer.timer_service().cancel(b.timer_c);
  layer.timer_service().cancel(b.cancel_timer);
  b.timer_c = b.cancel_timer = 0;
  if (response && (status == 401 || status == 407)) {
    // §16.7 step 7: collect every challenge of every 401/407.
    for (const sip::HeaderField& h : response->headers()) {
      if (h.id == sip::HeaderId::kWwwAuthenticate || h.id == sip::HeaderId::kProxyAuthenticate) {
        std::string line(sip::canonical_name(h.id));
        line.append(": ");
        line.append(h.value);
        ctx.auth_.push_back(std::move(line));
      }
    }
  }
  consider_best(ctx, status, std::move(response));
}

void Proxy::Impl::consider_best(Context& ctx, int status, std::optional<sip::Message>&& response) {
  const int r = rank(status);
  if (ctx.best_status_ == 0 || r < ctx.best_rank_) {
    ctx.best_status_ = status;
    ctx.best_rank_ = r;
    ctx.best_ = std::move(response);
  }
}

void Proxy::Impl::check_done(Context& ctx) {
  if (ctx.phase_ != Context::Phase::kForwarding) {
    return;
  }
  for (const Branch& b : ctx.branches_) {
    if (b.state != Branch::State::kDone) {
      return;
    }
  }
  if (!ctx.final_sent_) {
    send_best(ctx);
  }
  end_context(ctx);
}

// §16.7 step 6-9: the best final once every branch is done.
void Proxy::Impl::send_best(Context& ctx) {
  ctx.final_sent_ = true;
  const int status = ctx.best_status_ == 0 ? 500 : ctx.best_status_;
  const bool invite = ctx.request_.method() == sip::Method::kInvite;
  if (status == 408 && !invite) {
    // RFC 4320 §4.2: never a 408 to a non-INVITE (ours or a downstream one); the caller's own
    // Timer F concludes.
    counters.no_408_non_invite.inc();
    layer.terminate_server(ctx.server_tx_);
    return;
  }
  if (status == 503) {
    respond_local(ctx, 500);  // §16.7 step 6: 503 would stop the caller using us at all
    return;
  }
  if (!ctx.best_) {
    respond_local(ctx, status);  // 408 (nothing answered), 500 (nothing could be tried)
    return;
  }
  forward_upstream(ctx.server_tx_, &ctx, *ctx.best_);
}

// Pops our Via (§16.7 step 3), merges challenges into a 401/407 (step 7), lets the plug-in
// edit, and sends on the server transaction (step 8-9).
bool Proxy::Impl::forward_upstream(transaction::ServerTxId tx, Context* ctx,
                                   const sip::Message& resp) {
  sip::MessageEditor ed(resp);
  if (!ed.pop_via()) {
    counters.edit_error.inc();
    return false;
  }
  const int status = resp.status_code();
  if (ctx != nullptr && (status == 401 || status == 407) && !ctx->auth_.empty()) {
    bool ok = static_cast<bool>(ed.remove_headers(sip::HeaderId::kWwwAuthenticate)) &&
              static_cast<bool>(ed.remove_headers(sip::HeaderId::kProxyAuthenticate));
    for (const std::string& line : ctx->auth_) {
      const std::size_t colon = line.find(':');
      ok = ok && static_cast<bool>(ed.add_header(std::string_view(line).substr(0, colon),
                                                 std::string_view(line).substr(colon + 2)));
    }
    if (!ok) {
      counters.edit_error.inc();
    }
  }
  if (ctx != nullptr) {
    policy.on_forward_response(*ctx, resp, ed);
  }
  std::string bytes;
  ed.serialize(bytes);
  if (!layer.respond(tx, status, std::move(bytes), resp.to_tag())) {
    counters.forward_error.inc();
    return false;
  }
  return true;
}

void Proxy::Impl::cancel_pending(Context& ctx, std::size_t except, std::string_view reason) {
  if (ctx.request_.method() != sip::Method::kInvite) {
    return;  // §9.1: non-INVITE requests are not cancelled
  }
  for (std::size_t i = 0; i < ctx.branches_.size(); ++i) {
    if (i != except) {
      cancel_branch(ctx, i, reason);
    }
  }
}

void Proxy::Impl::cancel_branch(Context& ctx, std::size_t index, std::string_view reason) {
  Branch& b = ctx.branches_[index];
  if (b.state == Branch::State::kDone || b.cancel_sent || b.cancel_wanted) {
    return;
  }
  b.cancel_reason.assign(reason);
  if (b.state == Branch::State::kCalling) {
    b.cancel_wanted = true;  // §9.1: no CANCEL before a provisional response
    return;
  }
  send_cancel(ctx, index);
}

void Proxy::Impl::send_cancel(Context& ctx, std::size_t index) {
  Branch& b = ctx.branches_[index];
  const sip::Message* req = layer.client_request(b.tx);
  const transaction::Peer* peer = layer.client_peer(b.tx);
  b.cancel_wanted = false;
  b.cancel_sent = true;
  if (req == nullptr || peer == nullptr) {
    return;
  }
  std::string bytes;
  if (b.cancel_reason.empty()) {
    sip::build_cancel(*req, bytes);
  } else {
    const std::pair<std::string_view, std::string_view> reason[] = {
        {"Reason", b.cancel_reason}};
    sip::build_cancel(*req, bytes, reason);
  }
  const transaction::Peer to = *peer;
  if (layer.start_client(to, std::move(bytes), 0, {})) {
    counters.cancels_sent.inc();
  } else {
    counters.cancel_send_error.inc();
  }
  // §9.1: without a final response 64*T1 after the CANCEL, the branch is given up.
  const std::uint64_t t = token(ctx.id_, index);
  b.cancel_timer = layer.timer_service().schedule(layer.timers().sixty_four_t1(),
                                                  [this, t] { on_cancel_timeout(t); });
}

void Proxy::Impl::arm_timer_c(Context& ctx, std::size_t index) {
  Branch& b = ctx.branches_[index];
  auto& ts = layer.timer_service();
  ts.cancel(b.timer_c);
  b.timer_c_due = ts.now() + config.timer_c;
  const std::uint64_t t = token(ctx.id_, index);
  b.timer_c = ts.schedule(config.timer_c, [this, t] { on_timer_c(t); });
}

// Timer callbacks carry (context id << 16 | branch index): two words fit std::function's
// inline storage, so arming a timer allocates nothing.
Branch* Proxy::Impl::branch_of_token(std::uint64_t t, Context*& ctx) {
  ctx = find(t >> 16);
  const std::size_t i = t & 0xffff;
  if (ctx == nullptr || i >= ctx->branches_.size()) {
    return nullptr;
  }
  return &ctx->branches_[i];
}

// §16.8: Timer C fired.
void Proxy::Impl::on_timer_c(std::uint64_t t) {
  Context* ctx = nullptr;
  Branch* b = branch_of_token(t, ctx);
  if (b == nullptr) {
    return;
  }
  b->timer_c = 0;
  if (b->state == Branch::State::kDone) {
    return;
  }
  auto& ts = layer.timer_service();
  if (const auto now = ts.now(); now < b->timer_c_due) {
    // A provisional moved the deadline since this timer was armed.
    b->timer_c = ts.schedule(b->timer_c_due - now, [this, t] { on_timer_c(t); });
    return;
  }
  counters.timer_c.inc();
  const std::size_t i = t & 0xffff;
  if (b->state == Branch::State::kProceeding) {
    cancel_branch(*ctx, i, {});  // a provisional came: CANCEL it and wait for its 487
    return;
  }
  layer.terminate_client(b->tx);  // no provisional: as if it answered 408
  branch_final(*ctx, i, 408, std::nullopt);
  check_done(*ctx);
}

// §9.1: our CANCEL got no final response to the INVITE within 64*T1.
void Proxy::Impl::on_cancel_timeout(std::uint64_t t) {
  Context* ctx = nullptr;
  Branch* b = branch_of_token(t, ctx);
  if (b == nullptr) {
    return;
  }
  b->cancel_timer = 0;
  if (b->state == Branch::State::kDone) {
    return;
  }
  counters.cancel_timeout.inc();
  layer.terminate_client(b->tx);
  branch_final(*ctx, t & 0xffff, 408, std::nullopt);
  check_done(*ctx);
}

}  // namespace wimpu::proxy
