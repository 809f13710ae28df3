#include "shard_stack.hpp"

#include "wimpu/common/counter.hpp"
#include "wimpu/transaction/branch.hpp"

namespace wimpu::example_proxy {
namespace {

transaction::SendError map_error(transport::SendError e) {
  switch (e) {
    case transport::SendError::kFlowDead: return transaction::SendError::kFlowDead;
    case transport::SendError::kMessageTooLarge: return transaction::SendError::kTooLarge;
    case transport::SendError::kQueueFull:
    case transport::SendError::kFlowTableFull: return transaction::SendError::kOverload;
    default: return transaction::SendError::kUnreachable;
  }
}

sip::ParseOptions options_for(transport::Protocol p) {
  switch (p) {
    case transport::Protocol::kUdp: return sip::ParseOptions::datagram();
    case transport::Protocol::kWs:
    case transport::Protocol::kWss: return sip::ParseOptions::websocket();
    default: return sip::ParseOptions::stream();
  }
}

struct Counters {
  common::Counter& parse_error = common::counter("example_proxy.parse_error");
  common::Counter& posted = common::counter("example_proxy.posted_to_owner_shard");
  common::Counter& flow_closed = common::counter("example_proxy.flow_closed");
  static Counters& get() {
    static Counters c;
    return c;
  }
};

}  // namespace

Expected<transaction::FlowId, transaction::SendError> TransportSender::send(
    const transaction::Peer& to, std::string bytes) {
  if (to.flow.valid()) {
    auto r = transport_.send(to.flow, std::move(bytes));
    if (!r) {
      return map_error(r.error());
    }
    return to.flow;
  }
  transport::Destination d;
  d.protocol = to.protocol;
  d.remote = to.remote;
  d.via = to.listener;
  auto r = transport_.send_to(d, std::move(bytes));
  if (!r) {
    return map_error(r.error());
  }
  return *r;
}

ShardStack::ShardStack(transport::ShardId shard, transport::ShardPool& pool,
                       transport::Transport& t, const transaction::TimerConfig& timers,
                       std::size_t expected_transactions, proxy::RequestPolicy& policy,
                       proxy::ProxyConfig config,
                       const std::vector<std::unique_ptr<ShardStack>>& stacks)
    : shard_(shard),
      pool_(pool),
      stacks_(stacks),
      sender_(t),
      timers_(pool.context(shard)),
      layer_(shard, timers, sender_, timers_, expected_transactions),
      proxy_(layer_, policy, std::move(config)) {}

void ShardStack::on_message(transport::InboundMessage&& in) {
  sip::Message msg;
  if (!sip::parse_into(msg, in.data, options_for(in.protocol))) {
    // Unparseable: no Via to answer to reliably; dropped and counted (sip.parse_error.* too).
    Counters::get().parse_error.inc();
    return;
  }
  transaction::Peer from;
  from.protocol = in.protocol;
  from.remote = in.remote;
  from.flow = in.flow;
  from.listener = in.listener;
  if (msg.is_response()) {
    // Our branches name the shard that owns the client transaction (STYLE.md affinity).
    auto owner = transaction::shard_from_branch(msg.top_via().branch);
    if (owner && *owner != shard_ && *owner < stacks_.size()) {
      Counters::get().posted.inc();
      ShardStack* target = stacks_[*owner].get();
      pool_.post(*owner, [target, m = std::move(msg), from]() mutable {
        target->deliver(std::move(m), from);
      });
      return;
    }
  }
  deliver(std::move(msg), from);
}

void ShardStack::deliver(sip::Message&& msg, const transaction::Peer& from) {
  layer_.receive(std::move(msg), from);
}

void ShardStack::on_flow_closed(transport::FlowId flow, transport::CloseReason) {
  // Branches waiting on that connection fail now (as a 503) instead of at Timer B/F.
  Counters::get().flow_closed.inc();
  layer_.on_flow_closed(flow);
}

}  // namespace wimpu::example_proxy
