#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "wimpu/common/clock.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/common/expected.hpp"
#include "wimpu/common/hex.hpp"

namespace wimpu::common {
namespace {

TEST(FakeClock, AdvancesMonotonicAndWallTogether) {
  FakeClock clock;
  const auto t0 = clock.now();
  const auto w0 = clock.wall_now();
  clock.advance(std::chrono::milliseconds(1500));
  EXPECT_EQ(clock.now() - t0, std::chrono::milliseconds(1500));
  EXPECT_EQ(clock.wall_now() - w0, std::chrono::milliseconds(1500));
}

TEST(Counter, ConcurrentIncrementsAreAllCounted) {
  Counter& c = counter("test.concurrent");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(c.value(), 40000u);
  EXPECT_EQ(CounterRegistry::global().snapshot().at("test.concurrent"), 40000u);
  EXPECT_EQ(&counter("test.concurrent"), &c);
}

enum class TestError { kBad };

TEST(Expected, CarriesValueOrError) {
  Expected<int, TestError> ok = 7;
  Expected<int, TestError> bad = TestError::kBad;
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 7);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error(), TestError::kBad);
}

TEST(HexDigitValue, EveryByteDecodesToItsDigitOrMinusOne) {
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    int expected = -1;
    if (c >= '0' && c <= '9') {
      expected = b - '0';
    } else if (c >= 'a' && c <= 'f') {
      expected = b - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      expected = b - 'A' + 10;
    }
    EXPECT_EQ(hex_digit_value(c), expected) << "byte " << b;
  }
  static_assert(hex_digit_value('F') == 15 && hex_digit_value('g') == -1);
}

}  // namespace
}  // namespace wimpu::common
