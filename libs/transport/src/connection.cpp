#include "connection.hpp"

#include "counters.hpp"
#include "shard.hpp"

namespace wimpu::transport::detail {

Connection::Connection(Shard& shard, Protocol protocol, ListenerShared* listener)
    : shard_(shard),
      protocol_(protocol),
      listener_(listener),
      last_activity_(std::chrono::steady_clock::now()),
      idle_timeout_(shard.config().timers.idle_timeout) {}

void Connection::close(CloseReason reason) {
  if (closed_) {
    return;
  }
  closed_ = true;
  // The flow table's reference goes away in flow_closed(); keep the object alive until the end
  // of this call (it may be running inside one of its own handlers).
  const ConnectionPtr self = shared_from_this();
  shard_.deadlines().remove(*this);
  // Queued buffers stay until destruction: an in-flight write may still point into them until
  // its (aborted) completion runs.
  cancel_io();
  if (listener_ != nullptr && protocol_ != Protocol::kUdp) {
    listener_->active.fetch_sub(1, std::memory_order_relaxed);
  }
  shard_.flow_closed(*this, reason);
}

ListenerId Connection::listener_id() const {
  return listener_ != nullptr ? listener_->id : kAnyListener;
}

void Connection::close_after_flush(CloseReason reason, CloseMode mode) {
  if (closed_ || draining_) {
    return;
  }
  draining_ = true;
  drain_mode_ = mode;
  drain_reason_ = reason;
  drain_deadline_ = std::chrono::steady_clock::now() + shard_.config().timers.handshake_timeout;
  if (queue_.empty() && !writing_) {
    finish_flush();
    return;
  }
  wake_timer();  // re-evaluate deadlines with the drain deadline
}

bool Connection::drained() {
  if (draining_ && queue_.empty()) {
    finish_flush();
    return true;
  }
  return false;
}

void Connection::finish_flush() { close(drain_reason_); }

SteadyTime Connection::keepalive_tick(SteadyTime) { return SteadyTime::max(); }

void Connection::established() {
  established_ = true;
  handed_out_ = true;
  touch();
  // The queue waits for the handshake deadline; compute the idle and keep-alive ones instead.
  wake_timer();
}

void Connection::start_timer(std::chrono::milliseconds handshake_timeout) {
  handshake_deadline_ = std::chrono::steady_clock::now() + handshake_timeout;
  shard_.deadlines().schedule(*this, handshake_deadline_);
}

void Connection::wake_timer() {
  if (!closed_) {
    shard_.deadlines().schedule(*this, std::chrono::steady_clock::now());
  }
}

void Connection::on_timer(SteadyTime now) {
  if (closed_) {
    return;
  }
  SteadyTime next = SteadyTime::max();
  if (draining_) {
    if (now >= drain_deadline_) {
      proto_counter(protocol_, "flush_timeout").inc();
      close(drain_reason_);
      return;
    }
    next = drain_deadline_;
  }
  if (!established_) {
    if (now >= handshake_deadline_) {
      proto_counter(protocol_, "handshake_timeout").inc();
      close(handshake_timeout_reason());
      return;
    }
    next = std::min(next, handshake_deadline_);
  } else {
    if (idle_timeout_.count() > 0) {
      const SteadyTime idle_at = last_activity_ + idle_timeout_;
      if (now >= idle_at) {
        proto_counter(protocol_, "idle_timeout").inc();
        close(CloseReason::kIdleTimeout);
        return;
      }
      next = std::min(next, idle_at);
    }
    next = std::min(next, keepalive_tick(now));
    if (closed_) {
      return;
    }
  }
  shard_.deadlines().schedule(*this, next);
}

void Connection::deliver(std::string data, std::shared_ptr<const WsHandshakeInfo> ws) {
  if (draining_) {
    counter("dropped_while_closing").inc();
    return;
  }
  InboundMessage msg;
  msg.data = std::move(data);
  msg.protocol = protocol_;
  msg.local = local_;
  msg.remote = remote_;
  msg.flow = id_;
  msg.shard = shard_.id();
  msg.listener = listener_id();
  msg.ws = std::move(ws);
  hot(protocol_).messages_in->inc();
  shard_.deliver(std::move(msg));
}

Expected<void, SendError> Connection::enqueue(std::string bytes) {
  if (closed_ || draining_) {
    counter("send.flow_closing").inc();
    return SendError::kFlowDead;
  }
  if (queued_bytes_ + bytes.size() > shard_.config().limits.max_write_queue_bytes) {
    // RFC 5626 §4.4 flows exist to be kept; a peer that stops reading is the exception, and
    // closing it bounds our memory (STYLE.md "Overload: bounded queues").
    proto_counter(protocol_, "write_queue_full").inc();
    close(CloseReason::kWriteQueueFull);
    return SendError::kQueueFull;
  }
  queued_bytes_ += bytes.size();
  queue_.push_back(std::move(bytes));
  return {};
}

}  // namespace wimpu::transport::detail
