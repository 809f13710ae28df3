#include "deadline_queue.hpp"

#include <utility>

#include "connection.hpp"
#include "wimpu/common/assert.hpp"

namespace wimpu::transport::detail {

DeadlineQueue::DeadlineQueue(asio::io_context& context) : timer_(context.get_executor()) {}

void DeadlineQueue::schedule(Connection& conn, SteadyTime when) {
  if (when == SteadyTime::max()) {
    remove(conn);
    return;
  }
  if (conn.deadline_index_ == kNotQueued) {
    WIMPU_RELEASE_ASSERT(heap_.size() < kNotQueued);
    conn.deadline_index_ = static_cast<std::uint32_t>(heap_.size());
    heap_.push_back(Entry{when, &conn});
    sift_up(conn.deadline_index_);
  } else {
    heap_[conn.deadline_index_].when = when;
    place(conn.deadline_index_);
  }
  if (!firing_) {
    arm();
  }
}

void DeadlineQueue::remove(Connection& conn) {
  if (conn.deadline_index_ != kNotQueued) {
    pop(conn.deadline_index_);
  }
}

void DeadlineQueue::stop() {
  stopped_ = true;
  timer_.cancel();
}

void DeadlineQueue::place(std::uint32_t i) {
  if (!sift_up(i)) {
    sift_down(i);
  }
}

bool DeadlineQueue::sift_up(std::uint32_t i) {
  bool moved = false;
  while (i > 0) {
    const std::uint32_t parent = (i - 1) / 2;
    if (!(heap_[i].when < heap_[parent].when)) {
      break;
    }
    swap_entries(i, parent);
    i = parent;
    moved = true;
  }
  return moved;
}

void DeadlineQueue::sift_down(std::uint32_t i) {
  const auto n = static_cast<std::uint32_t>(heap_.size());
  for (;;) {
    const std::uint32_t left = 2 * i + 1;
    if (left >= n) {
      return;
    }
    std::uint32_t least = left;
    if (left + 1 < n && heap_[left + 1].when < heap_[left].when) {
      least = left + 1;
    }
    if (!(heap_[least].when < heap_[i].when)) {
      return;
    }
    swap_entries(i, least);
    i = least;
  }
}

void DeadlineQueue::swap_entries(std::uint32_t a, std::uint32_t b) {
  std::swap(heap_[a], heap_[b]);
  heap_[a].conn->deadline_index_ = a;
  heap_[b].conn->deadline_index_ = b;
}

void DeadlineQueue::pop(std::uint32_t i) {
  const auto last = static_cast<std::uint32_t>(heap_.size() - 1);
  heap_[i].conn->deadline_index_ = kNotQueued;
  if (i != last) {
    heap_[i] = heap_[last];
    heap_[i].conn->deadline_index_ = i;
    heap_.pop_back();
    place(i);
  } else {
    heap_.pop_back();
  }
  if (heap_.empty()) {
    // Nothing to wake: no pending wait either, so that a shard whose flows are all gone runs
    // out of work (ShardPool::stop lets the io_context finish what is queued). A shard that held
    // many flows and now holds none gives the array back.
    heap_.shrink_to_fit();
    armed_ = SteadyTime::max();
    timer_.cancel();
  }
}

void DeadlineQueue::arm() {
  if (stopped_ || heap_.empty() || !(heap_.front().when < armed_)) {
    return;  // a later or spurious wake only finds nothing due
  }
  armed_ = heap_.front().when;
  timer_.expires_at(armed_);  // cancels the earlier wait (its handler sees operation_aborted)
  timer_.async_wait([this](const error_code& ec) {
    if (ec != asio::error::operation_aborted) {
      fire();
    }
  });
}

void DeadlineQueue::fire() {
  armed_ = SteadyTime::max();
  if (stopped_) {
    return;
  }
  const SteadyTime now = std::chrono::steady_clock::now();
  firing_ = true;
  // At most the entries queued now: a connection that asks to wake again at once is handled on
  // the next round, never in a loop here.
  for (std::size_t budget = heap_.size(); budget > 0 && !heap_.empty(); --budget) {
    if (now < heap_.front().when) {
      break;
    }
    Connection* conn = heap_.front().conn;
    pop(0);
    // on_timer() may close the connection and drop the flow table's reference.
    const ConnectionPtr keep = conn->shared_from_this();
    conn->on_timer(now);
  }
  firing_ = false;
  arm();
}

}  // namespace wimpu::transport::detail
