#include "wimpu/transaction/fake_timer_service.hpp"

#include <utility>

namespace wimpu::transaction {

TimerId FakeTimerService::schedule(common::Duration delay, TimerCallback cb) {
  if (delay < common::Duration::zero()) {
    delay = common::Duration::zero();
  }
  return queue_.add(clock_.now() + delay, std::move(cb));
}

std::size_t FakeTimerService::advance(common::Duration d) {
  const common::TimePoint target = clock_.now() + d;
  std::size_t ran = 0;
  while (true) {
    const auto next = queue_.next_deadline();
    if (!next || *next > target) {
      break;
    }
    if (*next > clock_.now()) {
      clock_.advance(*next - clock_.now());
    }
    ran += queue_.run_due(clock_.now());
  }
  if (target > clock_.now()) {
    clock_.advance(target - clock_.now());
  }
  return ran;
}

}  // namespace wimpu::transaction
