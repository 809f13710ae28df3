#include "wimpu/transaction/timer_queue.hpp"

#include <algorithm>
#include <utility>

namespace wimpu::transaction {

TimerId TimerQueue::add(common::TimePoint when, TimerCallback cb) {
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.cb = std::move(cb);
  s.armed = true;
  heap_.push_back(Entry{when, seq_++, slot, s.gen});
  std::push_heap(heap_.begin(), heap_.end(), later);
  ++live_;
  return (std::uint64_t{s.gen} << 32) | slot;
}

void TimerQueue::release(std::uint32_t slot) {
  Slot& s = slots_[slot];
  s.armed = false;
  s.cb = nullptr;
  // A new generation makes every id and heap entry of the old use stale.
  if (++s.gen == 0) {
    s.gen = 1;
  }
  free_.push_back(slot);
  --live_;
}

bool TimerQueue::cancel(TimerId id) {
  const auto slot = static_cast<std::uint32_t>(id & 0xffffffffu);
  const auto gen = static_cast<std::uint32_t>(id >> 32);
  if (id == 0 || slot >= slots_.size() || !slots_[slot].armed || slots_[slot].gen != gen) {
    return false;
  }
  release(slot);
  // Cancelled entries stay in the heap until they surface; rebuild when they dominate so a
  // proxy that cancels nearly every timer does not grow the heap with its call rate.
  if (heap_.size() > 1024 && heap_.size() > 2 * live_ + 64) {
    compact();
  }
  return true;
}

void TimerQueue::compact() {
  std::erase_if(heap_, [this](const Entry& e) { return stale(e); });
  std::make_heap(heap_.begin(), heap_.end(), later);
}

std::optional<common::TimePoint> TimerQueue::next_deadline() const {
  if (heap_.empty()) {
    return std::nullopt;
  }
  return heap_.front().when;
}

std::size_t TimerQueue::run_due(common::TimePoint now) {
  std::size_t ran = 0;
  while (!heap_.empty() && heap_.front().when <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    const Entry e = heap_.back();
    heap_.pop_back();
    if (stale(e)) {
      continue;
    }
    TimerCallback cb = std::move(slots_[e.slot].cb);
    release(e.slot);
    ++ran;
    cb();
  }
  return ran;
}

}  // namespace wimpu::transaction
