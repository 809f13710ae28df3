#pragma once
// Vocabulary shared by the transaction and proxy layers: where a message came from and where it
// goes. The names and shapes mirror libs/transport (types.hpp) so that, once the transport is in,
// these become aliases of its types; until then the transaction layer builds against its own
// seams (Sender, TimerService) and is tested with fakes.
#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>

#include "wimpu/sip/via.hpp"

namespace wimpu::transaction {

/// Index of a shard (one io_context, one thread; STYLE.md "Threading").
using ShardId = std::uint16_t;

/// Index of a transport listener; kAnyListener lets the transport choose.
using ListenerId = std::uint16_t;
inline constexpr ListenerId kAnyListener = std::numeric_limits<ListenerId>::max();

/// The SIP transports of RFC 3261 §18 plus WebSocket (RFC 7118 §5.1).
enum class Protocol : std::uint8_t { kUdp, kTcp, kTls, kWs, kWss };

/// "udp", "tcp", "tls", "ws", "wss".
std::string_view to_string(Protocol p) noexcept;
/// The Via transport token: "UDP", "TCP", "TLS", "WS", "WSS" (RFC 3261 §20.42, RFC 7118 §5.2).
std::string_view via_token(Protocol p) noexcept;
/// Maps a Via transport to a Protocol; false for transports we do not speak (SCTP, unknown).
bool protocol_from_via(sip::Transport t, Protocol& out) noexcept;
/// Maps a URI "transport" parameter value ("udp", "tcp", "tls", "ws", "wss"; case-insensitive).
bool protocol_from_param(std::string_view value, Protocol& out) noexcept;

/// RFC 3261 §18 (and RFC 7118 §5): everything but UDP is reliable, so no retransmissions and
/// Timers D, I, J, K are zero.
constexpr bool is_reliable(Protocol p) noexcept { return p != Protocol::kUdp; }

/// An IP address and port. A value type.
struct Endpoint {
  boost::asio::ip::address address;
  std::uint16_t port = 0;

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  /// "127.0.0.1:5060" or "[::1]:5060".
  std::string to_string() const;
};

/// Names one flow (a connection, or a UDP 5-tuple made into a flow), as the transport does.
/// Generation 0 is never used: a default FlowId names no flow.
struct FlowId {
  ShardId shard = 0;
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;

  constexpr bool valid() const { return generation != 0; }
  friend bool operator==(const FlowId&, const FlowId&) = default;
};

/// The other end of a hop: where a request came from, or where a message is to be sent.
struct Peer {
  Protocol protocol = Protocol::kUdp;
  /// Remote address and port (for received messages: the packet source, RFC 3261 §18.2.1).
  Endpoint remote;
  /// The flow to use (streams: the connection; RFC 3261 §18.2.2, RFC 7118 §5.3). Invalid: the
  /// transport sends to `remote` (opening a connection for streams).
  FlowId flow;
  /// The listener a message arrived on, or the one whose UDP socket should send.
  ListenerId listener = kAnyListener;
};

}  // namespace wimpu::transaction
