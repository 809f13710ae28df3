#pragma once
// Time is injected (STYLE.md "Testing"): the transaction and proxy layers never read a clock or
// arm an Asio timer themselves; they ask a TimerService. AsioTimerService runs timers on a shard's
// io_context; FakeTimerService runs them when a test advances a FakeClock.
#include <cstdint>
#include <functional>

#include "wimpu/common/clock.hpp"

namespace wimpu::transaction {

/// Identifies a scheduled timer. 0 never names a timer (use it for "none").
using TimerId = std::uint64_t;

/// What runs when a timer fires. Keep captures small (a pointer and an id: fits std::function's
/// inline storage, no allocation) and refer to state by id, not by pointer to something that may
/// have ended (STYLE.md "refer across async boundaries by id").
using TimerCallback = std::function<void()>;

/// One-shot timers. Threading: every method is called on the owning shard only; callbacks run
/// there too, never inline from schedule().
class TimerService {
public:
  virtual ~TimerService() = default;

  /// Runs `cb` once, `delay` from now (a delay <= 0 runs it on the next turn, never inline).
  /// Returns its id (never 0).
  virtual TimerId schedule(common::Duration delay, TimerCallback cb) = 0;

  /// Stops timer `id` if it has not fired yet; an unknown, fired or cancelled id (or 0) is a no-op.
  /// Releases the callback (and what it captured) at once.
  virtual void cancel(TimerId id) = 0;

  /// Number of timers scheduled and not yet fired or cancelled (for tests and metrics).
  virtual std::size_t pending() const = 0;
};

}  // namespace wimpu::transaction
