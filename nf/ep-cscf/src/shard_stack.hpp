#pragma once
// One eP-CSCF shard: the transport sink, the Sender adapter, timers, the transaction layer, the
// proxy core and the EpCscfPolicy. Everything here runs on the shard's thread.
#include <memory>
#include <vector>

#include "wimpu/ep_cscf/policy.hpp"
#include "wimpu/proxy/proxy.hpp"
#include "wimpu/transaction/asio_timer_service.hpp"
#include "wimpu/transaction/sender.hpp"
#include "wimpu/transaction/transaction_layer.hpp"
#include "wimpu/transport/message.hpp"
#include "wimpu/transport/shard_pool.hpp"
#include "wimpu/transport/transport.hpp"

namespace wimpu::ep_cscf {

/// transaction::Sender over the transport: the flow when known, else send_to (RFC 3261 §18.1.1).
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
             const transaction::TimerConfig& timers, std::unique_ptr<EpCscfPolicy> policy,
             proxy::ProxyConfig config, const std::vector<std::unique_ptr<ShardStack>>& stacks);

  void on_message(transport::InboundMessage&& msg) override;
  void on_flow_closed(transport::FlowId flow, transport::CloseReason reason) override;
  void deliver(sip::Message&& msg, const transaction::Peer& from);

private:
  transport::ShardId shard_;
  transport::ShardPool& pool_;
  const std::vector<std::unique_ptr<ShardStack>>& stacks_;
  TransportSender sender_;
  transaction::AsioTimerService timers_;
  transaction::TransactionLayer layer_;
  std::unique_ptr<EpCscfPolicy> policy_;
  proxy::Proxy proxy_;
};

}  // namespace wimpu::ep_cscf
