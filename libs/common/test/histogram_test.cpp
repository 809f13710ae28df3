#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "wimpu/common/histogram.hpp"

namespace wimpu::common {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(Histogram, BucketsAreCumulativeAndBoundsInclusive) {
  Histogram h({0.001, 0.01, 0.1});
  h.observe(microseconds(500));  // <= 1 ms
  h.observe(milliseconds(1));    // exactly on the bound: still le="0.001"
  h.observe(milliseconds(5));    // <= 10 ms
  h.observe(milliseconds(500));  // only +Inf
  const HistogramSnapshot s = h.snapshot();
  ASSERT_EQ(s.cumulative.size(), 3u);
  EXPECT_EQ(s.cumulative[0], 2u);
  EXPECT_EQ(s.cumulative[1], 3u);
  EXPECT_EQ(s.cumulative[2], 3u);
  EXPECT_EQ(s.count, 4u);
  EXPECT_NEAR(s.sum_seconds, 0.5065, 1e-9);
}

TEST(Histogram, ConcurrentObservationsAreAllCounted) {
  Histogram& h = histogram("test.histogram.concurrent");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h] {
      for (int i = 0; i < 5000; ++i) {
        h.observe(microseconds(100));
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  const auto all = HistogramRegistry::global().snapshot();
  ASSERT_TRUE(all.count("test.histogram.concurrent"));
  EXPECT_EQ(all.at("test.histogram.concurrent").count, 20000u);
  EXPECT_EQ(all.at("test.histogram.concurrent").cumulative.front(), 20000u);
}

TEST(HistogramRegistry, SameNameSameHistogram) {
  EXPECT_EQ(&histogram("test.histogram.same"), &histogram("test.histogram.same"));
}

}  // namespace
}  // namespace wimpu::common
