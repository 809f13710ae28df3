#pragma once
// One shard of the example proxy: the transport sink, the Sender adapter, timers, the transaction
// layer and the proxy core. Everything here runs on the shard's thread.
#include <memory>
#include <vector>

#include "wimpu/proxy/proxy.hpp"
#include "wimpu/sip/message.hpp"
#include "wimpu/transaction/asio_timer_service.hpp"
#include "wimpu/transaction/sender.hpp"
#include "wimpu/transaction/transaction_layer.hpp"
#include "wimpu/transport/message.hpp"
#include "wimpu/transport/shard_pool.hpp"
#include "wimpu/transport/transport.hpp"

namespace wimpu::example_proxy {

/// transaction::Sender over the transport: a flow when we have one, else send_to (RFC 3261
/// §18.1.1: connect on demand for streams; UDP from the chosen listener's socket).
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
  /// `stacks` is every shard's stack (indexed by shard), for posting to the owner of a branch.
  ShardStack(transport::ShardId shard, transport::ShardPool& pool, transport::Transport& t,
             const transaction::TimerConfig& timers, std::size_t expected_transactions,
             proxy::RequestPolicy& policy, proxy::ProxyConfig config,
             const std::vector<std::unique_ptr<ShardStack>>& stacks);

  void on_message(transport::InboundMessage&& msg) override;
  void on_flow_closed(transport::FlowId flow, transport::CloseReason reason) override;

  /// Hands a parsed message to this shard's transaction layer. On this shard's thread only.
  void deliver(sip::Message&& msg, const transaction::Peer& from);

private:
  transport::ShardId shard_;
  transport::ShardPool& pool_;
  const std::vector<std::unique_ptr<ShardStack>>& stacks_;
  TransportSender sender_;
  transaction::AsioTimerService timers_;
  transaction::TransactionLayer layer_;
  proxy::Proxy proxy_;
};

}  // namespace wimpu::example_proxy
