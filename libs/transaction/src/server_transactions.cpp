// Server transactions: RFC 3261 §17.2 (Figures 7 and 8), RFC 6026 (Accepted state), §17.2.3
// matching, §9.2 CANCEL matching and §18.2.2 response destinations.
#include <charconv>

#include "layer_impl.hpp"
#include "wimpu/common/assert.hpp"

namespace wimpu::transaction {
namespace {

using detail::ServerTx;
using State = detail::ServerTx::State;

// Index nodes kept for reuse: enough for a burst of transactions ending together.
constexpr std::size_t kSpareServerNodes = 1024;

void append_number(std::string& out, std::uint32_t n) {
  char buf[12];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  (void)ec;
  out.append(buf, end);
}

// §17.2.3: with the magic cookie a request matches on (branch, sent-by, method) where ACK counts
// as INVITE; without it (RFC 2543) on Request-URI, From tag, Call-ID, CSeq number and top Via
// (the To tag is checked separately: the ACK carries the tag of our response). `kind` is the
// method the request must share with the transaction ("INVITE" for ACK; §9.2: "INVITE" to find
// the INVITE a CANCEL targets).
void build_server_key(const sip::Message& msg, std::string_view kind, std::string& out) {
  const sip::Via& via = msg.top_via();
  out.clear();
  if (via.has_magic_cookie()) {
    out.append(via.branch);
    out.push_back('\x1f');
    out.append(via.sent_by());
  } else {
    out.append("\x1f" "2543\x1f");
    out.append(msg.call_id());
    out.push_back('\x1f');
    append_number(out, msg.cseq().number);
    out.push_back('\x1f');
    out.append(msg.from_tag());
    out.push_back('\x1f');
    out.append(via.text);
    out.push_back('\x1f');
    out.append(msg.request_uri().text);
  }
  out.push_back('\x1f');
  out.append(kind);
}

std::string_view request_kind(const sip::Message& msg) {
  if (msg.method() == sip::Method::kInvite || msg.method() == sip::Method::kAck) {
    return "INVITE";
  }
  return msg.method_text();
}

std::uint16_t default_port(Protocol p) {
  switch (p) {
    case Protocol::kTls: return 5061;
    case Protocol::kWs: return 80;
    case Protocol::kWss: return 443;
    default: return 5060;
  }
}

}  // namespace

TransactionLayer::Impl::~Impl() {
  servers.for_each_live([this](std::uint32_t, ServerTx& tx) {
    timer_service.cancel(tx.retransmit_timer);
    timer_service.cancel(tx.wait_timer);
  });
  clients.for_each_live([this](std::uint32_t, detail::ClientTx& tx) {
    timer_service.cancel(tx.retransmit_timer);
    timer_service.cancel(tx.timeout_timer);
    timer_service.cancel(tx.wait_timer);
  });
}

void TransactionLayer::Impl::receive_request(sip::Message&& msg, const Peer& from) {
  if (msg.method() == sip::Method::kAck) {
    receive_ack(std::move(msg), from);
    return;
  }
  build_server_key(msg, request_kind(msg), scratch);
  bool index = true;
  if (auto it = server_index.find(std::string_view(scratch)); it != server_index.end()) {
    ServerTx* tx = server(it->second);
    WIMPU_ASSERT(tx != nullptr);
    if (!tx->rfc2543 || tx->request_to_tag == msg.to_tag()) {
      on_request_retransmission(it->second, *tx);
      return;
    }
    // An RFC 2543 request equal in every keyed field but the To tag is a different transaction
    // (§17.2.3); it cannot share the index entry, so it runs unindexed.
    counters.rfc2543_tag_mismatch.inc();
    index = false;
  }
  if (msg.method() == sip::Method::kCancel) {
    const ServerTxId cancel_tx = create_server(msg, from, index);
    // §9.2: the CANCEL's INVITE is the server transaction matched with the method ignored.
    build_server_key(msg, "INVITE", scratch);
    ServerTxId invite_tx;
    if (auto it = server_index.find(std::string_view(scratch)); it != server_index.end()) {
      invite_tx = it->second;
    }
    tu->on_cancel(cancel_tx, invite_tx, std::move(msg), from);
    return;
  }
  const ServerTxId id = create_server(msg, from, index);
  tu->on_request(id, std::move(msg), from);
}

ServerTxId TransactionLayer::Impl::create_server(const sip::Message& msg, const Peer& from,
                                                 bool index) {
  auto [tx, ids] = servers.allocate();
  tx->reset();
  const ServerTxId id = sid(ids);
  const sip::Via& via = msg.top_via();
  tx->invite = msg.method() == sip::Method::kInvite;
  tx->state = tx->invite ? State::kProceeding : State::kTrying;
  tx->reliable = is_reliable(from.protocol);
  tx->rfc2543 = !via.has_magic_cookie();
  if (tx->rfc2543) {
    tx->request_to_tag.assign(msg.to_tag());
  }
  // §18.2.2: streams answer down the same connection (RFC 7118 §5.3 for WebSocket); if it is
  // gone, a new connection to the received address and the sent-by port. UDP answers the source
  // address, at the source port with rport (RFC 3581 §4), else at the sent-by port.
  tx->peer = from;
  if (tx->reliable) {
    tx->has_fallback = true;
    tx->fallback = Endpoint{from.remote.address, via.port.value_or(default_port(from.protocol))};
  } else {
    tx->peer.remote.port = via.has_rport ? from.remote.port : via.port.value_or(5060);
    if (!via.maddr.empty()) {
      counters.maddr_ignored.inc();  // multicast responses are not supported
    }
  }
  if (index) {
    tx->key = scratch;
    if (!spare_server_nodes.empty()) {
      ServerIndex::node_type node = std::move(spare_server_nodes.back());
      spare_server_nodes.pop_back();
      node.key() = std::string_view(tx->key);
      node.mapped() = id;
      server_index.insert(std::move(node));
    } else {
      server_index.emplace(std::string_view(tx->key), id);
    }
    tx->indexed = true;
  }
  counters.server_created.inc();
  return id;
}

void TransactionLayer::Impl::on_request_retransmission(ServerTxId id, ServerTx& tx) {
  counters.request_retransmission.inc();
  // Figure 7/8: Proceeding and Completed re-send the last response; Trying, Confirmed and
  // Accepted (RFC 6026 §8.5) absorb the retransmission.
  if ((tx.state == State::kProceeding || tx.state == State::kCompleted) &&
      !tx.last_response.empty()) {
    counters.response_retransmission.inc();
    send_response(id, tx, tx.last_response);
  }
}

void TransactionLayer::Impl::receive_ack(sip::Message&& msg, const Peer& from) {
  build_server_key(msg, "INVITE", scratch);
  auto it = server_index.find(std::string_view(scratch));
  ServerTx* tx = it == server_index.end() ? nullptr : server(it->second);
  if (tx != nullptr && tx->rfc2543 && tx->response_to_tag != msg.to_tag()) {
    tx = nullptr;  // §17.2.3: the ACK's To tag must be the one of our response
  }
  if (tx == nullptr) {
    tu->on_ack(std::move(msg), from, ServerTxId{});  // ACK for a 2xx: end-to-end (§13.2.2.4)
    return;
  }
  const ServerTxId id = it->second;
  switch (tx->state) {
    case State::kCompleted:
      // §17.2.1: Completed -> Confirmed; Timer I absorbs ACK retransmissions (0 on reliable).
      counters.ack_absorbed.inc();
      timer_service.cancel(tx->retransmit_timer);
      timer_service.cancel(tx->wait_timer);
      tx->retransmit_timer = 0;
      tx->state = State::kConfirmed;
      if (tx->reliable) {
        terminate_server(id);
      } else {
        tx->wait_timer =
            timer_service.schedule(timers.t4, [this, id] { on_server_wait_end(id); });
      }
      return;
    case State::kConfirmed:
      counters.ack_absorbed.inc();
      return;
    case State::kAccepted:
      tu->on_ack(std::move(msg), from, id);  // RFC 6026 §8.5: passed to the TU
      return;
    default:
      counters.ack_unmatched_state.inc();
      return;
  }
}

Expected<void, RespondError> TransactionLayer::Impl::respond(ServerTxId id, int status,
                                                             std::string bytes,
                                                             std::string_view to_tag) {
  ServerTx* tx = server(id);
  if (tx == nullptr) {
    counters.respond_refused.inc();
    return RespondError::kNoTransaction;
  }
  const bool provisional = status < 200;
  const bool success = status >= 200 && status < 300;
  if (tx->invite) {
    if (tx->state == State::kAccepted && success) {
      // RFC 6026 §8.5: further 2xx (retransmissions, other forks) pass straight through.
      if (!send_response(id, *tx, std::move(bytes))) {
        return RespondError::kTransportError;
      }
      return {};
    }
    if (tx->state != State::kProceeding) {
      counters.respond_refused.inc();
      return RespondError::kWrongState;
    }
    if (provisional) {
      tx->last_response = bytes;
      return send_response(id, *tx, std::move(bytes)) ? Expected<void, RespondError>{}
                                                  : RespondError::kTransportError;
    }
    if (success) {
      // RFC 6026 §8.5: Accepted for Timer L; the 2xx is the TU's to retransmit (§13.3.1.4).
      tx->state = State::kAccepted;
      tx->last_response.clear();
      if (!send_response(id, *tx, std::move(bytes))) {
        return RespondError::kTransportError;
      }
      tx = server(id);
      if (tx != nullptr) {
        tx->wait_timer = timer_service.schedule(timers.sixty_four_t1(),
                                                [this, id] { on_server_wait_end(id); });
      }
      return {};
    }
    // 300-699: Completed; Timer G re-sends on UDP, Timer H waits for the ACK (§17.2.1).
    tx->state = State::kCompleted;
    tx->response_to_tag.assign(to_tag);
    tx->last_response = bytes;
    if (!send_response(id, *tx, std::move(bytes))) {
      return RespondError::kTransportError;
    }
    if (!tx->reliable) {
      tx->interval = timers.t1;
      tx->retransmit_timer = timer_service.schedule(tx->interval, [this, id] { on_timer_g(id); });
    }
    tx->wait_timer = timer_service.schedule(timers.sixty_four_t1(), [this, id] { on_timer_h(id); });
    return {};
  }
  // Non-INVITE (§17.2.2).
  if (tx->state != State::kTrying && tx->state != State::kProceeding) {
    counters.respond_refused.inc();
    return RespondError::kWrongState;
  }
  if (provisional) {
    tx->last_response = bytes;
    tx->state = State::kProceeding;
    return send_response(id, *tx, std::move(bytes)) ? Expected<void, RespondError>{}
                                                : RespondError::kTransportError;
  }
  tx->state = State::kCompleted;
  if (tx->reliable) {
    // Timer J = 0 on reliable transports (§17.2.2): the transaction ends with this send, so no
    // copy is kept for retransmissions and no timer is armed.
    if (send_response(id, *tx, std::move(bytes))) {
      terminate_server(id);
      return {};
    }
    return RespondError::kTransportError;
  }
  tx->last_response = bytes;
  if (!send_response(id, *tx, std::move(bytes))) {
    return RespondError::kTransportError;
  }
  // Timer J (64*T1) absorbs request retransmissions on UDP.
  tx->wait_timer =
      timer_service.schedule(timers.sixty_four_t1(), [this, id] { on_server_wait_end(id); });
  return {};
}

// Sends on the transaction's destination. A failure terminates the transaction (§17.2.4) after
// the stream fallback of §18.2.2 was tried. Returns false when it failed (tx is gone then).
bool TransactionLayer::Impl::send_response(ServerTxId id, ServerTx& tx, std::string bytes) {
  if (tx.has_fallback && tx.peer.flow.valid()) {
    // The bytes stay ours only if the flow is dead: the common case sends without a copy.
    auto r = sender.send_or_keep(tx.peer, bytes);
    if (r) {
      return true;
    }
    if (r.error() != SendError::kFlowDead) {
      bytes.clear();
    } else {
      // §18.2.2: the connection is gone; open one to the received address and sent-by port.
      tx.peer.flow = FlowId{};
      tx.peer.remote = tx.fallback;
    }
  }
  if (!bytes.empty()) {
    auto r = sender.send(tx.peer, std::move(bytes));
    if (r) {
      if (r->valid()) {
        tx.peer.flow = *r;
      }
      return true;
    }
  }
  counters.server_transport_error.inc();
  terminate_server(id);
  tu->on_server_failure(id, ServerFailure::kTransportError);
  return false;
}

void TransactionLayer::Impl::on_timer_g(ServerTxId id) {
  ServerTx* tx = server(id);
  if (tx == nullptr || tx->state != State::kCompleted) {
    return;
  }
  tx->retransmit_timer = 0;
  counters.response_retransmission.inc();
  if (!send_response(id, *tx, tx->last_response)) {
    return;
  }
  tx->interval = std::min(2 * tx->interval, timers.t2);
  tx->retransmit_timer = timer_service.schedule(tx->interval, [this, id] { on_timer_g(id); });
}

void TransactionLayer::Impl::on_timer_h(ServerTxId id) {
  ServerTx* tx = server(id);
  if (tx == nullptr) {
    return;
  }
  tx->wait_timer = 0;
  counters.server_no_ack.inc();
  terminate_server(id);
  tu->on_server_failure(id, ServerFailure::kNoAck);
}

void TransactionLayer::Impl::on_server_wait_end(ServerTxId id) {
  if (ServerTx* tx = server(id); tx != nullptr) {
    tx->wait_timer = 0;
    terminate_server(id);
  }
}

void TransactionLayer::Impl::terminate_server(ServerTxId id) {
  ServerTx* tx = server(id);
  if (tx == nullptr) {
    return;
  }
  timer_service.cancel(tx->retransmit_timer);
  timer_service.cancel(tx->wait_timer);
  if (tx->indexed) {
    ServerIndex::node_type node = server_index.extract(std::string_view(tx->key));
    if (!node.empty() && spare_server_nodes.size() < kSpareServerNodes) {
      spare_server_nodes.push_back(std::move(node));
    }
    tx->indexed = false;
  }
  servers.release(id.slot);
}

}  // namespace wimpu::transaction
