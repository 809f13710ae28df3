#include "wimpu/common/clock.hpp"

namespace wimpu::common {

TimePoint SystemClock::now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

std::chrono::system_clock::time_point SystemClock::wall_now() const {
  return std::chrono::system_clock::now();
}

ClockPtr SystemClock::instance() {
  static const ClockPtr clock = std::make_shared<SystemClock>();
  return clock;
}

// Starts at a fixed, recognisable instant so test output is reproducible.
FakeClock::FakeClock()
    : now_(TimePoint(std::chrono::hours(1000))),
      wall_(std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000))) {}

}  // namespace wimpu::common
