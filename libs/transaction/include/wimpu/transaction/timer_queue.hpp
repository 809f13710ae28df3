#pragma once
// The deadline queue behind both timer services. SIP timers come in a handful of fixed durations
// (T1 multiples, T4, 64*T1, Timer C, Timer D), and the clock never goes back, so timers of one
// duration expire in the order they were armed: each duration gets a FIFO, and the queue is a
// few FIFOs (Kamailio's tm timer lists follow the same idea). Arming and cancelling are O(1),
// expiry is O(1) per timer, and nothing is ever re-sorted: no O(n log n) heap with hundreds of
// thousands of cancelled Timer C entries, no compaction pause. Durations beyond the FIFO budget
// fall back to a binary heap.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "wimpu/common/clock.hpp"
#include "wimpu/transaction/timer_service.hpp"

namespace wimpu::transaction {

/// Not thread-safe: one shard (or one test thread) owns it.
class TimerQueue {
public:
  /// Adds a timer due at now + delay. `now` must not go back between calls. Never returns 0.
  TimerId add(common::TimePoint now, common::Duration delay, TimerCallback cb);
  /// Removes a timer; no-op when unknown or already run. Returns true when it was pending.
  bool cancel(TimerId id);
  /// Earliest deadline among pending timers (cancelled ones at the head of a list are dropped
  /// first, so callers do not wake up for them).
  std::optional<common::TimePoint> next_deadline();
  /// Runs, in deadline order, every timer due at or before `now`, including timers that callbacks
  /// add with deadlines <= now. Returns the number run. Callbacks may add and cancel timers.
  std::size_t run_due(common::TimePoint now);
  /// Pending (not run, not cancelled) timers.
  std::size_t size() const { return live_; }
  /// Entries still held (pending plus cancelled ones not yet dropped), for tests and metrics.
  std::size_t entries() const;

private:
  struct Entry {
    common::TimePoint when;
    std::uint64_t seq;  // FIFO among equal deadlines across lists
    std::uint32_t slot;
    std::uint32_t gen;
  };
  struct Slot {
    TimerCallback cb;
    std::uint32_t gen = 1;
    bool armed = false;
  };
  struct Fifo {
    common::Duration delay;
    std::deque<Entry> entries;
  };
  static constexpr std::size_t kMaxFifos = 32;

  static bool later(const Entry& a, const Entry& b) {
    return a.when != b.when ? a.when > b.when : a.seq > b.seq;
  }
  bool stale(const Entry& e) const { return !slots_[e.slot].armed || slots_[e.slot].gen != e.gen; }
  void release(std::uint32_t slot);
  void drop_stale_heads();
  /// The due entry with the earliest (deadline, seq), or nullptr. Sets `fifo` (nullptr = heap).
  const Entry* earliest(Fifo*& fifo);

  std::vector<Fifo> fifos_;
  std::vector<Entry> heap_;  // durations beyond kMaxFifos
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::uint64_t seq_ = 0;
  std::size_t live_ = 0;
};

}  // namespace wimpu::transaction
