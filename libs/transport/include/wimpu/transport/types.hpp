#pragma once
// Vocabulary of the transport layer: protocols, endpoints, flow ids and the closed error enums the
// layers above switch on. Kept free of Asio I/O objects so that the transaction and proxy layers
// can name flows without pulling sockets in (only boost::asio::ip::address, a value type).
#include <boost/asio/ip/address.hpp>
#include <boost/assert/source_location.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>

namespace wimpu::transport {

/// Index of a shard (one io_context + one thread, STYLE.md "Threading").
using ShardId = std::uint16_t;

/// Index of a listener in TransportConfig::listeners (the same index on every shard).
using ListenerId = std::uint16_t;

/// "No particular listener": let the transport pick one of the right protocol and address family.
inline constexpr ListenerId kAnyListener = std::numeric_limits<ListenerId>::max();

/// The SIP transports of RFC 3261 §18 plus WebSocket (RFC 7118 §5.1: Via tokens WS and WSS).
enum class Protocol : std::uint8_t { kUdp, kTcp, kTls, kWs, kWss };

/// Lower-case name for logs and counters ("udp", "tcp", "tls", "ws", "wss").
std::string_view to_string(Protocol p);

/// True for every protocol that runs over a connection (all but UDP): RFC 3261 §18 "reliable".
constexpr bool is_stream(Protocol p) { return p != Protocol::kUdp; }

/// True for TLS and WSS.
constexpr bool is_secure(Protocol p) { return p == Protocol::kTls || p == Protocol::kWss; }

/// True for WS and WSS (one SIP message per WebSocket message, RFC 7118 §5).
constexpr bool is_websocket(Protocol p) { return p == Protocol::kWs || p == Protocol::kWss; }

/// An IPv4 or IPv6 address and a port. A value type.
struct Endpoint {
  boost::asio::ip::address address;
  std::uint16_t port = 0;

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  /// "127.0.0.1:5060" or "[::1]:5060" (RFC 3986 host syntax, as in a SIP Via sent-by).
  std::string to_string() const;
};

/// Names one flow (RFC 5626 §3.3: a connection, or a UDP 5-tuple made into a flow on demand).
///
/// A flow lives on exactly one shard. `slot` indexes that shard's flow table and `generation`
/// distinguishes successive users of the same slot, so a FlowId kept after its connection closed
/// never reaches a newer connection. Generation 0 is never used: a default FlowId is invalid.
struct FlowId {
  ShardId shard = 0;
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;

  /// False for the default-constructed id (no flow).
  constexpr bool valid() const { return generation != 0; }
  friend bool operator==(const FlowId&, const FlowId&) = default;
  /// "f<shard>.<slot>.<generation>", for logs.
  std::string to_string() const;
};

/// Why a flow ended. Reported once per flow by MessageSink::on_flow_closed.
enum class CloseReason : std::uint8_t {
  kPeerClosed,        ///< The peer closed the connection (EOF, WebSocket close frame).
  kNetworkError,      ///< A read or write failed (reset, TLS error, ...).
  kLocalClose,        ///< Transport::close() was called.
  kIdleTimeout,       ///< No traffic for Timers::idle_timeout (or udp_flow_idle_timeout).
  kKeepAliveTimeout,  ///< A WebSocket ping was not answered within Timers::ws_pong_timeout.
  kFramingError,      ///< Stream framing broke (missing/bad Content-Length, RFC 3261 §18.3).
  kMessageTooLarge,   ///< A header block, body or WebSocket message exceeded Limits.
  kWriteQueueFull,    ///< The peer did not read fast enough (Limits::max_write_queue_bytes).
  kConnectFailed,     ///< An outgoing connection could not be established (connect, timeout).
  kHandshakeFailed,   ///< An outgoing TLS or WebSocket handshake failed.
  kShutdown,          ///< The transport is stopping.
};

/// Lower-case name for logs and counters ("peer_closed", ...).
std::string_view to_string(CloseReason r);

/// How Transport::close() ends a flow.
enum class CloseMode : std::uint8_t {
  kAbort,        ///< At once; queued writes are dropped.
  kFlushWrites,  ///< Stop reading, write what is queued (e.g. a final 403), then close. Bounded
                 ///< by Timers::handshake_timeout; new sends fail with kFlowDead meanwhile.
  kGoingAway,    ///< As kFlushWrites, then on WS/WSS a Close frame with status 1001 "going away"
                 ///< (RFC 6455 §7.4.1: the server is going down) and the TCP close once the
                 ///< peer's Close arrived (§7.1.1) or after Timers::ws_close_timeout. Browsers see
                 ///< a clean close with 1001 instead of 1006 and reconnect. TCP/TLS/UDP: as
                 ///< kFlushWrites. A WS flow still in its HTTP upgrade is closed at once.
  kPolicyClose,  ///< As kGoingAway with status 1008 "policy violation" (RFC 6455 §7.4.1: the
                 ///< generic code when no other fits): the flow was removed by local policy, e.g.
                 ///< an admin kick, and the browser sees why instead of 1006. TCP/TLS/UDP: as
                 ///< kFlushWrites.
};

/// Why a send was not accepted. Nothing was queued when one of these is returned.
enum class SendError : std::uint8_t {
  kFlowDead,         ///< The flow is closed (or never existed). RFC 5626 §5.3.1: map to 430.
  kNotOnShard,       ///< The call must be made on a shard thread of this transport's pool.
  kNoListener,       ///< No listener/socket of that protocol and address family on this shard.
  kMessageTooLarge,  ///< The message exceeds Limits::max_message_bytes.
  kQueueFull,        ///< Write queue over its limit (the flow was closed) or UDP socket full.
  kFlowTableFull,    ///< This shard's flow table is full (Limits::max_flows_per_shard).
  kNetworkError,     ///< The datagram could not be sent (UDP send error).
  kStopped,          ///< The transport is stopping or not started.
};

/// Lower-case name for logs and counters.
std::string_view to_string(SendError e);

/// Why a flow token was not accepted (RFC 5626 §5.3.1).
enum class FlowTokenError : std::uint8_t {
  kTampered,  ///< Malformed, or the MAC does not match: the eP-CSCF answers 403.
  kFlowDead,  ///< Genuine token, but the flow is gone (or from an earlier run): answer 430.
};

/// Lower-case name for logs and counters.
std::string_view to_string(FlowTokenError e);

// boost::system::result<T, E>::value() on an error calls throw_exception_from_error(E) found by
// ADL. That is a programming error (check the result first); these throw std::runtime_error.
[[noreturn]] void throw_exception_from_error(SendError e, const boost::source_location& loc);
[[noreturn]] void throw_exception_from_error(FlowTokenError e, const boost::source_location& loc);

}  // namespace wimpu::transport

template <>
struct std::hash<wimpu::transport::FlowId> {
  std::size_t operator()(const wimpu::transport::FlowId& f) const noexcept {
    const std::uint64_t v = (std::uint64_t{f.slot} << 32) ^ f.generation ^
                            (std::uint64_t{f.shard} << 48);
    return std::hash<std::uint64_t>{}(v);
  }
};

template <>
struct std::hash<wimpu::transport::Endpoint> {
  std::size_t operator()(const wimpu::transport::Endpoint& e) const noexcept {
    return std::hash<boost::asio::ip::address>{}(e.address) * 31 + e.port;
  }
};
