// Client transactions: RFC 3261 §17.1 (Figures 5 and 6), RFC 6026 (Accepted state), §17.1.3
// response matching and §17.1.1.3 ACK for non-2xx final responses.
#include <vector>

#include "layer_impl.hpp"
#include "wimpu/common/assert.hpp"
#include "wimpu/sip/builder.hpp"

namespace wimpu::transaction {
namespace {

using detail::ClientTx;
using State = detail::ClientTx::State;

// §17.1.3: the top Via branch and the CSeq method (a CANCEL shares its INVITE's branch, §9.1).
void build_client_key(std::string_view branch, std::string_view method, std::string& out) {
  out.clear();
  out.append(branch);
  out.push_back('\x1f');
  out.append(method);
}

StartError from_send_error(SendError e) {
  switch (e) {
    case SendError::kFlowDead: return StartError::kFlowDead;
    case SendError::kUnreachable: return StartError::kUnreachable;
    case SendError::kTooLarge: return StartError::kTooLarge;
    case SendError::kOverload: return StartError::kOverload;
  }
  return StartError::kUnreachable;
}

}  // namespace

Expected<ClientTxId, StartError> TransactionLayer::Impl::start_client(const Peer& to,
                                                                      std::string bytes,
                                                                      std::uint64_t cookie,
                                                                      ServerTxId upstream) {
  auto [tx, ids] = clients.allocate();
  tx->reset();
  const ClientTxId id = cid(ids);
  auto parsed = sip::parse_into(tx->request, bytes, sip::ParseOptions::datagram());
  if (!parsed || !tx->request.is_request() || tx->request.method() == sip::Method::kAck ||
      tx->request.top_via().branch.empty()) {
    clients.release(id.slot);
    counters.client_invalid.inc();
    return StartError::kInvalidRequest;
  }
  const sip::Message& req = tx->request;
  tx->invite = req.method() == sip::Method::kInvite;
  build_client_key(req.top_via().branch, req.cseq().method_text, tx->key);
  if (client_index.contains(std::string_view(tx->key))) {
    clients.release(id.slot);
    counters.client_duplicate.inc();
    return StartError::kDuplicateBranch;
  }
  auto sent = sender.send(to, std::move(bytes));
  if (!sent) {
    clients.release(id.slot);
    counters.client_transport_error.inc();
    return from_send_error(sent.error());
  }
  tx->peer = to;
  if (sent->valid()) {
    tx->peer.flow = *sent;  // later ACK/CANCEL/retransmissions use the same connection
  }
  tx->reliable = is_reliable(to.protocol);
  tx->info = ClientTxInfo{id, cookie, upstream};
  client_index.emplace(std::string_view(tx->key), id);
  if (tx->reliable && tx->peer.flow.valid()) {
    std::vector<ClientTxId>& on_flow = clients_by_flow[tx->peer.flow];
    tx->flow_pos = static_cast<std::uint32_t>(on_flow.size());
    on_flow.push_back(id);
  }
  counters.client_created.inc();
  // Timer A / E: retransmit on unreliable transports only (§17.1.1.2, §17.1.2.2).
  if (!tx->reliable) {
    tx->interval = timers.t1;
    tx->retransmit_timer =
        timer_service.schedule(tx->interval, [this, id] { on_timer_retransmit(id); });
  }
  // Timer B / F: 64*T1 on every transport.
  tx->timeout_timer =
      timer_service.schedule(timers.sixty_four_t1(), [this, id] { on_timer_timeout(id); });
  return id;
}

void TransactionLayer::Impl::receive_response(sip::Message&& msg, const Peer& from) {
  (void)from;
  build_client_key(msg.top_via().branch, msg.cseq().method_text, scratch);
  auto it = client_index.find(std::string_view(scratch));
  if (it == client_index.end()) {
    counters.stray_response.inc();
    return;
  }
  const ClientTxId id = it->second;
  ClientTx* tx = client(id);
  WIMPU_ASSERT(tx != nullptr);
  const int status = msg.status_code();
  const ClientTxInfo info = tx->info;
  const bool live = tx->state == State::kCalling || tx->state == State::kProceeding;

  if (tx->invite) {
    if (live) {
      timer_service.cancel(tx->retransmit_timer);
      tx->retransmit_timer = 0;
      if (status < 200) {
        // Calling -> Proceeding: no more retransmissions, and Timer B no longer applies (the
        // proxy's Timer C takes over, §16.8).
        timer_service.cancel(tx->timeout_timer);
        tx->timeout_timer = 0;
        tx->state = State::kProceeding;
        tx->provisional_seen = true;
      } else if (status < 300) {
        // RFC 6026 §8.4: Accepted, Timer M; every 2xx goes to the TU.
        timer_service.cancel(tx->timeout_timer);
        tx->timeout_timer = 0;
        tx->state = State::kAccepted;
        tx->wait_timer = timer_service.schedule(timers.sixty_four_t1(),
                                                [this, id] { on_client_wait_end(id); });
      } else {
        // §17.1.1.3: ACK the non-2xx ourselves, Completed, Timer D (0 on reliable).
        timer_service.cancel(tx->timeout_timer);
        tx->timeout_timer = 0;
        sip::build_ack_for_non2xx(tx->request, msg, tx->ack);
        if (!sender.send(tx->peer, std::string(tx->ack))) {
          counters.ack_send_error.inc();
        }
        tx->state = State::kCompleted;
        if (tx->reliable) {
          terminate_client(id);
        } else {
          tx->wait_timer =
              timer_service.schedule(timers.timer_d, [this, id] { on_client_wait_end(id); });
        }
      }
      tu->on_response(info, std::move(msg));
      return;
    }
    if (tx->state == State::kCompleted && status >= 300) {
      counters.response_retransmission.inc();
      if (!sender.send(tx->peer, std::string(tx->ack))) {
        counters.ack_send_error.inc();
      }
      return;
    }
    if (tx->state == State::kAccepted && status >= 200 && status < 300) {
      tu->on_response(info, std::move(msg));
      return;
    }
    counters.late_response.inc();
    return;
  }

  // Non-INVITE (§17.1.2.2).
  if (!live) {
    counters.late_response.inc();  // Completed absorbs retransmitted finals
    return;
  }
  if (status < 200) {
    tx->state = State::kProceeding;
    tx->provisional_seen = true;
  } else {
    timer_service.cancel(tx->retransmit_timer);
    timer_service.cancel(tx->timeout_timer);
    tx->retransmit_timer = tx->timeout_timer = 0;
    tx->state = State::kCompleted;
    if (tx->reliable) {
      terminate_client(id);  // Timer K = 0
    } else {
      tx->wait_timer =
          timer_service.schedule(timers.t4, [this, id] { on_client_wait_end(id); });
    }
  }
  tu->on_response(info, std::move(msg));
}

void TransactionLayer::Impl::on_timer_retransmit(ClientTxId id) {
  ClientTx* tx = client(id);
  if (tx == nullptr) {
    return;
  }
  tx->retransmit_timer = 0;
  if (tx->invite ? tx->state != State::kCalling
                 : (tx->state != State::kCalling && tx->state != State::kProceeding)) {
    return;
  }
  if (!sender.send(tx->peer, std::string(tx->request.bytes()))) {
    counters.client_transport_error.inc();
    fail_client(id, ClientFailure::kTransportError);
    return;
  }
  // Timer A doubles without a cap; Timer E doubles up to T2, and is T2 once Proceeding.
  if (tx->invite) {
    tx->interval *= 2;
  } else if (tx->state == State::kProceeding) {
    tx->interval = timers.t2;
  } else {
    tx->interval = std::min(2 * tx->interval, timers.t2);
  }
  tx->retransmit_timer =
      timer_service.schedule(tx->interval, [this, id] { on_timer_retransmit(id); });
}

void TransactionLayer::Impl::on_timer_timeout(ClientTxId id) {
  ClientTx* tx = client(id);
  if (tx == nullptr) {
    return;
  }
  tx->timeout_timer = 0;
  counters.client_timeout.inc();
  fail_client(id, ClientFailure::kTimeout);
}

void TransactionLayer::Impl::fail_client(ClientTxId id, ClientFailure why) {
  ClientTx* tx = client(id);
  if (tx == nullptr) {
    return;
  }
  const ClientTxInfo info = tx->info;
  terminate_client(id);
  tu->on_client_failure(info, why);
}

void TransactionLayer::Impl::on_client_wait_end(ClientTxId id) {
  if (ClientTx* tx = client(id); tx != nullptr) {
    tx->wait_timer = 0;
    terminate_client(id);
  }
}

void TransactionLayer::Impl::terminate_client(ClientTxId id) {
  ClientTx* tx = client(id);
  if (tx == nullptr) {
    return;
  }
  timer_service.cancel(tx->retransmit_timer);
  timer_service.cancel(tx->timeout_timer);
  timer_service.cancel(tx->wait_timer);
  client_index.erase(std::string_view(tx->key));
  if (tx->reliable && tx->peer.flow.valid()) {
    auto it = clients_by_flow.find(tx->peer.flow);
    if (it != clients_by_flow.end()) {
      std::vector<ClientTxId>& on_flow = it->second;
      const std::uint32_t pos = tx->flow_pos;
      // Fatal in release too: a wrong position would overwrite another transaction's entry.
      WIMPU_RELEASE_ASSERT(pos < on_flow.size() && on_flow[pos] == id);
      if (pos + 1 < on_flow.size()) {
        on_flow[pos] = on_flow.back();
        if (ClientTx* moved = client(on_flow[pos])) {
          moved->flow_pos = pos;
        }
      }
      on_flow.pop_back();  // an empty list stays, with its capacity, until the flow closes
    }
  }
  clients.release(id.slot);
}

void TransactionLayer::Impl::on_flow_closed(FlowId flow) {
  auto it = clients_by_flow.find(flow);
  if (it == clients_by_flow.end()) {
    return;
  }
  // The list goes with the connection. Taken out first: failing a transaction calls the TU,
  // which may start or end others. Transactions left listed (Completed, Accepted) find no list
  // when they end, which terminate_client() allows.
  std::vector<ClientTxId> listed = std::move(it->second);
  clients_by_flow.erase(it);
  bool counted = false;
  for (ClientTxId id : listed) {
    const ClientTx* tx = client(id);
    if (tx != nullptr && (tx->state == State::kCalling || tx->state == State::kProceeding)) {
      if (!counted) {
        counters.flow_closed.inc();  // once per connection, however many transactions it had
        counted = true;
      }
      fail_client(id, ClientFailure::kTransportError);
    }
  }
}

}  // namespace wimpu::transaction
