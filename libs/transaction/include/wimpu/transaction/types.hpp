#pragma once
// Vocabulary shared by the transaction and proxy layers: where a message came from and where it
// goes. Protocols, endpoints and flows are the transport's (libs/transport); the transaction layer
// still talks to the network only through its own narrow seams (Sender, TimerService), so it is
// tested with fakes.
#include <string_view>

#include "wimpu/sip/via.hpp"
#include "wimpu/transport/types.hpp"

namespace wimpu::transaction {

// The transport's vocabulary (libs/transport/types.hpp), used as is.
using transport::Endpoint;
using transport::FlowId;
using transport::kAnyListener;
using transport::ListenerId;
using transport::Protocol;
using transport::ShardId;
using transport::to_string;

/// The Via transport token: "UDP", "TCP", "TLS", "WS", "WSS" (RFC 3261 §20.42, RFC 7118 §5.2).
std::string_view via_token(Protocol p) noexcept;
/// Maps a Via transport to a Protocol; false for transports we do not speak (SCTP, unknown).
bool protocol_from_via(sip::Transport t, Protocol& out) noexcept;
/// Maps a URI "transport" parameter value ("udp", "tcp", "tls", "ws", "wss"; case-insensitive).
bool protocol_from_param(std::string_view value, Protocol& out) noexcept;

/// RFC 3261 §18 (and RFC 7118 §5): everything but UDP is reliable, so no retransmissions and
/// Timers D, I, J, K are zero.
constexpr bool is_reliable(Protocol p) noexcept { return transport::is_stream(p); }

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
