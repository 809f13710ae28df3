// Forwarding: RFC 3261 §16.6 (one branch per target) and §16.11 (stateless ACK for 2xx).
#include <charconv>

#include "proxy_impl.hpp"
#include "wire_helpers.hpp"
#include "wimpu/sip/name_addr.hpp"
#include "wimpu/transaction/branch.hpp"

namespace wimpu::proxy {

using detail::Branch;
using detail::Context;
using transaction::Peer;
using transaction::Protocol;

namespace {

void append_port(std::string& out, std::uint16_t port) {
  char buf[8];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, port);
  (void)ec;
  out.append(buf, end);
}

// "<sip:[user@]host:port[;transport=x];lr[;r2=on]>" (§16.6 step 4, RFC 5658 r2).
void append_record_route(std::string& out, const Interface& i, std::string_view user, bool pair) {
  out.append("<sip:");
  if (!user.empty()) {
    out.append(user);
    out.push_back('@');
  }
  out.append(i.host);
  out.push_back(':');
  append_port(out, i.port);
  if (i.protocol != Protocol::kUdp) {
    out.append(";transport=");
    out.append(transaction::to_string(i.protocol));
  }
  out.append(";lr");
  if (pair) {
    out.append(";r2=on");
  }
  out.push_back('>');
}

}  // namespace

void Proxy::Impl::start_targets(Context& ctx) {
  // Targets can only be added while forwarding is allowed (add_target checks the flags).
  std::vector<Target> targets = std::move(ctx.new_targets_);
  ctx.new_targets_.clear();
  for (Target& t : targets) {
    if (ctx.branches_.size() >= config.max_branches) {
      counters.too_many_branches.inc();
      break;
    }
    ctx.branches_.push_back(Branch{});
    ctx.branches_.back().target = std::move(t);
    start_branch(ctx, ctx.branches_.size() - 1);
  }
  if (ctx.branches_.empty()) {
    // Every target was refused before a branch existed: the 500 comes from check_done().
    ctx.best_status_ = ctx.best_status_ == 0 ? 500 : ctx.best_status_;
  }
}

void Proxy::Impl::start_branch(Context& ctx, std::size_t index) {
  Peer hop;
  std::string bytes;
  if (!build_branch(ctx, ctx.branches_[index].target, hop, bytes, false)) {
    counters.branch_unresolvable.inc();
    branch_final(ctx, index, 503, std::nullopt);  // §16.9: as if the hop answered 503
    return;
  }
  auto tx = layer.start_client(hop, std::move(bytes), ctx.id_, ctx.server_tx_);
  if (!tx) {
    counters.branch_send_error.inc();
    branch_final(ctx, index, 503, std::nullopt);
    return;
  }
  ctx.branches_[index].tx = *tx;
  if (ctx.request_.method() == sip::Method::kInvite) {
    arm_timer_c(ctx, index);  // §16.6 step 11
  }
}

bool Proxy::Impl::build_branch(Context& ctx, const Target& target, Peer& hop, std::string& out,
                               bool stateless) {
  const sip::Message& r = ctx.request_;
  sip::MessageEditor ed = ctx.editor_;  // §16.6 step 1: a copy per branch
  auto ok = [this](const sip::EditResult& e) {
    if (!e) {
      counters.edit_error.inc();
    }
    return static_cast<bool>(e);
  };

  // Step 2: the Request-URI of the target.
  std::string_view ruri_text = target.uri.empty() ? std::string_view(ctx.request_uri_)
                                                  : std::string_view(target.uri);
  auto ruri = sip::parse_uri(ruri_text);
  if (!ruri) {
    return false;
  }

  // Step 6/7: the first Route after ours (a pre-loaded one first) decides the next hop.
  std::optional<sip::NameAddr> first_route;
  bool first_route_from_request = false;
  if (!target.routes.empty()) {
    auto na = sip::parse_name_addr(target.routes.front(), sip::NameAddrForm::kNameAddrOnly);
    if (!na) {
      return false;
    }
    first_route = *na;
  } else if (ctx.remaining_route_) {
    first_route = r.routes()[ctx.first_route_];
    first_route_from_request = true;
  }
  const bool strict_next = first_route && !first_route->uri.lr();
  // Step 6: a strict next hop gets the Request-URI as its last Route and becomes the
  // Request-URI itself.
  std::string_view final_ruri = strict_next ? first_route->uri.text : ruri_text;
  if (final_ruri != r.request_uri().text && !ok(ed.set_request_uri(final_ruri))) {
    return false;
  }
  // Step 3.
  if (!ok(ed.decrement_max_forwards())) {
    return false;
  }
  // Step 6 (pre-loaded route set), pushed bottom-up so routes[0] ends on top.
  for (std::size_t i = target.routes.size(); i-- > 0;) {
    if (strict_next && i == 0) {
      continue;  // it became the Request-URI
    }
    if (!ok(ed.push_route(target.routes[i]))) {
      return false;
    }
  }
  if (strict_next) {
    if (first_route_from_request && !ok(ed.pop_route())) {
      return false;
    }
    std::string value = "<";
    value.append(ruri_text);
    value.push_back('>');
    if (!ok(ed.append_route(value))) {
      return false;
    }
  }
  // Step 7: where it goes.
  if (target.next_hop) {
    hop = *target.next_hop;
  } else if (!detail::resolve_uri(first_route ? first_route->uri : *ruri, hop)) {
    return false;
  }
  const Interface& out_if = locality.outbound(hop.protocol, hop.listener);
  if (hop.listener == transaction::kAnyListener) {
    hop.listener = out_if.listener;
  }
  // Step 4: Record-Route; two values when the sides differ (RFC 5658), outbound one on top.
  if (ctx.record_route_ && !stateless) {
    const Interface& in_if = locality.inbound(ctx.source_);
    const std::string_view rr_user =
        target.record_route_user.empty() ? std::string_view(ctx.rr_user_) : target.record_route_user;
    std::string rr;
    if (&in_if != &out_if) {
      append_record_route(rr, in_if, rr_user, true);
      if (!ok(ed.push_record_route(rr))) {
        return false;
      }
      rr.clear();
      append_record_route(rr, out_if, rr_user, true);
    } else {
      append_record_route(rr, out_if, rr_user, false);
    }
    if (!ok(ed.push_record_route(rr))) {
      return false;
    }
  }
  // Step 5: the plug-in's per-branch headers.
  for (const auto& [name, value] : target.headers) {
    if (!ok(ed.add_header(name, value))) {
      return false;
    }
  }
  // Step 8: our Via, with the loop-detection hash in the branch (§16.3 item 4).
  std::string via = "SIP/2.0/";
  via.append(transaction::via_token(hop.protocol));
  via.push_back(' ');
  via.append(out_if.host);
  via.push_back(':');
  append_port(via, out_if.port);
  via.append(";branch=");
  if (stateless) {
    // §16.11: the same branch for every retransmission of this ACK.
    via.append(transaction::kMagicCookie);
    append_port(via, layer.shard());
    via.push_back('.');
    detail::append_stateless_hash(r, via);
  } else {
    layer.append_branch(via, ctx.loop_hash_);
  }
  if (hop.protocol == Protocol::kUdp) {
    via.append(";rport");
  }
  if (!ok(ed.push_via(via))) {
    return false;
  }
  ed.serialize(out);
  return true;
}

// §16.11-style forwarding of an ACK for a 2xx: no transaction, no Record-Route.
void Proxy::Impl::forward_ack(Context& ctx) {
  Target target = ctx.new_targets_.empty() ? Target{} : std::move(ctx.new_targets_.front());
  ctx.new_targets_.clear();
  Peer hop;
  std::string bytes;
  if (!build_branch(ctx, target, hop, bytes, true)) {
    counters.ack_dropped.inc();
    return;
  }
  if (layer.send_stateless(hop, std::move(bytes))) {
    counters.ack_forwarded.inc();
  } else {
    counters.ack_dropped.inc();
  }
}

}  // namespace wimpu::proxy
