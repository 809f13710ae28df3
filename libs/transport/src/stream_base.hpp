#pragma once
// What TCP, TLS, WS and WSS connections have in common: the write queue driven by a
// start_write() of their own and its deferred flush (request_flush()), the outgoing TCP connect,
// the TLS handshake in either role (RFC 3261 §26.2.1, RFC 5922 §7) and the handshake-timeout
// reason. StreamConnection (stream_connection.cpp) frames by Content-Length; WsConnection
// (ws_connection.cpp) by WebSocket message. UDP flows derive from Connection directly.
#include <cstddef>
#include <string>
#include <utility>

#include <boost/asio/ssl/stream_base.hpp>

#include "connection.hpp"
#include "tls_stream.hpp"

namespace wimpu::transport::detail {

class StreamBase : public Connection {
public:
  using Connection::Connection;

  /// Queues `bytes`; the write starts at the end of the current turn (request_flush()), so that
  /// every message queued meanwhile leaves in the same socket write.
  Expected<void, SendError> send(std::string bytes) final;

  /// The shard's deferred flush (Shard::defer_flush): writes what is queued unless an input batch
  /// of this connection is still running (its end writes then).
  void deferred_flush() final;

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

  /// Starts a write now if messages wait and none is in flight (after connect or handshake).
  void flush_queued() {
    if (!queue_.empty() && !writing_ && !closed_) {
      start_write();
    }
  }

  /// Write coalescing (issue 8 figure 2: one sendmsg per message was half the eP-CSCF's CPU).
  /// A message queued now is written at the end of the current turn, with every other message
  /// queued until then, in one gather write: no timer, no added latency beyond the turn.
  /// - Inside an input batch of this connection (begin_input_batch() .. end_input_batch(): the
  ///   messages of one read, delivered one after the other, whose answers are usually sent from
  ///   inside on_message), the batch's end writes.
  /// - Otherwise (an answer produced later, a request from another flow), the connection joins
  ///   the shard's list of connections to flush, which is flushed once by one posted handler
  ///   after the handlers already queued (Shard::defer_flush).
  /// - While a write is in flight nothing is scheduled: its completion writes what queued up.
  void request_flush();

  /// Messages of one read are about to be delivered.
  void begin_input_batch() { in_input_batch_ = true; }

  /// The read's messages are delivered and the next read goes to the socket: writes what the
  /// batch queued.
  void end_input_batch() {
    in_input_batch_ = false;
    if (std::exchange(flush_after_batch_, false)) {
      flush_queued();
    }
  }

  /// Completion of a write of the first `messages` queued messages: drops them from the queue,
  /// closes the flow on a write error, finishes a close_after_flush(). True when another write
  /// should start now.
  bool after_write(const error_code& ec, std::size_t messages);

  std::string host_;        ///< outgoing: the name we meant to reach (SNI, certificate check)
  bool connected_ = false;  ///< the TCP connection exists (inbound: always)

private:
  bool in_input_batch_ = false;     // between begin_input_batch() and end_input_batch()
  bool flush_after_batch_ = false;  // a send during the batch waits for its end
  bool flush_scheduled_ = false;    // in the shard's deferred-flush list
};

}  // namespace wimpu::transport::detail
