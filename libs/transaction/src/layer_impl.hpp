#pragma once
// Internals of TransactionLayer: the four RFC 3261 §17 state machines and their tables.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "slab.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/transaction/transaction_layer.hpp"

namespace wimpu::transaction {

namespace detail {

/// Heterogeneous string hash so tables keyed by string_view are probed with a scratch buffer.
struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

/// INVITE server transaction (Figure 7 + RFC 6026 Accepted) and non-INVITE server transaction
/// (Figure 8) share this record; `invite` selects the machine.
struct ServerTx {
  enum class State : std::uint8_t { kTrying, kProceeding, kCompleted, kConfirmed, kAccepted };
  State state = State::kTrying;
  bool invite = false;
  bool reliable = false;
  bool rfc2543 = false;  // matched by §17.2.3's RFC 2543 rules (no magic cookie)
  bool indexed = false;
  std::string key;       // the server_index key (viewed by the index while indexed)
  std::string request_to_tag;   // RFC 2543: To tag of the request that created it
  std::string response_to_tag;  // RFC 2543: To tag of our final response, matched by the ACK
  Peer peer;             // where responses go (§18.2.2)
  bool has_fallback = false;
  Endpoint fallback;     // streams: received address + sent-by port if the connection died
  std::string last_response;  // re-sent on request retransmissions and Timer G
  TimerId retransmit_timer = 0;  // G
  TimerId wait_timer = 0;        // H, I, J or L
  common::Duration interval{};

  void reset() {
    state = State::kTrying;
    invite = reliable = rfc2543 = indexed = has_fallback = false;
    key.clear();
    request_to_tag.clear();
    response_to_tag.clear();
    peer = Peer{};
    fallback = Endpoint{};
    last_response.clear();
    retransmit_timer = wait_timer = 0;
    interval = {};
  }
};

/// INVITE client transaction (Figure 5 + RFC 6026 Accepted) and non-INVITE client transaction
/// (Figure 6).
struct ClientTx {
  enum class State : std::uint8_t { kCalling, kProceeding, kCompleted, kAccepted };
  State state = State::kCalling;  // "Trying" for non-INVITE
  bool invite = false;
  bool reliable = false;
  bool provisional_seen = false;
  std::string key;
  sip::Message request;
  Peer peer;
  ClientTxInfo info;
  std::string ack;  // ACK for the non-2xx final, re-sent on its retransmissions
  TimerId retransmit_timer = 0;  // A or E
  TimerId timeout_timer = 0;     // B or F
  TimerId wait_timer = 0;        // D, K or M
  common::Duration interval{};
  std::uint32_t flow_pos = 0;  // index in Impl::clients_by_flow[peer.flow] while listed there

  void reset() {
    state = State::kCalling;
    invite = reliable = provisional_seen = false;
    key.clear();
    peer = Peer{};
    info = ClientTxInfo{};
    ack.clear();
    retransmit_timer = timeout_timer = wait_timer = 0;
    interval = {};
    flow_pos = 0;
  }
};

/// Named counters of this layer, looked up once.
struct Counters {
  common::Counter& server_created = common::counter("transaction.server.created");
  common::Counter& client_created = common::counter("transaction.client.created");
  common::Counter& request_retransmission = common::counter("transaction.request_retransmission");
  common::Counter& response_retransmission =
      common::counter("transaction.response_retransmission");
  common::Counter& ack_absorbed = common::counter("transaction.ack_absorbed");
  common::Counter& ack_unmatched_state = common::counter("transaction.ack_before_final");
  common::Counter& stray_response = common::counter("transaction.stray_response");
  common::Counter& late_response = common::counter("transaction.response_ignored_in_state");
  common::Counter& rfc2543_tag_mismatch = common::counter("transaction.rfc2543_tag_mismatch");
  common::Counter& client_timeout = common::counter("transaction.client.timeout");
  common::Counter& client_transport_error = common::counter("transaction.client.transport_error");
  common::Counter& client_invalid = common::counter("transaction.client.invalid_request");
  common::Counter& client_duplicate = common::counter("transaction.client.duplicate_branch");
  common::Counter& server_no_ack = common::counter("transaction.server.timer_h");
  common::Counter& server_transport_error = common::counter("transaction.server.transport_error");
  common::Counter& respond_refused = common::counter("transaction.server.respond_refused");
  common::Counter& ack_send_error = common::counter("transaction.client.ack_send_error");
  common::Counter& stateless_send_error = common::counter("transaction.stateless_send_error");
  common::Counter& maddr_ignored = common::counter("transaction.via_maddr_ignored");
  // Closed connections that still had client transactions waiting for a response.
  common::Counter& flow_closed = common::counter("transaction.client.flow_closed");

  static Counters& get() {
    static Counters c;
    return c;
  }
};

}  // namespace detail

struct TransactionLayer::Impl {
  Impl(ShardId s, const TimerConfig& t, Sender& snd, TimerService& ts)
      : shard(s), timers(t), sender(snd), timer_service(ts), counters(detail::Counters::get()) {}
  ~Impl();

  ShardId shard;
  TimerConfig timers;
  Sender& sender;
  TimerService& timer_service;
  TransactionUser* tu = nullptr;
  Random random;
  detail::Counters& counters;

  detail::Slab<detail::ServerTx> servers;
  detail::Slab<detail::ClientTx> clients;
  using ServerIndex =
      std::unordered_map<std::string_view, ServerTxId, detail::KeyHash, std::equal_to<>>;
  ServerIndex server_index;
  // Nodes of ended server transactions (extract()), re-keyed for the next ones: every request
  // creates a server transaction, and this saves a hash-map node allocation for each.
  std::vector<ServerIndex::node_type> spare_server_nodes;
  std::unordered_map<std::string_view, ClientTxId, detail::KeyHash, std::equal_to<>> client_index;
  // The client transactions on each connection (streams only), for on_flow_closed(). Removal is
  // O(1) (swap with the last, ClientTx::flow_pos): an INVITE transaction stays 32 s in Accepted
  // (RFC 6026, Timer M), so a busy WIC flow holds a few dozen, and a multimap's equal_range scan
  // on every transaction end was the eP-CSCF's top user-space symbol in issue 8 figure 4. A
  // connection's list lives as long as the connection (erased by on_flow_closed(), not when it
  // empties), so it keeps its capacity instead of allocating again for the next transaction.
  std::unordered_map<FlowId, std::vector<ClientTxId>> clients_by_flow;
  std::string scratch;

  detail::ServerTx* server(ServerTxId id) const { return servers.get(id.slot, id.generation); }
  detail::ClientTx* client(ClientTxId id) const { return clients.get(id.slot, id.generation); }

  // ---- server side (server_transactions.cpp)
  void receive_request(sip::Message&& msg, const Peer& from);
  void receive_ack(sip::Message&& msg, const Peer& from);
  ServerTxId create_server(const sip::Message& msg, const Peer& from, bool index);
  void on_request_retransmission(ServerTxId id, detail::ServerTx& tx);
  Expected<void, RespondError> respond(ServerTxId id, int status, std::string bytes,
                                       std::string_view to_tag);
  bool send_response(ServerTxId id, detail::ServerTx& tx, std::string bytes);
  void on_timer_g(ServerTxId id);
  void on_timer_h(ServerTxId id);
  void on_server_wait_end(ServerTxId id);  // I, J, L
  void terminate_server(ServerTxId id);

  // ---- client side (client_transactions.cpp)
  Expected<ClientTxId, StartError> start_client(const Peer& to, std::string bytes,
                                                std::uint64_t cookie, ServerTxId upstream);
  void receive_response(sip::Message&& msg, const Peer& from);
  void on_timer_retransmit(ClientTxId id);  // A or E
  void on_timer_timeout(ClientTxId id);     // B or F
  void on_client_wait_end(ClientTxId id);   // D, K or M
  void fail_client(ClientTxId id, ClientFailure why);
  void terminate_client(ClientTxId id);
  void on_flow_closed(FlowId flow);

  static ServerTxId sid(std::pair<std::uint32_t, std::uint32_t> p) { return {p.first, p.second}; }
  static ClientTxId cid(std::pair<std::uint32_t, std::uint32_t> p) { return {p.first, p.second}; }
};

}  // namespace wimpu::transaction
