#include "shard_stack.hpp"

#include "wimpu/common/counter.hpp"
#include "wimpu/transaction/branch.hpp"

namespace wimpu::cscf_node {
namespace {

transaction::SendError to_transaction_error(transport::SendError e) {
  using transport::SendError;
  if (e == SendError::kFlowDead) {
    return transaction::SendError::kFlowDead;
  }
  if (e == SendError::kMessageTooLarge) {
    return transaction::SendError::kTooLarge;
  }
  if (e == SendError::kQueueFull || e == SendError::kFlowTableFull) {
    return transaction::SendError::kOverload;
  }
  return transaction::SendError::kUnreachable;
}

}  // namespace

Expected<transaction::FlowId, transaction::SendError> TransportSender::send(
    const transaction::Peer& to, std::string bytes) {
  if (to.flow.valid()) {
    if (auto r = transport_.send(to.flow, std::move(bytes)); !r) {
      return to_transaction_error(r.error());
    }
    return to.flow;
  }
  transport::Destination d;
  d.protocol = to.protocol;
  d.remote = to.remote;
  d.via = to.listener;
  auto r = transport_.send_to(d, std::move(bytes));
  if (!r) {
    return to_transaction_error(r.error());
  }
  return *r;
}

ShardStack::ShardStack(transport::ShardId shard, transport::ShardPool& pool,
                       transport::Transport& t, const transaction::TimerConfig& timers,
                       proxy::RequestPolicy& policy, proxy::ProxyConfig config,
                       const std::vector<std::unique_ptr<ShardStack>>& stacks)
    : shard_(shard),
      pool_(pool),
      stacks_(stacks),
      sender_(t),
      timers_(pool.context(shard)),
      layer_(shard, timers, sender_, timers_),
      proxy_(layer_, policy, std::move(config)) {}

void ShardStack::on_message(transport::InboundMessage&& in) {
  const sip::ParseOptions options =
      in.protocol == transport::Protocol::kUdp ? sip::ParseOptions::datagram()
      : (in.protocol == transport::Protocol::kWs || in.protocol == transport::Protocol::kWss)
          ? sip::ParseOptions::websocket()
          : sip::ParseOptions::stream();
  sip::Message msg;
  if (!sip::parse_into(msg, in.data, options)) {
    common::counter("cscf_node.parse_error").inc();
    return;
  }
  transaction::Peer from;
  from.protocol = in.protocol;
  from.remote = in.remote;
  from.flow = in.flow;
  from.listener = in.listener;
  if (msg.is_response()) {
    // The branch names the shard owning the client transaction (STYLE.md affinity).
    auto owner = transaction::shard_from_branch(msg.top_via().branch);
    if (owner && *owner != shard_ && *owner < stacks_.size()) {
      common::counter("cscf_node.posted_to_owner_shard").inc();
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

void ShardStack::on_flow_closed(transport::FlowId, transport::CloseReason) {
  common::counter("cscf_node.flow_closed").inc();
}

}  // namespace wimpu::cscf_node
