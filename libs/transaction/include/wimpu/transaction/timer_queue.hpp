#pragma once
// The deadline queue behind both timer services: a binary min-heap of (deadline, id) plus a slot
// table holding the callbacks. Cancel is O(1) (the heap entry goes stale and is skipped); stale
// entries are compacted away when they outnumber the live ones, so a proxy that cancels most of
// its timers (Timer A/B/E/F end with the response) keeps a small heap.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "wimpu/common/clock.hpp"
#include "wimpu/transaction/timer_service.hpp"

namespace wimpu::transaction {

/// Not thread-safe: one shard (or one test thread) owns it.
class TimerQueue {
public:
  /// Adds a timer due at `when`. Never returns 0.
  TimerId add(common::TimePoint when, TimerCallback cb);
  /// Removes a timer; no-op when unknown or already run. Returns true when it was pending.
  bool cancel(TimerId id);
  /// Earliest deadline among pending timers (may be a cancelled one's: callers just wake early).
  std::optional<common::TimePoint> next_deadline() const;
  /// Runs, in deadline order, every timer due at or before `now`, including timers that callbacks
  /// add with deadlines <= now. Returns the number run. Callbacks may add and cancel timers.
  std::size_t run_due(common::TimePoint now);
  /// Pending (not run, not cancelled) timers.
  std::size_t size() const { return live_; }

private:
  struct Entry {
    common::TimePoint when;
    std::uint64_t seq;  // FIFO among equal deadlines
    std::uint32_t slot;
    std::uint32_t gen;
  };
  struct Slot {
    TimerCallback cb;
    std::uint32_t gen = 1;
    bool armed = false;
  };
  static bool later(const Entry& a, const Entry& b) {
    return a.when != b.when ? a.when > b.when : a.seq > b.seq;
  }
  bool stale(const Entry& e) const { return !slots_[e.slot].armed || slots_[e.slot].gen != e.gen; }
  void release(std::uint32_t slot);
  void compact();

  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::uint64_t seq_ = 0;
  std::size_t live_ = 0;
};

}  // namespace wimpu::transaction
