#pragma once
// What TCP, TLS, WS and WSS connections have in common: the write queue driven by a
// start_write() of their own, the outgoing TCP connect, the TLS handshake in either role
// (RFC 3261 §26.2.1, RFC 5922 §7) and the handshake-timeout reason. StreamConnection
// (stream_connection.cpp) frames by Content-Length; WsConnection (ws_connection.cpp) by
// WebSocket message. UDP flows are not streams and derive from Connection directly.
#include <cstddef>
#include <string>

#include <boost/asio/ssl/stream_base.hpp>

#include "connection.hpp"
#include "tls_stream.hpp"

namespace wimpu::transport::detail {

class StreamBase : public Connection {
public:
  using Connection::Connection;

  /// Queues `bytes` and starts a write when the connection is up and no write is in flight.
  Expected<void, SendError> send(std::string bytes) final;

protected:
  /// Writes one or more messages from the head of queue_; its completion calls after_write().
  virtual void start_write() = 0;

  /// Before the TCP connect completes a timeout is a failed connect, after it a failed handshake.
  CloseReason handshake_timeout_reason() const final {
    return connected_ ? CloseReason::kHandshakeFailed : CloseReason::kConnectFailed;
  }

  /// Outgoing: remembers where to connect and the name the TLS certificate must carry.
  void set_destination(const Destination& dest);

  /// Opens `socket` and connects it to remote_. On failure counts `connect_failed`, closes the
  /// flow (kConnectFailed) and returns false; false too when the flow was closed meanwhile.
  Awaitable<bool> connect(BasicSocket& socket);

  /// TLS handshake in the server or client role. A client sends SNI for a host name and, when
  /// configured, verifies that the certificate names host_ (RFC 5922 §7, RFC 6125). On failure
  /// counts `handshake_failed`, closes the flow (kHandshakeFailed) and returns false.
  Awaitable<bool> tls_handshake(TlsStream& tls, asio::ssl::stream_base::handshake_type role);

  /// Starts a write if messages wait and none is in flight (after connect, after a pong).
  void flush_queued() {
    if (!queue_.empty() && !writing_) {
      start_write();
    }
  }

  /// Completion of a write of the first `messages` queued messages: drops them from the queue,
  /// closes the flow on a write error, finishes a close_after_flush(). True when another write
  /// should start now.
  bool after_write(const error_code& ec, std::size_t messages);

  std::string host_;        ///< outgoing: the name we meant to reach (SNI, certificate check)
  bool connected_ = false;  ///< the TCP connection exists (inbound: always)
};

}  // namespace wimpu::transport::detail
