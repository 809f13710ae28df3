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

Expected<transaction::FlowId, transaction::SendError> TransportSender::send_or_keep(
    const transaction::Peer& to, std::string& bytes) {
  if (to.flow.valid() && !transport_.is_live(to.flow)) {
    return transaction::SendError::kFlowDead;  // bytes untouched: the caller falls back
  }
  return send(to, std::move(bytes));
}

std::uint64_t TuDemux::add(UacHandler& h) {
  const std::uint64_t cookie = kUacBit | next_++;
  uac_.emplace(cookie, &h);
  return cookie;
}

void TuDemux::on_request(transaction::ServerTxId tx, sip::Message&& request,
                         const transaction::Peer& from) {
  proxy_.on_request(tx, std::move(request), from);
}

void TuDemux::on_cancel(transaction::ServerTxId cancel_tx, transaction::ServerTxId invite_tx,
                        sip::Message&& cancel, const transaction::Peer& from) {
  proxy_.on_cancel(cancel_tx, invite_tx, std::move(cancel), from);
}

void TuDemux::on_ack(sip::Message&& ack, const transaction::Peer& from,
                     transaction::ServerTxId invite_tx) {
  proxy_.on_ack(std::move(ack), from, invite_tx);
}

void TuDemux::on_response(const transaction::ClientTxInfo& tx, sip::Message&& response) {
  if ((tx.cookie & kUacBit) == 0) {
    proxy_.on_response(tx, std::move(response));
    return;
  }
  auto it = uac_.find(tx.cookie);
  if (it == uac_.end()) {
    common::counter("cscf_node.uac.stray_response").inc();
    return;
  }
  UacHandler* h = it->second;
  if (response.status_code() >= 200) {
    uac_.erase(it);  // the final response ends our interest (retransmissions are absorbed)
  }
  h->on_uac_response(response);
}

void TuDemux::on_client_failure(const transaction::ClientTxInfo& tx,
                                transaction::ClientFailure why) {
  if ((tx.cookie & kUacBit) == 0) {
    proxy_.on_client_failure(tx, why);
    return;
  }
  auto it = uac_.find(tx.cookie);
  if (it == uac_.end()) {
    return;
  }
  UacHandler* h = it->second;
  uac_.erase(it);
  common::counter("cscf_node.uac.failure").inc();
  h->on_uac_failure(why);
}

void TuDemux::on_server_failure(transaction::ServerTxId tx, transaction::ServerFailure why) {
  proxy_.on_server_failure(tx, why);
}

ShardStack::ShardStack(transport::ShardId shard, transport::ShardPool& pool,
                       transport::Transport& t, const transaction::TimerConfig& timers,
                       proxy::RequestPolicy& policy, proxy::ProxyConfig config,
                       const std::vector<std::unique_ptr<ShardStack>>& stacks,
                       std::size_t expected_transactions, const FlowClosedHandler* flow_closed)
    : shard_(shard),
      pool_(pool),
      stacks_(stacks),
      flow_closed_(flow_closed),
      sender_(t),
      timers_(pool.context(shard)),
      layer_(shard, timers, sender_, timers_, expected_transactions),
      proxy_(layer_, policy, std::move(config)),
      demux_(proxy_) {
  // The Proxy made itself the layer's user; put the demultiplexer in front of it.
  layer_.set_user(demux_);
}

bool ShardStack::send_uac(const transaction::Peer& to, std::string_view bytes,
                          UacHandler& handler) {
  const std::size_t line_end = bytes.find("\r\n");
  if (line_end == std::string_view::npos) {
    common::counter("cscf_node.uac.bad_request").inc();
    return false;
  }
  const proxy::Interface* out = nullptr;
  for (const proxy::Interface& i : proxy_.config().interfaces) {
    if (i.protocol == to.protocol && (out == nullptr || i.listener == to.listener)) {
      out = &i;
    }
  }
  if (out == nullptr) {
    common::counter("cscf_node.uac.no_interface").inc();
    return false;
  }
  // RFC 3261 §8.1.1.7: our Via, first header, with a fresh branch naming this shard (its
  // responses come back here, STYLE.md affinity).
  std::string msg(bytes.substr(0, line_end + 2));
  msg += "Via: SIP/2.0/";
  msg.append(transaction::via_token(to.protocol));
  msg += ' ' + out->host + ':' + std::to_string(out->port) + ";branch=";
  layer_.append_branch(msg);
  if (to.protocol == transaction::Protocol::kUdp) {
    msg.append(";rport");
  }
  msg += "\r\n";
  msg.append(bytes.substr(line_end + 2));
  transaction::Peer hop = to;
  if (hop.listener == transaction::kAnyListener) {
    hop.listener = out->listener;
  }
  const std::uint64_t cookie = demux_.add(handler);
  auto tx = layer_.start_client(hop, std::move(msg), cookie, {});
  if (!tx) {
    common::counter("cscf_node.uac.send_error").inc();
    demux_.forget(cookie);  // no callback will come; the caller sees `false`
    return false;
  }
  common::counter("cscf_node.uac.sent").inc();
  return true;
}

void ShardStack::on_message(transport::InboundMessage&& in) {
  const sip::ParseOptions options =
      in.protocol == transport::Protocol::kUdp ? sip::ParseOptions::datagram()
      : (in.protocol == transport::Protocol::kWs || in.protocol == transport::Protocol::kWss)
          ? sip::ParseOptions::websocket()
          : sip::ParseOptions::stream();
  sip::Message local;
  const bool reuse = !inbound_busy_;
  sip::Message& msg = reuse ? inbound_ : local;
  struct Busy {
    bool& flag;
    bool on;
    ~Busy() {
      if (on) {
        flag = false;
      }
    }
  } busy{inbound_busy_, reuse};
  inbound_busy_ = true;
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

void ShardStack::on_flow_closed(transport::FlowId flow, transport::CloseReason reason) {
  common::counter("cscf_node.flow_closed").inc();
  // Client transactions waiting on that connection fail now, not at Timer B/F (§8.1.3.1).
  layer_.on_flow_closed(flow);
  if (flow_closed_ != nullptr && *flow_closed_) {
    (*flow_closed_)(shard_, flow, reason);
  }
}

}  // namespace wimpu::cscf_node
