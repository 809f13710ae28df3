#include "wimpu/transaction/timer_queue.hpp"

#include <algorithm>
#include <utility>

namespace wimpu::transaction {

TimerId TimerQueue::add(common::TimePoint now, common::Duration delay, TimerCallback cb) {
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
  ++live_;
  const Entry e{now + delay, seq_++, slot, s.gen};
  // Same delay, non-decreasing now: appending keeps each list sorted by deadline.
  auto it = std::find_if(fifos_.begin(), fifos_.end(), [&](const Fifo& f) { return f.delay == delay; });
  if (it == fifos_.end() && fifos_.size() < kMaxFifos) {
    fifos_.push_back(Fifo{delay, {}});
    it = fifos_.end() - 1;
  }
  if (it != fifos_.end()) {
    it->entries.push_back(e);
  } else {
    heap_.push_back(e);
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  return (std::uint64_t{s.gen} << 32) | slot;
}

void TimerQueue::release(std::uint32_t slot) {
  Slot& s = slots_[slot];
  s.armed = false;
  s.cb = nullptr;
  // A new generation makes every id and entry of the old use stale.
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
  release(slot);  // its entry is dropped when it reaches the head of its list
  return true;
}

void TimerQueue::drop_stale_heads() {
  for (Fifo& f : fifos_) {
    while (!f.entries.empty() && stale(f.entries.front())) {
      f.entries.pop_front();
    }
  }
  while (!heap_.empty() && stale(heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }
}

const TimerQueue::Entry* TimerQueue::earliest(Fifo*& fifo) {
  drop_stale_heads();
  const Entry* best = heap_.empty() ? nullptr : &heap_.front();
  fifo = nullptr;
  for (Fifo& f : fifos_) {
    if (!f.entries.empty() && (best == nullptr || later(*best, f.entries.front()))) {
      best = &f.entries.front();
      fifo = &f;
    }
  }
  return best;
}

std::optional<common::TimePoint> TimerQueue::next_deadline() {
  Fifo* f = nullptr;
  const Entry* e = earliest(f);
  return e ? std::optional<common::TimePoint>(e->when) : std::nullopt;
}

std::size_t TimerQueue::run_due(common::TimePoint now) {
  std::size_t ran = 0;
  while (true) {
    Fifo* f = nullptr;
    const Entry* e = earliest(f);
    if (e == nullptr || e->when > now) {
      return ran;
    }
    const Entry due = *e;
    if (f != nullptr) {
      f->entries.pop_front();
    } else {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      heap_.pop_back();
    }
    TimerCallback cb = std::move(slots_[due.slot].cb);
    release(due.slot);
    ++ran;
    cb();
  }
}

std::size_t TimerQueue::entries() const {
  std::size_t n = heap_.size();
  for (const Fifo& f : fifos_) {
    n += f.entries.size();
  }
  return n;
}

}  // namespace wimpu::transaction
