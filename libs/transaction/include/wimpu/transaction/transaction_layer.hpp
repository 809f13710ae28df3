#pragma once
// RFC 3261 §17 transaction layer of one shard: INVITE and non-INVITE client and server
// transactions, their timers, request/response matching (§17.1.3, §17.2.3 including RFC 2543
// peers without the magic cookie), CANCEL matching (§9.2) and RFC 6026's Accepted state (every 2xx
// to an INVITE goes to the TU; the ACK for a 2xx is not ours).
//
// Threading: one TransactionLayer per shard; every method is called on that shard's thread, and
// every TransactionUser callback and timer runs there (no locks). Messages for a transaction that
// another shard owns must be posted to it first: shard_from_branch() (branch.hpp) names the owner
// of any branch this process generated.
//
// Ownership: the layer owns its transactions; the TU names them by id (ids of ended transactions
// are recognised as dead, never confused with newer ones). The Sender, TimerService and the TU
// must outlive the layer; destroying the layer cancels its timers.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "wimpu/common/expected.hpp"
#include "wimpu/sip/message.hpp"
#include "wimpu/transaction/branch.hpp"
#include "wimpu/transaction/config.hpp"
#include "wimpu/transaction/sender.hpp"
#include "wimpu/transaction/timer_service.hpp"
#include "wimpu/transaction/transaction_user.hpp"
#include "wimpu/transaction/types.hpp"

namespace wimpu::transaction {

/// Why respond() refused a response. Nothing was sent unless it says otherwise.
enum class RespondError : std::uint8_t {
  kNoTransaction,   ///< The server transaction ended (or never existed).
  kWrongState,      ///< E.g. a second final response, or a provisional after the final.
  kTransportError,  ///< Sending failed (the transaction is terminated, RFC 3261 §17.2.4).
};
std::string_view to_string(RespondError e) noexcept;

/// Why start_client() did not create a transaction. Nothing was sent.
enum class StartError : std::uint8_t {
  kInvalidRequest,   ///< Bytes do not parse as a request other than ACK, or no branch.
  kDuplicateBranch,  ///< A live client transaction already uses this branch and method.
  kFlowDead,         ///< Sender: the flow is closed.
  kUnreachable,      ///< Sender: no route, connection impossible.
  kTooLarge,         ///< Sender: over the size limit.
  kOverload,         ///< Sender: queue full.
};
std::string_view to_string(StartError e) noexcept;

/// Counts of live transactions (tests, metrics).
struct TransactionCounts {
  std::size_t server = 0;
  std::size_t client = 0;
};

class TransactionLayer {
public:
  /// `shard` goes into every branch this layer makes. Call set_user() before receive().
  TransactionLayer(ShardId shard, const TimerConfig& timers, Sender& sender, TimerService& clock);
  ~TransactionLayer();
  TransactionLayer(const TransactionLayer&) = delete;
  TransactionLayer& operator=(const TransactionLayer&) = delete;

  /// Sets the transaction user (kept by reference; must outlive the layer's use).
  void set_user(TransactionUser& tu);

  ShardId shard() const;
  const TimerConfig& timers() const;
  TimerService& timer_service();
  Random& random();

  /// Appends a fresh branch for this shard ("z9hG4bK<shard>.<random>[.<suffix>]").
  void append_branch(std::string& out, std::string_view suffix = {});

  // ---------------------------------------------------------------- ingress

  /// A parsed message from the network. Requests are matched to server transactions (§17.2.3):
  /// retransmissions are absorbed (and the last response re-sent), ACKs for non-2xx are absorbed,
  /// CANCELs are matched to their INVITE (§9.2), new requests go to TransactionUser::on_request.
  /// Responses are matched to client transactions (§17.1.3: top Via branch + CSeq method);
  /// stray ones are dropped and counted (transaction.stray_response; RFC 6026: a stateful proxy
  /// does not forward responses that match no transaction).
  void receive(sip::Message&& msg, const Peer& from);

  // ---------------------------------------------------------------- server side

  /// Sends a response on server transaction `tx` and runs the state machine (§17.2.1, §17.2.2):
  /// a provisional keeps the transaction proceeding; a 2xx to an INVITE moves it to Accepted
  /// (Timer L; further 2xx are sent as given); a non-2xx final to an INVITE moves it to Completed
  /// (Timer G retransmits on UDP, Timer H waits for the ACK); a final to a non-INVITE moves it to
  /// Completed (Timer J). `status` is the response's status code; `to_tag` its To tag (used to
  /// match the ACK of RFC 2543 peers). The response goes where §18.2.2 says: back down the
  /// request's connection on streams (to received/sent-by if it died), to the source address and
  /// port with rport (RFC 3581), else to the source address and the Via port, on UDP.
  Expected<void, RespondError> respond(ServerTxId tx, int status, std::string bytes,
                                       std::string_view to_tag = {});

  /// True while `tx` exists.
  bool server_alive(ServerTxId tx) const;
  /// Where responses of `tx` go (§18.2.2); nullptr when `tx` ended.
  const Peer* server_peer(ServerTxId tx) const;

  // ---------------------------------------------------------------- client side

  /// Starts a client transaction for `bytes` (a complete request other than ACK whose top Via
  /// carries a unique branch, e.g. from append_branch()) and sends it to `to`. Retransmissions
  /// (Timer A/E) run on unreliable transports only; Timer B/F end it with on_client_failure.
  /// A CANCEL is an ordinary non-INVITE transaction here (§9.1). `cookie` and `upstream` come back
  /// in ClientTxInfo.
  Expected<ClientTxId, StartError> start_client(const Peer& to, std::string bytes,
                                                std::uint64_t cookie = 0,
                                                ServerTxId upstream = {});

  /// The request of client transaction `tx` as sent (e.g. to build its CANCEL, §9.1); nullptr
  /// when `tx` ended. Valid until the next call into the layer.
  const sip::Message* client_request(ClientTxId tx) const;
  /// Where `tx` sends (with the flow it got bound to): a CANCEL for it goes the same way (§9.1).
  const Peer* client_peer(ClientTxId tx) const;
  /// True when `tx` received a provisional response (§9.1: a CANCEL may be sent).
  bool client_has_provisional(ClientTxId tx) const;
  /// Ends `tx` at once without further callbacks (the TU gave up: RFC 3261 §9.1 64*T1 after its
  /// CANCEL, §16.8 Timer C). No-op for an ended transaction.
  void terminate_client(ClientTxId tx);

  /// Sends a message outside any transaction (a proxy's forwarding of the ACK for a 2xx, and of
  /// 2xx retransmissions whose server transaction ended). Counted on failure.
  Expected<FlowId, SendError> send_stateless(const Peer& to, std::string bytes);

  TransactionCounts counts() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wimpu::transaction
