#pragma once
// Transport configuration: a plain struct with documented defaults. Loading it from TOML is the
// config loader's job (libs/common), not this library's.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "wimpu/transport/types.hpp"

namespace wimpu::transport {

/// Who protects the records of a TLS 1.3 server connection once its handshake is over.
enum class TlsRecordLayer : std::uint8_t {
  /// The transport's own record layer (RFC 8446 §5): the OpenSSL object (~14 KB) is freed after
  /// the handshake and an idle connection keeps only its keys (a few hundred bytes). Applies to
  /// TLS 1.3 with AES-128-GCM, AES-256-GCM or ChaCha20-Poly1305 and no session cache; anything
  /// else stays on OpenSSL.
  kWimpu,
  /// OpenSSL for the whole connection.
  kOpenssl,
};

/// Server side of TLS and WSS listeners (RFC 3261 §26.2, RFC 7118 §4: WSS is TLS + WebSocket).
struct TlsServerConfig {
  std::string cert_file;      ///< PEM certificate chain (leaf first). Required for TLS/WSS.
  std::string key_file;       ///< PEM private key. Required for TLS/WSS.
  std::string ca_file;        ///< PEM CAs to verify client certificates (with verify_client).
  bool verify_client = false; ///< Require a client certificate (mutual TLS).
  /// OpenSSL's server-side session cache (session-ID resumption, RFC 5246 §7.4.1.2). Off by
  /// default: resumption uses stateless tickets (RFC 8446 §4.6.1 and §2.2 for TLS 1.3, RFC 5077
  /// for TLS 1.2), which keep nothing on the server; OpenSSL 3 never caches TLS 1.3 sessions
  /// with stateless tickets anyway. Only a TLS 1.2 client that offers no ticket loses
  /// resumption (a full handshake instead). On: every such full handshake leaves its session
  /// (~1 KiB) in a cache shared by all shards under one lock, kept after the connection closes
  /// until it times out (up to 20,480 sessions).
  bool session_cache = false;
  /// Record protection after the handshake; kWimpu needs session_cache off (with the cache on,
  /// OpenSSL keeps the connection's SSL object for the cached session's sake).
  TlsRecordLayer record_layer = TlsRecordLayer::kWimpu;
};

/// Client side of outgoing TLS and WSS connections.
struct TlsClientConfig {
  std::string ca_file;        ///< PEM trust anchors; empty = the system default paths.
  bool verify_peer = true;    ///< Verify the server certificate (and its name, see Destination).
  std::string cert_file;      ///< Optional client certificate (PEM).
  std::string key_file;       ///< Its private key (PEM).
};

/// One listening address. On every shard the transport binds one socket (UDP) or acceptor
/// (TCP/TLS/WS/WSS) to it with SO_REUSEPORT, so the kernel spreads datagrams and connections
/// over the shards.
struct ListenerConfig {
  Protocol protocol = Protocol::kUdp;
  std::string address = "127.0.0.1";  ///< Literal IPv4 or IPv6 address ("::1"), no name.
  std::uint16_t port = 0;             ///< 0 = an ephemeral port; see NetTransport::listeners().
  TlsServerConfig tls;                ///< Used by kTls and kWss only.
  /// Cap on live connections accepted by this listener, over all shards (stream listeners).
  /// Connections over the cap are accepted and closed at once (counter
  /// transport.<proto>.rejected_connection_cap).
  std::size_t max_connections = 10000;
};

/// Size limits. A message over a limit closes the connection with a counter (RFC 3261 §18.3 says
/// nothing better can be done on a stream once framing is lost).
struct Limits {
  /// Largest SIP header block (start line to the empty line) on TCP/TLS.
  std::size_t max_header_bytes = 16 * 1024;
  /// Largest Content-Length accepted on TCP/TLS.
  std::size_t max_body_bytes = 64 * 1024;
  /// Largest WebSocket message (RFC 7118 §5: one SIP message per WebSocket message).
  std::size_t max_ws_message_bytes = 64 * 1024;
  /// Largest HTTP upgrade request (request line + headers) of a WebSocket handshake.
  std::size_t max_ws_handshake_bytes = 8 * 1024;
  /// Largest message accepted by send()/send_to(); larger ones fail with kMessageTooLarge.
  std::size_t max_message_bytes = 128 * 1024;
  /// Bytes queued on one connection and not yet written. Over it the connection is closed with
  /// CloseReason::kWriteQueueFull: a slow reader never costs unbounded memory.
  std::size_t max_write_queue_bytes = 1024 * 1024;
  /// Flow table slots per shard (connections + UDP flows). Fixed at start-up.
  std::uint32_t max_flows_per_shard = 131072;
  /// SO_SNDBUF / SO_RCVBUF for accepted and outgoing connections; 0 = kernel default.
  /// Tests shrink them to reach back-pressure quickly.
  int socket_send_buffer = 0;
  int socket_receive_buffer = 0;
};

/// Timers. Asio timers run on the real steady clock; tests configure small values.
struct Timers {
  using Ms = std::chrono::milliseconds;
  /// A connection on which nothing was received (SIP message, CRLFCRLF, WebSocket ping or pong)
  /// and no SIP message was sent for this long is closed (kIdleTimeout). 0 = never.
  /// On TCP/TLS this enforces the client keep-alives of RFC 5626 §4.4.1 (set it above the
  /// Flow-Timer the registrar announces, §5.4). On WS/WSS with server pings a live peer always
  /// answers, so only a silent peer (or pings disabled) hits it; the pong timeout is what
  /// detects a dead one.
  Ms idle_timeout = std::chrono::minutes(15);
  /// Interval between server-sent WebSocket pings (RFC 7118 §6, RFC 6455 §5.5.2). 0 = none.
  Ms ws_ping_interval = std::chrono::seconds(30);
  /// A ping not answered by a pong within this time closes the flow (kKeepAliveTimeout).
  Ms ws_pong_timeout = std::chrono::seconds(10);
  /// Deadline for an inbound TLS/WebSocket handshake and for an outgoing connect + handshakes.
  Ms handshake_timeout = std::chrono::seconds(10);
  /// CloseMode::kGoingAway: how long a WS/WSS flow waits for the peer's Close frame after
  /// sending its own before it closes the TCP connection anyway (RFC 6455 §7.1.1 lets the
  /// server close first). Short: it bounds how long a draining NetTransport::stop() takes.
  Ms ws_close_timeout = std::chrono::seconds(2);
  /// A UDP flow (Transport::udp_flow) with no datagram in either direction for this long ends.
  Ms udp_flow_idle_timeout = std::chrono::minutes(3);
};

/// Everything the transport needs at start-up.
struct TransportConfig {
  std::vector<ListenerConfig> listeners;
  TlsClientConfig tls_client;
  Limits limits;
  Timers timers;
  /// HMAC-SHA256 key for flow tokens (RFC 5626 §5.2). Empty = 32 random bytes per process, so
  /// tokens die with the process (as its connections do). Set it when several processes must
  /// recognise each other's tokens as genuine (they are still dead elsewhere: kFlowDead).
  std::string flow_token_key;
};

}  // namespace wimpu::transport
