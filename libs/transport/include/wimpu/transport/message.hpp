#pragma once
// What the transport hands to the layer above (RFC 3261 §18.1.2/§18.2.1: the transport delivers
// framed messages with their source and destination; it does not parse SIP beyond framing).
#include <memory>
#include <string>

#include "wimpu/transport/types.hpp"

namespace wimpu::transport {

/// What the WebSocket upgrade request said (RFC 7118 §7, App. A.1-A.3). Shared, immutable, one
/// per WebSocket connection; every InboundMessage of that connection points at it.
struct WsHandshakeInfo {
  std::string target;  ///< Request target (path and query), e.g. "/sip?x=1".
  std::string host;    ///< Host header.
  std::string origin;  ///< Origin header (RFC 6455 §10.2), empty when absent.
  std::string cookie;  ///< The raw Cookie header(s), joined with "; ", empty when absent.
  std::string user_agent;
};

/// One SIP message (or what claims to be one) as it came off the wire.
///
/// Ownership: `data` is the message's own buffer, moved from the transport to the sink without a
/// copy; the sink may keep it (e.g. parse views into it and store both together).
struct InboundMessage {
  /// The bytes of exactly one message: a UDP datagram, a Content-Length framed message (RFC 3261
  /// §18.3) or one WebSocket message (RFC 7118 §5). Not validated beyond framing.
  std::string data;
  Protocol protocol = Protocol::kUdp;
  Endpoint local;   ///< Our address and port the message arrived on.
  Endpoint remote;  ///< The peer's address and port (the "received"/"rport" source, §18.2.1).
  /// The connection it came on (stream protocols; responses go back on it, RFC 7118 §5.3).
  /// For UDP: the UDP flow of (listener, remote) if Transport::udp_flow() created one, else an
  /// invalid FlowId.
  FlowId flow;
  ShardId shard = 0;  ///< The shard delivering it (== flow.shard for stream flows).
  ListenerId listener = kAnyListener;  ///< The listener it arrived on (kAnyListener: outgoing).
  /// WebSocket handshake data for kWs/kWss, null otherwise.
  std::shared_ptr<const WsHandshakeInfo> ws;
};

/// The layer above the transport (the transaction layer), one instance per shard or one shared
/// by all shards (see NetTransport::start).
///
/// Threading: every call is made on the shard that owns the flow (for UDP: the shard whose socket
/// received the datagram), never concurrently for the same shard. A sink shared by several shards
/// is called concurrently from their threads.
/// Re-entrancy: the sink may call any Transport method from inside these calls (send, close, ...).
/// on_flow_closed is never called from inside another sink call or a Transport method: it is
/// posted to the owning shard.
class MessageSink {
public:
  virtual ~MessageSink() = default;

  /// One framed message. `msg` is the sink's to keep or drop.
  virtual void on_message(InboundMessage&& msg) = 0;

  /// `flow` has ended and will never deliver or send again; send() on it now fails with
  /// kFlowDead and decode_flow_token() with kFlowDead. RFC 5626 §7: bindings on a dead flow must
  /// go. Called exactly once for every flow that was established: an inbound connection once
  /// accepted (TLS: handshaken; WS/WSS: upgraded), an outgoing connection or UDP flow once
  /// returned by send_to()/udp_flow() (even if it never came up: kConnectFailed). Connections
  /// refused before that (TLS handshake failure, WebSocket upgrade refused, connection cap) are
  /// only counted. NetTransport::stop() reports kShutdown for the flows still open.
  virtual void on_flow_closed(FlowId flow, CloseReason reason) = 0;
};

}  // namespace wimpu::transport
