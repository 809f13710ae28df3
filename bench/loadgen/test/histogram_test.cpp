#include "wimpu/loadgen/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace wimpu::loadgen {
namespace {

TEST(Histogram, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.value_at_quantile(0.5), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 1000; ++v) {
    h.record(v);
  }
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.value_at_quantile(0.5), 500u);
  EXPECT_EQ(h.value_at_quantile(0.99), 990u);
  EXPECT_EQ(h.value_at_quantile(1.0), 1000u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 500.5);
}

TEST(Histogram, BucketsAreContinuousAndMonotonic) {
  std::size_t previous = 0;
  for (std::uint64_t v = 0; v < (1u << 20); ++v) {
    const std::size_t i = Histogram::index_of(v);
    ASSERT_TRUE(i == previous || i == previous + 1) << v;
    ASSERT_LE(v, Histogram::highest_equivalent(i)) << v;
    previous = i;
  }
  EXPECT_EQ(Histogram::index_of(~std::uint64_t{0}), Histogram::kBuckets - 1);
  EXPECT_EQ(Histogram::highest_equivalent(Histogram::kBuckets - 1), ~std::uint64_t{0});
}

TEST(Histogram, RelativeErrorBelowTwoPerMille) {
  // Every quantile of a wide log-uniform sample is within 1/512 of the exact order statistic.
  std::mt19937_64 gen(42);
  std::uniform_real_distribution<double> exp(0, 40);
  std::vector<std::uint64_t> values;
  Histogram h;
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<std::uint64_t>(std::exp2(exp(gen)));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999, 0.9999}) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * values.size())) - 1;
    const double exact = static_cast<double>(values[rank]);
    const double got = static_cast<double>(h.value_at_quantile(q));
    EXPECT_GE(got, exact) << q;
    EXPECT_LE(got, exact * (1.0 + 1.0 / 512) + 1) << q;
  }
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.value_at_quantile(1.0), values.back());
}

TEST(Histogram, MergeAddsCountsAndKeepsExtremes) {
  Histogram a;
  Histogram b;
  a.record(10);
  a.record(20);
  b.record(5);
  b.record(1'000'000);
  a.merge(b);
  EXPECT_EQ(a.count(), 4u);
  EXPECT_EQ(a.min(), 5u);
  EXPECT_EQ(a.max(), 1'000'000u);
  EXPECT_EQ(a.value_at_quantile(0.5), 10u);
  Histogram c(a);
  a.reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(c.count(), 4u);
}

}  // namespace
}  // namespace wimpu::loadgen
