#pragma once
// The seam between the SIP transport and the layers above it (transaction, proxy, network
// functions). Abstract so that those layers can be unit-tested against a fake or loopback
// transport; NetTransport (net_transport.hpp) is the real one on Asio/Beast/OpenSSL.
#include <string>
#include <string_view>

#include "wimpu/common/expected.hpp"
#include "wimpu/transport/types.hpp"

namespace wimpu::transport {

/// Where send_to() goes when no flow is given (RFC 3261 §18.1.1 new requests, §18.2.2 UDP
/// responses).
struct Destination {
  Protocol protocol = Protocol::kUdp;
  Endpoint remote;
  /// TLS/WSS: the server name to send in SNI and to check the certificate against (with
  /// TlsClientConfig::verify_peer). WS/WSS: the Host header. Empty = the remote address.
  std::string host;
  /// WS/WSS: the request target of the upgrade.
  std::string ws_target = "/";
  /// UDP: the listener whose socket sends (RFC 3261 §18.2.2: a response leaves from where the
  /// request arrived). kAnyListener = the first UDP listener of the remote's address family.
  /// Ignored for streams (outgoing connections use an ephemeral local port).
  ListenerId via = kAnyListener;
};

/// Sends SIP messages and manages flows (RFC 5626). Implementations are thread-safe as
/// documented per method; every method is non-blocking and never throws.
class Transport {
public:
  virtual ~Transport() = default;

  /// Sends `bytes` (one complete SIP message) down `flow`, in order with earlier sends on it.
  ///
  /// Threading: any thread. On the owning shard the message is queued at once; from elsewhere it
  /// is posted to the owner (after a lock-free liveness check), so an error discovered there
  /// (flow died meanwhile, queue full) is only counted (transport.send.dropped_*), and the flow's
  /// on_flow_closed tells the layer above.
  /// Errors: kFlowDead (closed, unknown or invalid id: RFC 5626 §5.3.1 430), kMessageTooLarge,
  /// kQueueFull (the flow was closed with kWriteQueueFull), kStopped.
  /// Ownership: takes the buffer; it is freed once written.
  virtual Expected<void, SendError> send(FlowId flow, std::string bytes) = 0;

  /// Sends `bytes` to a destination without a flow at hand.
  ///
  /// UDP: one datagram from the chosen listener's socket on the calling shard; returns an invalid
  /// FlowId (use udp_flow() for a UDP flow). TCP/TLS/WS/WSS: connect-on-demand. An existing
  /// outgoing connection of this shard to the same (protocol, remote, host, ws_target) is reused;
  /// otherwise a new one is opened (the message waits in its write queue until the connect and
  /// handshakes finish). Returns that connection's flow, which is live from now on and ends with
  /// on_flow_closed (kConnectFailed/kHandshakeFailed if it never came up).
  ///
  /// Threading: only on a shard thread (the new flow belongs to the calling shard); elsewhere
  /// kNotOnShard. Errors: kNotOnShard, kNoListener, kMessageTooLarge, kQueueFull, kFlowTableFull,
  /// kNetworkError (UDP), kStopped.
  virtual Expected<FlowId, SendError> send_to(const Destination& dest, std::string bytes) = 0;

  /// The UDP flow (RFC 5626 §3.3, "5-tuple") between `listener` and `remote`, created on first
  /// use. Inbound datagrams of that 5-tuple then carry it in InboundMessage::flow, send() on it
  /// sends a datagram, and it ends after Timers::udp_flow_idle_timeout without traffic.
  ///
  /// Threading: on the shard that received the datagram (InboundMessage::shard); UDP sockets are
  /// per shard, so the flow belongs to it. Errors: kNotOnShard, kNoListener, kFlowTableFull.
  virtual Expected<FlowId, SendError> udp_flow(ListenerId listener, const Endpoint& remote) = 0;

  /// Closes `flow` (e.g. RFC 7118 App. A.3: the web session was revoked; RFC 7118 §4.1 / W-02:
  /// a non-SIP payload arrived). With kAbort queued writes are dropped; with kFlushWrites they
  /// are written first (reading stops and new sends fail with kFlowDead at once; the flow stays
  /// live until the flush ends). on_flow_closed(flow, kLocalClose) follows if the flow was live.
  /// A dead or unknown flow is ignored. Threading: any thread (posted to the owner when called
  /// elsewhere).
  virtual void close(FlowId flow, CloseMode mode) = 0;

  /// close(flow, CloseMode::kAbort).
  void close(FlowId flow) { close(flow, CloseMode::kAbort); }

  /// True while `flow` is open. A snapshot: the flow can die right after. Threading: any thread,
  /// lock-free.
  virtual bool is_live(FlowId flow) const = 0;

  /// The flow token for `flow` (RFC 5626 §5.2), to put in a Path or Record-Route URI user part.
  /// Threading: any thread.
  virtual std::string flow_token(FlowId flow) const = 0;

  /// The flow named by `token`: kTampered (malformed, bad MAC: answer 403) or kFlowDead (genuine
  /// but closed, or minted by an earlier run: answer 430), RFC 5626 §5.3.1. Threading: any thread.
  virtual Expected<FlowId, FlowTokenError> decode_flow_token(std::string_view token) const = 0;
};

}  // namespace wimpu::transport
