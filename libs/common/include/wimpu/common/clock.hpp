#pragma once
// Time is injected everywhere a timer or an expiry is computed, so tests drive every path with a
// fake clock and never sleep (STYLE.md "Testing"; cpp-common's cwtest_advance_time_ms).
#include <chrono>
#include <memory>

namespace wimpu::common {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

/// Monotonic time source. Implementations are thread-safe to read.
class Clock {
public:
  virtual ~Clock() = default;
  /// Current monotonic time.
  virtual TimePoint now() const = 0;
  /// Current wall-clock time, in seconds since the Unix epoch (for absolute expiries stored in W4).
  virtual std::chrono::system_clock::time_point wall_now() const = 0;
};

using ClockPtr = std::shared_ptr<const Clock>;

/// The process clock: std::chrono::steady_clock and system_clock.
class SystemClock final : public Clock {
public:
  TimePoint now() const override;
  std::chrono::system_clock::time_point wall_now() const override;
  /// Shared instance; never null.
  static ClockPtr instance();
};

/// A clock that moves only when a test advances it. Not thread-safe: drive it from one thread.
class FakeClock final : public Clock {
public:
  FakeClock();
  TimePoint now() const override { return now_; }
  std::chrono::system_clock::time_point wall_now() const override { return wall_; }
  /// Moves both the monotonic and the wall clock forward by `d`.
  void advance(Duration d) {
    now_ += d;
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  }

private:
  TimePoint now_;
  std::chrono::system_clock::time_point wall_;
};

}  // namespace wimpu::common
