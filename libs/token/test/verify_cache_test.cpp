#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wimpu/common/counter.hpp"
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

TEST(VerifyCache, IsBoundedAndEvictsTheLeastRecentlyUsed) {
  VerifyCache cache(4);  // one 4-way bucket: every token collides
  ASSERT_EQ(cache.capacity(), 4u);
  for (int i = 0; i < 4; ++i) {
    cache.insert("t.p." + std::to_string(i), claims_expiring(100 - i), nullptr, 0, 1);
  }
  EXPECT_EQ(cache.size(), 4u);
  cache.insert("t.p.new", claims_expiring(500), nullptr, 0, 1);
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_EQ(cache.find("t.p.0"), nullptr);  // stored first: evicted, although t.p.3 expires first
  EXPECT_NE(cache.find("t.p.3"), nullptr);
  EXPECT_NE(cache.find("t.p.new"), nullptr);
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_EQ(cache.evictions_in_use(), 0u);
  for (int i = 0; i < 1000; ++i) {
    cache.insert("t.p.x" + std::to_string(i), claims_expiring(1000 + i), nullptr, 0, 1);
  }
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_EQ(cache.evictions(), 1001u);
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
  EXPECT_EQ(cache.evictions_in_use(), 0u);
}

TEST(VerifyCache, TwoTokensInUseDoNotEvictEachOther) {
  // Figure 2 right after figure 1 (bench/RESULTS.md "Figure 1 with ES256, session 6"): the
  // bucket is full of single-use tokens minted in the same second as two re-REGISTER tokens,
  // which miss once each, one after the other, before either is hit again. Session 5's second
  // chance cleared every mark at each eviction and broke the expiry tie by slot, so each insert
  // evicted the other re-REGISTER token, for ever.
  VerifyCache cache(4);
  for (int i = 0; i < 4; ++i) {
    cache.insert("fig1.p." + std::to_string(i), claims_expiring(100), nullptr, 0, 1);
  }
  int misses = 0;
  for (int round = 0; round < 50; ++round) {
    for (const char* tok : {"a.p.s", "b.p.s"}) {
      if (cache.find(tok) == nullptr) {
        ++misses;
        cache.insert(tok, claims_expiring(100), nullptr, 0, 1);
      }
    }
  }
  EXPECT_EQ(misses, 2);  // the first presentation of each
  EXPECT_EQ(cache.evictions_in_use(), 0u);
}

TEST(VerifyCache, AnEntryInUseSurvivesABurstInItsBucketUntilItGoesStale) {
  VerifyCache cache(64);  // 16 buckets; the window of "in use" is 64 insertions
  // Tokens of one bucket (the hash seed is random: pick them by bucket_of()).
  std::vector<std::string> same;
  std::vector<std::string> other;
  const std::size_t target = cache.bucket_of("hot.p.s");
  for (int i = 0; same.size() < 40 || other.size() < 80; ++i) {
    std::string t = "t.p." + std::to_string(i);
    (cache.bucket_of(t) == target ? same : other).push_back(std::move(t));
  }
  cache.insert("hot.p.s", claims_expiring(100), nullptr, 0, 1);
  ASSERT_NE(cache.find("hot.p.s"), nullptr);
  // 30 single-use tokens in the same bucket: plain LRU would evict the hot one at the 4th.
  for (int i = 0; i < 30; ++i) {
    cache.insert(same[static_cast<std::size_t>(i)], claims_expiring(100), nullptr, 0, 1);
  }
  EXPECT_NE(cache.find("hot.p.s"), nullptr);
  EXPECT_EQ(cache.evictions_in_use(), 0u);
  // Not hit for capacity() insertions elsewhere: no longer in use, so ways() new tokens in its
  // bucket replace it like any other entry.
  for (std::size_t i = 0; i < cache.capacity(); ++i) {
    cache.insert(other[i], claims_expiring(100), nullptr, 0, 1);
  }
  for (std::size_t i = 30; i < 30 + VerifyCache::ways(); ++i) {
    cache.insert(same[i], claims_expiring(100), nullptr, 0, 1);
  }
  EXPECT_EQ(cache.find("hot.p.s"), nullptr);
}

TEST(VerifyCache, AnExpiredEntryIsReplacedBeforeALiveOne) {
  VerifyCache cache(4);
  cache.insert("old.p.s", claims_expiring(100), nullptr, 0, 1);
  ASSERT_NE(cache.find("old.p.s"), nullptr);  // in use, and the most recently used below
  for (int i = 0; i < 3; ++i) {
    cache.insert("t.p." + std::to_string(i), claims_expiring(1000), nullptr, 0, 1);
  }
  ASSERT_NE(cache.find("old.p.s"), nullptr);
  cache.insert("new.p.s", claims_expiring(1000), nullptr, 0, 1, /*expired_at_or_before=*/100);
  EXPECT_EQ(cache.find("old.p.s"), nullptr);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(cache.find("t.p." + std::to_string(i)), nullptr);
  }
  EXPECT_EQ(cache.evictions(), 0u);  // an expired token is no eviction
}

TEST(VerifyCache, EvictionCountersCountLiveAndInUseEntries) {
  const auto evict = common::counter("token.verify.cache_evict").value();
  const auto in_use = common::counter("token.verify.cache_evict_in_use").value();
  VerifyCache cache(4);
  for (int i = 0; i < 4; ++i) {
    cache.insert("t.p." + std::to_string(i), claims_expiring(100), nullptr, 0, 1);
  }
  for (int i = 0; i < 4; ++i) {
    ASSERT_NE(cache.find("t.p." + std::to_string(i)), nullptr);
  }
  cache.insert("t.p.x", claims_expiring(100), nullptr, 0, 1);  // every entry in use
  EXPECT_EQ(cache.find("t.p.0"), nullptr);                      // the least recently used
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_EQ(cache.evictions_in_use(), 1u);
  EXPECT_EQ(common::counter("token.verify.cache_evict").value(), evict + 1);
  EXPECT_EQ(common::counter("token.verify.cache_evict_in_use").value(), in_use + 1);
}

TEST(VerifyCache, ReinsertingATokenReplacesItsEntry) {
  VerifyCache cache(64);
  cache.insert("a.b.c", claims_expiring(1), nullptr, 0, 1);
  cache.insert("a.b.c", claims_expiring(2), nullptr, 0, 2);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find("a.b.c")->key_generation, 2u);
}

TEST(VerifyCache, ReinsertingAfterAnEraseKeepsOneEntry) {
  VerifyCache cache(4);
  cache.insert("a.p.s", claims_expiring(1), nullptr, 0, 1);
  cache.insert("b.p.s", claims_expiring(1), nullptr, 0, 1);
  cache.erase(*cache.find("a.p.s"));  // a free slot before b's
  cache.insert("b.p.s", claims_expiring(2), nullptr, 0, 2);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find("b.p.s")->key_generation, 2u);
}

TEST(VerifyCache, ZeroCapacityDisables) {
  VerifyCache cache(0);
  cache.insert("a.b.c", claims_expiring(1), nullptr, 0, 1);
  EXPECT_EQ(cache.find("a.b.c"), nullptr);
  EXPECT_EQ(cache.capacity(), 0u);
}

}  // namespace
}  // namespace wimpu::token
