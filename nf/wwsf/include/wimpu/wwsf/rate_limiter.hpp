#pragma once
// Failed-login limiting: one token bucket per key (user name, or client address). Each failed
// login takes a token; an empty bucket refuses further attempts with 429 + Retry-After until a
// token has dripped back. Time comes from the injected Clock (tests use FakeClock).
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "wimpu/common/clock.hpp"

namespace wimpu::wwsf {

/// Token buckets keyed by string. Not thread-safe: the WWSF guards it with its own mutex.
class FailureLimiter {
public:
  /// `burst` failures are allowed at once; a full bucket refills over `window`. At most
  /// `max_keys` buckets are kept (full buckets are forgotten first; then everything is reset,
  /// counted as "wwsf.ratelimit.table_reset", so memory stays bounded under a spray of names).
  FailureLimiter(common::ClockPtr clock, unsigned burst, std::chrono::seconds window,
                 std::size_t max_keys = 100'000);

  /// Zero when `key` may try now; otherwise how long until it may (for Retry-After).
  std::chrono::seconds retry_after(std::string_view key);
  /// Records one failure for `key`.
  void record_failure(std::string_view key);
  /// Forgets `key` (a successful login clears its user's bucket).
  void reset(std::string_view key);
  /// Number of keys tracked.
  std::size_t size() const { return buckets_.size(); }

private:
  struct Bucket {
    double tokens;
    common::TimePoint updated;
  };
  void refill(Bucket& b, common::TimePoint now) const;
  void make_room(common::TimePoint now);

  common::ClockPtr clock_;
  double burst_;
  double per_second_;
  std::size_t max_keys_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace wimpu::wwsf
