#include "wimpu/wwsf/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

#include "wimpu/common/counter.hpp"

namespace wimpu::wwsf {

FailureLimiter::FailureLimiter(common::ClockPtr clock, unsigned burst, std::chrono::seconds window,
                               std::size_t max_keys)
    : clock_(std::move(clock)),
      burst_(std::max(1u, burst)),
      per_second_(burst_ / static_cast<double>(std::max<long long>(1, window.count()))),
      max_keys_(max_keys) {}

void FailureLimiter::refill(Bucket& b, common::TimePoint now) const {
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min(burst_, b.tokens + elapsed * per_second_);
  b.updated = now;
}

std::chrono::seconds FailureLimiter::retry_after(std::string_view key) {
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    return std::chrono::seconds(0);
  }
  refill(it->second, clock_->now());
  if (it->second.tokens >= 1.0) {
    return std::chrono::seconds(0);
  }
  // Round up: a client retrying after Retry-After seconds must find a token.
  const double wait = (1.0 - it->second.tokens) / per_second_;
  return std::chrono::seconds(static_cast<long long>(std::ceil(wait)));
}

void FailureLimiter::make_room(common::TimePoint now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() >= max_keys_) {
    common::counter("wwsf.ratelimit.table_reset").inc();
    buckets_.clear();
  }
}

void FailureLimiter::record_failure(std::string_view key) {
  const auto now = clock_->now();
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      make_room(now);
    }
    it = buckets_.emplace(std::string(key), Bucket{burst_, now}).first;
  }
  refill(it->second, now);
  it->second.tokens = std::max(0.0, it->second.tokens - 1.0);
}

void FailureLimiter::reset(std::string_view key) { buckets_.erase(std::string(key)); }

}  // namespace wimpu::wwsf
