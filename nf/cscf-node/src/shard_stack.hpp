#pragma once
// One shard: transport sink -> parse -> transaction layer -> proxy core with the CSCF plug-in.
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "wimpu/cscf_node/sip_node.hpp"
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
  /// A dead flow is seen with Transport::is_live() before the bytes are taken (no copy).
  Expected<transaction::FlowId, transaction::SendError> send_or_keep(
      const transaction::Peer& to, std::string& bytes) override;

private:
  transport::Transport& transport_;
};

/// The layer's transaction user: everything goes to the proxy core except the client
/// transactions this node started as a UAC (cookie with kUacBit), which go to their handler.
class TuDemux final : public transaction::TransactionUser {
public:
  /// Proxy context ids count up from 1 and never reach this bit.
  static constexpr std::uint64_t kUacBit = std::uint64_t{1} << 63;

  explicit TuDemux(proxy::Proxy& proxy) : proxy_(proxy) {}
  std::uint64_t add(UacHandler& h);
  void forget(std::uint64_t cookie) { uac_.erase(cookie); }
  void on_request(transaction::ServerTxId tx, sip::Message&& request,
                  const transaction::Peer& from) override;
  void on_cancel(transaction::ServerTxId cancel_tx, transaction::ServerTxId invite_tx,
                 sip::Message&& cancel, const transaction::Peer& from) override;
  void on_ack(sip::Message&& ack, const transaction::Peer& from,
              transaction::ServerTxId invite_tx) override;
  void on_response(const transaction::ClientTxInfo& tx, sip::Message&& response) override;
  void on_client_failure(const transaction::ClientTxInfo& tx,
                         transaction::ClientFailure why) override;
  void on_server_failure(transaction::ServerTxId tx, transaction::ServerFailure why) override;

private:
  proxy::Proxy& proxy_;
  std::uint64_t next_ = 1;
  std::unordered_map<std::uint64_t, UacHandler*> uac_;
};

class ShardStack final : public transport::MessageSink {
public:
  ShardStack(transport::ShardId shard, transport::ShardPool& pool, transport::Transport& t,
             const transaction::TimerConfig& timers, proxy::RequestPolicy& policy,
             proxy::ProxyConfig config, const std::vector<std::unique_ptr<ShardStack>>& stacks,
             std::size_t expected_transactions = 4096, const FlowClosedHandler* flow_closed = nullptr);
  void on_message(transport::InboundMessage&& msg) override;
  void on_flow_closed(transport::FlowId flow, transport::CloseReason reason) override;
  void deliver(sip::Message&& msg, const transaction::Peer& from);
  proxy::Proxy& proxy() { return proxy_; }
  /// Live server and client transactions of this shard. Shard thread only.
  transaction::TransactionCounts transaction_counts() const { return layer_.counts(); }
  /// SipNode::send_uac_request on this shard.
  bool send_uac(const transaction::Peer& to, std::string_view bytes, UacHandler& handler);

private:
  transport::ShardId shard_;
  transport::ShardPool& pool_;
  const std::vector<std::unique_ptr<ShardStack>>& stacks_;
  const FlowClosedHandler* flow_closed_;
  TransportSender sender_;
  transaction::AsioTimerService timers_;
  transaction::TransactionLayer layer_;
  proxy::Proxy proxy_;
  TuDemux demux_;
  // Inbound messages are parsed into this one, so its buffers keep their capacity across
  // messages: the proxy swaps a request into its context and hands back the buffers of the
  // request its ended context held (Proxy::on_request). In use while a message is delivered;
  // a re-entrant delivery parses into a local Message.
  sip::Message inbound_;
  bool inbound_busy_ = false;
};

}  // namespace wimpu::cscf_node
