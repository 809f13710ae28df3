#include <gtest/gtest.h>

#include "wimpu/wwsf/rate_limiter.hpp"

namespace wimpu::wwsf {
namespace {

using std::chrono::seconds;

TEST(FailureLimiter, BlocksAfterBurstAndDripsBack) {
  auto clock = std::make_shared<common::FakeClock>();
  FailureLimiter limiter(clock, 3, seconds(300));  // One token back every 100 s.
  EXPECT_EQ(limiter.retry_after("alice"), seconds(0));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limiter.retry_after("alice"), seconds(0));
    limiter.record_failure("alice");
  }
  EXPECT_EQ(limiter.retry_after("alice"), seconds(100));
  EXPECT_EQ(limiter.retry_after("bob"), seconds(0));  // Keys are independent.
  clock->advance(seconds(40));
  EXPECT_EQ(limiter.retry_after("alice"), seconds(60));
  clock->advance(seconds(60));
  EXPECT_EQ(limiter.retry_after("alice"), seconds(0));
  limiter.record_failure("alice");
  EXPECT_GT(limiter.retry_after("alice"), seconds(0));
  limiter.reset("alice");
  EXPECT_EQ(limiter.retry_after("alice"), seconds(0));
}

TEST(FailureLimiter, TableStaysBounded) {
  auto clock = std::make_shared<common::FakeClock>();
  FailureLimiter limiter(clock, 2, seconds(10), 100);
  for (int i = 0; i < 1000; ++i) {
    limiter.record_failure("user" + std::to_string(i));
  }
  EXPECT_LE(limiter.size(), 100u);
  // Refilled buckets are dropped first when room is needed.
  clock->advance(seconds(60));
  limiter.record_failure("late");
  EXPECT_EQ(limiter.size(), 1u);
}

}  // namespace
}  // namespace wimpu::wwsf
