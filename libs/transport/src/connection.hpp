#pragma once
// Base of everything that has a FlowId: stream connections (TCP, TLS, WS, WSS; inbound and
// outgoing) and UDP flows. A Connection lives on one shard and is touched only by its thread.
//
// Ownership and lifetime: the shard's flow table holds a shared_ptr while the flow is live; each
// coroutine and pending completion handler holds another (passed as a by-value `self` parameter,
// never captured by a coroutine lambda). The shard's DeadlineQueue holds a raw pointer, removed
// by close(). close() releases the table's reference; the object dies
// when the last operation, woken by the socket close, has returned. Every method re-checks
// closed_ after each co_await: the flow may have been closed while suspended (STYLE.md).
// co_spawn on the shard's own context runs the new coroutine inline up to its first suspension
// (Asio dispatches), so state the coroutine reads first must be set before co_spawn.
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "asio_types.hpp"
#include "deadline_queue.hpp"
#include "wimpu/common/expected.hpp"
#include "wimpu/transport/message.hpp"
#include "wimpu/transport/transport.hpp"

namespace wimpu::transport::detail {

class Shard;
struct ListenerShared;

/// The messages waiting to be written on one connection, oldest first. A std::deque allocates
/// about 0.5 KiB even when empty; most flows are idle WICs (issue 8 figure 3), so the deque
/// exists only while messages wait. Elements never move while queued (a write in flight points
/// at them); pop_front() frees everything once the queue is empty.
class WriteQueue {
public:
  bool empty() const { return !q_ || q_->empty(); }
  std::size_t size() const { return q_ ? q_->size() : 0; }
  std::string& front() { return q_->front(); }
  std::string& operator[](std::size_t i) { return (*q_)[i]; }
  void push_back(std::string bytes) {
    if (!q_) {
      q_.emplace();
    }
    q_->push_back(std::move(bytes));
  }
  void pop_front() {
    q_->pop_front();
    if (q_->empty()) {
      q_.reset();
    }
  }

private:
  std::optional<std::deque<std::string>> q_;
};

class Connection : public std::enable_shared_from_this<Connection> {
public:
  Connection(Shard& shard, Protocol protocol, ListenerShared* listener);
  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  FlowId id() const { return id_; }
  Protocol protocol() const { return protocol_; }
  const Endpoint& local() const { return local_; }
  const Endpoint& remote() const { return remote_; }
  bool closed() const { return closed_; }
  /// The listener that accepted it (or whose socket a UDP flow uses); kAnyListener if outgoing.
  ListenerId listener_id() const;
  bool handed_out() const { return handed_out_; }
  /// Key in the shard's outgoing-connection map, empty for inbound flows.
  const std::string& outgoing_key() const { return outgoing_key_; }

  /// Called once by the shard right after the flow table gave it an id.
  void set_id(FlowId id) { id_ = id; }
  /// The flow was returned to the layer above (send_to, udp_flow): closing must be reported.
  void mark_handed_out() { handed_out_ = true; }
  void set_outgoing_key(std::string key) { outgoing_key_ = std::move(key); }

  /// Inbound connection just accepted: run handshakes (if any), then read. Outgoing: connect to
  /// `dest`, handshake, write what was queued, then read.
  virtual void start_server() = 0;
  virtual void start_client(const Destination& dest) = 0;

  /// Queues one message. Over Limits::max_write_queue_bytes the flow is closed
  /// (kWriteQueueFull) and kQueueFull returned.
  virtual Expected<void, SendError> send(std::string bytes) = 0;

  /// The shard's deferred flush reached this connection (stream connections; see
  /// StreamBase::request_flush()). On the shard, from a handler of its own.
  virtual void deferred_flush() {}

  /// Ends the flow once: cancels I/O and timers, frees the flow slot and reports
  /// on_flow_closed (posted) if the flow was handed out. Safe to call from inside any handler.
  void close(CloseReason reason);

  /// Closes once everything queued is written (CloseMode::kFlushWrites, kGoingAway,
  /// kPolicyClose): stops delivering and accepting sends now, closes with `reason` when the queue
  /// is empty (after the WebSocket closing handshake for kGoingAway/kPolicyClose, see
  /// finish_flush()) or after Timers::handshake_timeout. kAbort is treated as kFlushWrites.
  void close_after_flush(CloseReason reason = CloseReason::kLocalClose,
                         CloseMode mode = CloseMode::kFlushWrites);

  /// Notes traffic that keeps the flow alive (Timers::idle_timeout).
  void touch() { last_activity_ = std::chrono::steady_clock::now(); }

  /// The shard's DeadlineQueue woke the flow: checks the handshake, drain, idle and keep-alive
  /// deadlines (closing the flow when one passed) and asks to be woken at the next one.
  void on_timer(SteadyTime now);

protected:
  /// Cancels every socket operation (closing the socket) and the timer.
  virtual void cancel_io() = 0;

  /// WebSocket keep-alive hook of the timer loop: may send a ping or close; returns when it
  /// wants to run next (time_point::max() for never).
  virtual SteadyTime keepalive_tick(SteadyTime now);

  /// Reason to report when the handshake deadline passes.
  virtual CloseReason handshake_timeout_reason() const { return CloseReason::kHandshakeFailed; }

  /// The connection is up (accepted and handshaken): from now on a close is reported, idle and
  /// keep-alive timers run.
  void established();

  /// Starts the deadlines (handshake deadline, then idle timeout and keep-alives).
  void start_timer(std::chrono::milliseconds handshake_timeout);

  /// A deadline moved (established, pong, drain): re-evaluates them soon, from the event loop.
  void wake_timer();

  /// Builds an InboundMessage of this flow and hands it to the shard's sink.
  void deliver(std::string data, std::shared_ptr<const WsHandshakeInfo> ws = nullptr);

  /// Write-queue bookkeeping shared by the stream implementations.
  Expected<void, SendError> enqueue(std::string bytes);

  /// For the writers: after the queue drained, finishes a close_after_flush() (finish_flush()).
  /// True if no further write may start.
  bool drained();

  /// The queue of a close_after_flush() is empty: closes with drain_reason_. WebSocket
  /// connections override it to run the closing handshake for drain_mode_ kGoingAway or
  /// kPolicyClose (RFC 6455 §7.4.1).
  virtual void finish_flush();

  Shard& shard_;
  const Protocol protocol_;
  ListenerShared* const listener_;  // null for outgoing connections
  FlowId id_;
  Endpoint local_;
  Endpoint remote_;
  std::string outgoing_key_;
  bool closed_ = false;
  bool established_ = false;
  bool handed_out_ = false;
  bool draining_ = false;  // close_after_flush() in progress
  CloseMode drain_mode_ = CloseMode::kFlushWrites;  // ... and how it ends
  CloseReason drain_reason_ = CloseReason::kLocalClose;
  SteadyTime drain_deadline_ = SteadyTime::max();
  SteadyTime last_activity_;
  SteadyTime handshake_deadline_ = SteadyTime::max();
  std::chrono::milliseconds idle_timeout_{0};
  friend class DeadlineQueue;
  std::uint32_t deadline_index_ = DeadlineQueue::kNotQueued;  // owned by shard_.deadlines()
  WriteQueue queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
};

using ConnectionPtr = std::shared_ptr<Connection>;

}  // namespace wimpu::transport::detail
