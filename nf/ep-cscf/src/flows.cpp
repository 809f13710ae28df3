// Routing down WIC flows (RFC 5626 §5.3): flow tokens in our Record-Route and Path URIs, the
// 403/430 answers for tampered and dead flows, and the per-shard flow -> IMPU table.
#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include "wimpu/common/counter.hpp"
#include "wimpu/ep_cscf/policy.hpp"
#include "wimpu/sip/uri.hpp"

namespace wimpu::ep_cscf {

using proxy::Decision;

namespace {

common::Counter& count(std::string_view what) {
  return common::counter("ep_cscf.flow." + std::string(what));
}

// Looked up once, not per request (count() builds the name and takes the registry lock); the
// same for every counter of the file, hot or not (libs/transaction's detail::Counters likewise).
struct FlowCounters {
  common::Counter& bad_uri = count("bad_uri");
  common::Counter& tampered = count("tampered");
  common::Counter& dead = count("dead");
  common::Counter& targeted = count("targeted");
  common::Counter& stale = count("stale");
};

FlowCounters& counters() {
  static FlowCounters c;
  return c;
}

transport::Protocol protocol_of(std::string_view transport_param) {
  auto is = [&](std::string_view t) { return sip::escaped_iequal(transport_param, t); };
  if (is("ws")) {
    return transport::Protocol::kWs;
  }
  if (is("wss")) {
    return transport::Protocol::kWss;
  }
  if (is("tcp")) {
    return transport::Protocol::kTcp;
  }
  if (is("tls")) {
    return transport::Protocol::kTls;
  }
  return transport::Protocol::kUdp;
}

}  // namespace

int EpCscfPolicy::target_flow(proxy::RequestContext& ctx, std::string_view uri_text,
                              std::uint64_t user_data,
                              std::vector<std::pair<std::string, std::string>> headers,
                              std::string target_uri, std::string_view record_route_prefix) {
  std::string_view text = uri_text;
  if (!text.empty() && text.front() == '<') {
    auto na = sip::parse_name_addr(text, sip::NameAddrForm::kNameAddrOnly);
    if (!na) {
      counters().bad_uri.inc();
      return 403;
    }
    text = na->uri.text;
  }
  auto uri = sip::parse_uri(text);
  if (!uri) {
    counters().bad_uri.inc();
    return 403;
  }
  // RFC 5626 §5.3.1: a token that fails its MAC check -> 403; a genuine one whose flow is
  // gone -> 430 Flow Failed.
  auto flow = transport_.decode_flow_token(uri->user);
  if (!flow) {
    if (flow.error() == transport::FlowTokenError::kTampered) {
      counters().tampered.inc();
      return 403;
    }
    counters().dead.inc();
    return 430;
  }
  if (!transport_.is_live(*flow)) {
    counters().dead.inc();
    return 430;
  }
  proxy::Target t;
  t.uri = std::move(target_uri);
  transaction::Peer hop;
  hop.protocol = protocol_of(uri->transport());
  hop.flow = *flow;
  t.next_hop = hop;
  t.user_data = user_data;
  t.headers = std::move(headers);
  if (!record_route_prefix.empty()) {
    t.record_route_user.reserve(record_route_prefix.size() + uri->transport().size() +
                                uri->user.size() + 2);
    t.record_route_user.append(record_route_prefix);
    t.record_route_user.push_back('.');
    t.record_route_user.append(uri->transport());
    t.record_route_user.push_back('.');
    t.record_route_user.append(uri->user);
  }
  ctx.add_target(std::move(t));
  counters().targeted.inc();
  return 0;
}

std::optional<Decision> EpCscfPolicy::route_by_flow_token(proxy::RequestContext& ctx) {
  // With RFC 5658 double Record-Route both of our values carry the user part; the last one we
  // popped faces the WIC and says its transport.
  const sip::NameAddr* ours = nullptr;
  for (const sip::NameAddr& r : ctx.popped_routes()) {
    if (!r.uri.user.empty()) {
      ours = &r;
    }
  }
  if (ours == nullptr || ours->uri.user == "orig") {
    return std::nullopt;
  }
  const std::string_view user = ours->uri.user;
  if (user.starts_with(kTermMarker)) {
    return on_terminating_in_dialog(ctx, user);
  }
  if (is_block_path_token(user)) {
    return std::nullopt;  // a terminating request for the block's IMPUs (seed 5.2.2.5.3)
  }
  const int status = target_flow(ctx, ours->uri.text, 0);
  if (status == 403) {
    return Decision::respond(403, "Forbidden");
  }
  if (status == 430) {
    return Decision::respond(430, "Flow Failed");
  }
  return Decision::proceed();
}

void EpCscfPolicy::remember_flow(const std::string& token, const std::string& impu,
                                 const WimpuDomain* domain, bool registered) {
  if (registered) {
    // A re-REGISTER on the same flow finds its entry unchanged: no allocation then.
    WicFlow& f = wic_flows_[token];
    if (f.impu != impu) {
      f.impu = impu;
    }
    f.domain = domain;
  } else {
    wic_flows_.erase(token);
  }
}

namespace {
// Slots beyond this are not cached (the table stays small whatever the flow ids look like).
constexpr std::uint32_t kMaxCachedFlowSlots = 1U << 20;
}  // namespace

const std::string& EpCscfPolicy::cached_flow_token(transport::FlowId flow) {
  if (flow.slot >= kMaxCachedFlowSlots) {
    flow_token_overflow_ = transport_.flow_token(flow);
    return flow_token_overflow_;
  }
  if (flow.slot >= flow_tokens_.size()) {
    flow_tokens_.resize(std::max<std::size_t>(flow.slot + 1, flow_tokens_.size() * 2));
  }
  CachedFlowToken& c = flow_tokens_[flow.slot];
  if (!(c.flow == flow) || c.token.empty()) {
    c.flow = flow;
    c.token = transport_.flow_token(flow);
  }
  return c.token;
}

void EpCscfPolicy::forget_flow_token(transport::FlowId flow) {
  if (flow.slot < flow_tokens_.size() && flow_tokens_[flow.slot].flow == flow) {
    flow_tokens_[flow.slot] = CachedFlowToken{};
  }
}

void EpCscfPolicy::spawn_after_return(boost::asio::awaitable<void> task) {
  // co_spawn may run the coroutine inline, and the memory W4 never suspends: the resume() would
  // then come before on_request() returned Decision::wait(). Post first.
  boost::asio::post(shard_, [this, t = std::move(task)]() mutable {
    boost::asio::co_spawn(shard_, std::move(t), boost::asio::detached);
  });
}

void EpCscfPolicy::resume_with(proxy::ContextId id, Decision d) {
  if (proxy_->find(id) == nullptr) {  // CANCELled or ended meanwhile (sprout's CANCEL race)
    counters().stale.inc();
    return;
  }
  proxy_->resume(id, std::move(d));
}

}  // namespace wimpu::ep_cscf
