#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "wimpu/transaction/asio_timer_service.hpp"
#include "wimpu/transaction/fake_timer_service.hpp"
#include "wimpu/transaction/timer_queue.hpp"

namespace wimpu::transaction {
namespace {

using namespace std::chrono_literals;

TEST(TimerQueue, RunsDueTimersInDeadlineOrderFifoOnTies) {
  TimerQueue q;
  std::string order;
  const common::TimePoint t0{};
  q.add(t0 + 30ms, [&] { order += 'c'; });
  q.add(t0 + 10ms, [&] { order += 'a'; });
  q.add(t0 + 10ms, [&] { order += 'b'; });
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.run_due(t0 + 20ms), 2u);
  EXPECT_EQ(order, "ab");
  EXPECT_EQ(q.run_due(t0 + 30ms), 1u);
  EXPECT_EQ(order, "abc");
  EXPECT_EQ(q.size(), 0u);
}

TEST(TimerQueue, CancelStopsTimerAndStaleIdsAreHarmless) {
  TimerQueue q;
  int fired = 0;
  const common::TimePoint t0{};
  const TimerId a = q.add(t0 + 1ms, [&] { ++fired; });
  EXPECT_TRUE(q.cancel(a));
  EXPECT_FALSE(q.cancel(a));
  EXPECT_FALSE(q.cancel(0));
  // The slot is reused by a new timer: the old id must not cancel it.
  q.add(t0 + 1ms, [&] { ++fired; });
  EXPECT_FALSE(q.cancel(a));
  q.run_due(t0 + 5ms);
  EXPECT_EQ(fired, 1);
}

TEST(TimerQueue, CompactsWhenMostTimersAreCancelled) {
  TimerQueue q;
  const common::TimePoint t0{};
  std::vector<TimerId> ids;
  for (int i = 0; i < 5000; ++i) {
    ids.push_back(q.add(t0 + std::chrono::seconds(32), [] {}));
  }
  for (TimerId id : ids) {
    q.cancel(id);
  }
  EXPECT_EQ(q.size(), 0u);
  int fired = 0;
  q.add(t0 + 1ms, [&] { ++fired; });
  EXPECT_EQ(q.run_due(t0 + std::chrono::seconds(40)), 1u);
  EXPECT_EQ(fired, 1);
}

TEST(FakeTimerService, AdvanceRunsEachTimerAtItsDeadlineIncludingNewOnes) {
  common::FakeClock clock;
  FakeTimerService timers(clock);
  const common::TimePoint start = clock.now();
  std::vector<common::Duration> seen;
  timers.schedule(100ms, [&] {
    seen.push_back(clock.now() - start);
    timers.schedule(50ms, [&] { seen.push_back(clock.now() - start); });
  });
  timers.schedule(400ms, [&] { seen.push_back(clock.now() - start); });
  EXPECT_EQ(timers.advance(200ms), 2u);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], 100ms);
  EXPECT_EQ(seen[1], 150ms);
  EXPECT_EQ(clock.now() - start, 200ms);
  EXPECT_EQ(timers.pending(), 1u);
  timers.advance(1s);
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2], 400ms);
}

TEST(AsioTimerService, FiresOnTheIoContextAndHonoursCancel) {
  boost::asio::io_context io(1);
  AsioTimerService timers(io);
  std::string order;
  timers.schedule(20ms, [&] { order += 'b'; });
  const TimerId never = timers.schedule(5ms, [&] { order += 'x'; });
  timers.schedule(1ms, [&] { order += 'a'; });
  timers.cancel(never);
  // run() returns once no timer is pending: the Asio timer is armed only while work is queued.
  io.run();
  EXPECT_EQ(order, "ab");
  EXPECT_EQ(timers.pending(), 0u);
}

}  // namespace
}  // namespace wimpu::transaction
