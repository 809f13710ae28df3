#pragma once
// The transaction layer's view of the transport (RFC 3261 §18): hand it one serialised message and
// a destination. An interface so the layers above run on the real transport, on a loopback fake in
// unit tests, or on anything else.
#include <cstdint>
#include <string>
#include <string_view>

#include "wimpu/common/expected.hpp"
#include "wimpu/transaction/types.hpp"

namespace wimpu::transaction {

/// Why a message could not be handed to the network. RFC 3261 §8.1.3.1/§16.9: the transaction
/// user treats every one of them like a 503 received from that hop.
enum class SendError : std::uint8_t {
  kFlowDead,     ///< The given flow is closed (RFC 5626 §5.3.1: 430 territory for edge proxies).
  kUnreachable,  ///< No listener of that protocol, connection impossible, network error.
  kTooLarge,     ///< Over the transport's message size limit.
  kOverload,     ///< Write queue or socket buffer full.
};

/// "flow_dead", "unreachable", "too_large", "overload".
std::string_view to_string(SendError e) noexcept;

/// Sends SIP messages. Threading: called only on the shard that owns the calling transaction
/// layer; implementations must not call back into the transaction layer synchronously.
class Sender {
public:
  virtual ~Sender() = default;

  /// Sends `bytes` (one complete message) to `to`: down `to.flow` when it is valid, otherwise to
  /// (to.protocol, to.remote), connecting on demand for streams. Returns the flow that carries it
  /// (an invalid FlowId for plain UDP datagrams), which the caller uses for later messages of the
  /// same transaction (ACK, CANCEL: RFC 3261 §17.1.1.3, §9.1 "same destination").
  /// Ownership: takes the buffer.
  virtual Expected<FlowId, SendError> send(const Peer& to, std::string bytes) = 0;

  /// Like send(), for a sender that may have to fall back elsewhere when `to.flow` is dead
  /// (RFC 3261 §18.2.2: a response whose connection is gone goes to the received address and
  /// sent-by port). Ownership: `bytes` is taken on success and on every error but kFlowDead; a
  /// kFlowDead found before the bytes were taken leaves them as given, one found later (the flow
  /// died on its shard meanwhile) leaves `bytes` empty. The default copies the bytes (always
  /// left as given); a sender that can tell a dead flow cheaply overrides it to save that copy.
  virtual Expected<FlowId, SendError> send_or_keep(const Peer& to, std::string& bytes) {
    return send(to, bytes);
  }
};

}  // namespace wimpu::transaction
