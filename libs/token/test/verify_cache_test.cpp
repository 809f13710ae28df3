#include <gtest/gtest.h>

#include "wimpu/token/verify_cache.hpp"

namespace wimpu::token {
namespace {

std::shared_ptr<const Claims> claims_expiring(std::int64_t exp) {
  auto c = std::make_shared<Claims>();
  c->expires_at = exp;
  return c;
}

TEST(VerifyCache, FindsExactlyTheStoredToken) {
  VerifyCache cache(16);
  cache.insert("h.p.sig", claims_expiring(10), nullptr, 0, 1);
  ASSERT_NE(cache.find("h.p.sig"), nullptr);
  EXPECT_EQ(cache.find("h.p.sig")->claims->expires_at, 10);
  EXPECT_EQ(cache.find("h.q.sig"), nullptr);  // same signature segment, other bytes
  EXPECT_EQ(cache.find("h.p.sig2"), nullptr);
  cache.erase(*cache.find("h.p.sig"));
  EXPECT_EQ(cache.find("h.p.sig"), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(VerifyCache, IsBoundedAndEvictsTheEarliestExpiry) {
  VerifyCache cache(4);  // one 4-way bucket: every token collides
  ASSERT_EQ(cache.capacity(), 4u);
  for (int i = 0; i < 4; ++i) {
    cache.insert("t.p." + std::to_string(i), claims_expiring(100 + i), nullptr, 0, 1);
  }
  EXPECT_EQ(cache.size(), 4u);
  cache.insert("t.p.new", claims_expiring(500), nullptr, 0, 1);
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_EQ(cache.find("t.p.0"), nullptr);  // expired first: evicted
  EXPECT_NE(cache.find("t.p.1"), nullptr);
  EXPECT_NE(cache.find("t.p.new"), nullptr);
  for (int i = 0; i < 1000; ++i) {
    cache.insert("t.p.x" + std::to_string(i), claims_expiring(1000 + i), nullptr, 0, 1);
  }
  EXPECT_EQ(cache.size(), 4u);
}

TEST(VerifyCache, AHitTokenOutlivesUnusedOnesOfTheSameExpiry) {
  // Tokens minted in the same second tie on expiry: a re-REGISTER's token (hit) must not be the
  // one a burst of new tokens pushes out (bench/RESULTS.md Run 6: it was, from slot 0).
  VerifyCache cache(4);
  cache.insert("hot.p.s", claims_expiring(100), nullptr, 0, 1);
  for (int i = 0; i < 3; ++i) {
    cache.insert("cold.p." + std::to_string(i), claims_expiring(100), nullptr, 0, 1);
  }
  for (int i = 0; i < 100; ++i) {
    ASSERT_NE(cache.find("hot.p.s"), nullptr) << "after " << i << " new tokens";
    cache.insert("new.p." + std::to_string(i), claims_expiring(100), nullptr, 0, 1);
  }
  EXPECT_EQ(cache.size(), 4u);
}

TEST(VerifyCache, AnEntryNotHitAgainLosesItsSecondChance) {
  VerifyCache cache(4);
  for (int i = 0; i < 4; ++i) {
    cache.insert("t.p." + std::to_string(i), claims_expiring(100 + i), nullptr, 0, 1);
  }
  ASSERT_NE(cache.find("t.p.0"), nullptr);  // referenced: t.p.1 (next expiry) goes instead
  cache.insert("t.p.a", claims_expiring(500), nullptr, 0, 1);
  EXPECT_NE(cache.find("t.p.0"), nullptr);
  EXPECT_EQ(cache.find("t.p.1"), nullptr);
  // The eviction cleared every mark; t.p.0's find() above marked it again, so t.p.2 goes now.
  cache.insert("t.p.b", claims_expiring(500), nullptr, 0, 1);
  EXPECT_EQ(cache.find("t.p.2"), nullptr);
  // Not hit since that eviction: t.p.0 has the earliest expiry among the unmarked and goes.
  cache.insert("t.p.c", claims_expiring(500), nullptr, 0, 1);
  EXPECT_EQ(cache.find("t.p.0"), nullptr);
  EXPECT_NE(cache.find("t.p.3"), nullptr);
}

TEST(VerifyCache, ReinsertingATokenReplacesItsEntry) {
  VerifyCache cache(64);
  cache.insert("a.b.c", claims_expiring(1), nullptr, 0, 1);
  cache.insert("a.b.c", claims_expiring(2), nullptr, 0, 2);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find("a.b.c")->key_generation, 2u);
}

TEST(VerifyCache, ZeroCapacityDisables) {
  VerifyCache cache(0);
  cache.insert("a.b.c", claims_expiring(1), nullptr, 0, 1);
  EXPECT_EQ(cache.find("a.b.c"), nullptr);
  EXPECT_EQ(cache.capacity(), 0u);
}

}  // namespace
}  // namespace wimpu::token
