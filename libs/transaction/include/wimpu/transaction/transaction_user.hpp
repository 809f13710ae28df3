#pragma once
// The transaction user (RFC 3261 §17: "TU"): what sits above the transaction layer (here the
// stateful proxy core of libs/proxy). The layer calls it for every event a TU must see.
#include <cstdint>

#include "wimpu/sip/message.hpp"
#include "wimpu/transaction/types.hpp"

namespace wimpu::transaction {

/// Names a server transaction of one TransactionLayer. A default id names none. Ids are never
/// reused for another transaction while anything could still hold them (slot + generation).
struct ServerTxId {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;
  constexpr bool valid() const { return generation != 0; }
  friend bool operator==(const ServerTxId&, const ServerTxId&) = default;
};

/// Names a client transaction of one TransactionLayer. A default id names none.
struct ClientTxId {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;
  constexpr bool valid() const { return generation != 0; }
  friend bool operator==(const ClientTxId&, const ClientTxId&) = default;
};

/// What the TU attached to a client transaction when it started it.
struct ClientTxInfo {
  ClientTxId id;
  /// Opaque value chosen by the TU (the proxy: its response context id).
  std::uint64_t cookie = 0;
  /// The server transaction this client transaction serves (a proxy's upstream, RFC 3261 §16),
  /// invalid when none. Lets a 2xx retransmission that arrives after the TU forgot its context
  /// still reach the caller (RFC 6026 §7.1).
  ServerTxId upstream;
};

/// Why a client transaction ended without a final response.
enum class ClientFailure : std::uint8_t {
  kTimeout,         ///< Timer B or F fired (RFC 3261 §17.1.1.2, §17.1.2.2): treat as 408.
  kTransportError,  ///< A (re)transmission failed (§17.1.4, §8.1.3.1): treat as 503.
};

/// Why a server transaction ended without the expected conclusion.
enum class ServerFailure : std::uint8_t {
  kNoAck,           ///< Timer H fired: no ACK for our non-2xx final response (§17.2.1).
  kTransportError,  ///< A response could not be sent (§17.2.4).
};

/// Threading: every call comes from the shard that owns the TransactionLayer. The TU may call any
/// TransactionLayer method from inside these calls (respond, start_client, ...).
class TransactionUser {
public:
  virtual ~TransactionUser() = default;

  /// A new request created server transaction `tx` (any method but ACK and CANCEL). The TU owns
  /// `request` from now on and must answer through TransactionLayer::respond (INVITE: at least a
  /// final response; RFC 3261 §17.2.1). As after any move, the caller's object is left valid but
  /// unspecified: the proxy swaps in a pooled Message, so the caller may re-parse into it and
  /// reuse its capacity.
  virtual void on_request(ServerTxId tx, sip::Message&& request, const Peer& from) = 0;

  /// A CANCEL created server transaction `cancel_tx` (RFC 3261 §9.2). `invite_tx` is the INVITE
  /// server transaction it matches (branch and sent-by; the method is ignored), invalid when none.
  /// The TU answers the CANCEL through respond(cancel_tx, ...).
  virtual void on_cancel(ServerTxId cancel_tx, ServerTxId invite_tx, sip::Message&& cancel,
                         const Peer& from) = 0;

  /// An ACK that no transaction absorbed: the ACK for a 2xx (a separate, end-to-end transaction,
  /// RFC 3261 §17.1.1.3/§13.2.2.4) or an ACK matching an INVITE server transaction in RFC 6026's
  /// Accepted state (`invite_tx` valid then).
  virtual void on_ack(sip::Message&& ack, const Peer& from, ServerTxId invite_tx) = 0;

  /// A response for client transaction `tx`: every provisional, the non-2xx final (once; its
  /// retransmissions are absorbed and ACKed by the transaction, §17.1.1.3), and every 2xx to an
  /// INVITE including retransmissions and 2xx from other forks (RFC 6026 Accepted state): a proxy
  /// forwards each one (RFC 3261 §16.7 step 5 as updated by RFC 6026).
  virtual void on_response(const ClientTxInfo& tx, sip::Message&& response) = 0;

  /// Client transaction `tx` ended without a final response; it is gone when this returns.
  virtual void on_client_failure(const ClientTxInfo& tx, ClientFailure why) = 0;

  /// A server transaction failed (no ACK, or a response could not be sent). Informational.
  virtual void on_server_failure(ServerTxId tx, ServerFailure why) {
    (void)tx;
    (void)why;
  }
};

}  // namespace wimpu::transaction
