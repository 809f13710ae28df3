#pragma once
// One shard: transport sink -> parse -> transaction layer -> proxy core with the CSCF plug-in.
#include <memory>
#include <vector>

#include "wimpu/proxy/proxy.hpp"
#include "wimpu/transaction/asio_timer_service.hpp"
#include "wimpu/transaction/sender.hpp"
#include "wimpu/transaction/transaction_layer.hpp"
#include "wimpu/transport/message.hpp"
#include "wimpu/transport/shard_pool.hpp"
#include "wimpu/transport/transport.hpp"

namespace wimpu::cscf_node {

/// transaction::Sender over the transport (the flow when known, else send_to: RFC 3261 §18.1.1).
class TransportSender final : public transaction::Sender {
public:
  explicit TransportSender(transport::Transport& t) : transport_(t) {}
  Expected<transaction::FlowId, transaction::SendError> send(const transaction::Peer& to,
                                                             std::string bytes) override;

private:
  transport::Transport& transport_;
};

class ShardStack final : public transport::MessageSink {
public:
  ShardStack(transport::ShardId shard, transport::ShardPool& pool, transport::Transport& t,
             const transaction::TimerConfig& timers, proxy::RequestPolicy& policy,
             proxy::ProxyConfig config, const std::vector<std::unique_ptr<ShardStack>>& stacks);
  void on_message(transport::InboundMessage&& msg) override;
  void on_flow_closed(transport::FlowId flow, transport::CloseReason reason) override;
  void deliver(sip::Message&& msg, const transaction::Peer& from);
  proxy::Proxy& proxy() { return proxy_; }

private:
  transport::ShardId shard_;
  transport::ShardPool& pool_;
  const std::vector<std::unique_ptr<ShardStack>>& stacks_;
  TransportSender sender_;
  transaction::AsioTimerService timers_;
  transaction::TransactionLayer layer_;
  proxy::Proxy proxy_;
};

}  // namespace wimpu::cscf_node
