#include <gtest/gtest.h>

#include <set>

#include "wimpu/wwsf/session_table.hpp"

namespace wimpu::wwsf {
namespace {

using std::chrono::seconds;

TEST(SessionTable, IdsAreRandom256BitHex) {
  auto clock = std::make_shared<common::FakeClock>();
  SessionTable t(clock, seconds(60), seconds(3600), 1000);
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    const auto id = t.create("alice");
    EXPECT_EQ(id.size(), 64u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100u);
}

TEST(SessionTable, IdleAndAbsoluteExpiry) {
  auto clock = std::make_shared<common::FakeClock>();
  SessionTable t(clock, seconds(60), seconds(150), 1000);
  const auto id = t.create("alice");
  auto s = t.touch(id);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->username, "alice");
  EXPECT_EQ(s->csrf_token.size(), 64u);
  clock->advance(seconds(59));
  EXPECT_TRUE(t.touch(id));  // Refreshes the idle timer.
  clock->advance(seconds(59));
  EXPECT_TRUE(t.touch(id));
  clock->advance(seconds(40));  // 158 s after creation: past the absolute limit.
  EXPECT_FALSE(t.touch(id));
  EXPECT_EQ(t.size(), 0u);
  const auto id2 = t.create("bob");
  clock->advance(seconds(60));
  EXPECT_FALSE(t.touch(id2));
}

TEST(SessionTable, EraseAndEraseUserAndBound) {
  auto clock = std::make_shared<common::FakeClock>();
  SessionTable t(clock, seconds(60), seconds(3600), 3);
  const auto a1 = t.create("alice");
  const auto a2 = t.create("alice");
  const auto b = t.create("bob");
  t.erase(a1);
  EXPECT_FALSE(t.touch(a1));
  t.erase_user("alice");
  EXPECT_FALSE(t.touch(a2));
  EXPECT_TRUE(t.touch(b));
  for (int i = 0; i < 10; ++i) {
    clock->advance(seconds(1));
    t.create("carol");
  }
  EXPECT_EQ(t.size(), 3u);
}

}  // namespace
}  // namespace wimpu::wwsf
