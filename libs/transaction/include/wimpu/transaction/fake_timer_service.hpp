#pragma once
// TimerService for tests: timers fire only when the test advances time (cpp-common's
// cwtest_advance_time_ms), in deadline order, with the FakeClock showing each timer's deadline
// while its callback runs. No sleeps, no threads.
#include "wimpu/common/clock.hpp"
#include "wimpu/transaction/timer_queue.hpp"
#include "wimpu/transaction/timer_service.hpp"

namespace wimpu::transaction {

/// Not thread-safe: drive it from the test thread.
class FakeTimerService final : public TimerService {
public:
  /// `clock` must outlive this service; tests read it for expectations.
  explicit FakeTimerService(common::FakeClock& clock) : clock_(clock) {}

  TimerId schedule(common::Duration delay, TimerCallback cb) override;
  void cancel(TimerId id) override { queue_.cancel(id); }
  std::size_t pending() const override { return queue_.size(); }

  /// Moves the clock forward by `d`, running every timer that falls due on the way (and those
  /// their callbacks schedule within the window) at its own deadline. Returns timers run.
  std::size_t advance(common::Duration d);
  /// Runs the timers due now (delay 0) without moving the clock.
  std::size_t run_due() { return queue_.run_due(clock_.now()); }
  const common::FakeClock& clock() const { return clock_; }

private:
  common::FakeClock& clock_;
  TimerQueue queue_;
};

}  // namespace wimpu::transaction
