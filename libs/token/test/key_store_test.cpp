#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "test_support.hpp"
#include "wimpu/token/key_store.hpp"
#include "wimpu/token/verifier.hpp"

namespace wimpu::token {
namespace {

using namespace std::chrono_literals;

class KeyStoreTest : public ::testing::Test {
protected:
  KeyStorePtr make(JwksFetcherPtr fetcher, std::chrono::milliseconds period = 0ms) {
    KeyStoreOptions o;
    o.issuer = test::kIssuer;
    o.algorithm = Algorithm::kEdDSA;
    o.min_refresh_interval = 30s;
    o.refresh_interval = period;
    return KeyStore::create(o, std::move(fetcher), clock_, io_.get_executor());
  }

  boost::asio::io_context io_;
  std::shared_ptr<common::FakeClock> clock_ = std::make_shared<common::FakeClock>();
  SigningKeyPtr a_ = *SigningKey::generate(Algorithm::kEdDSA, "a");
  SigningKeyPtr b_ = *SigningKey::generate(Algorithm::kEdDSA, "b");
};

TEST_F(KeyStoreTest, InstallBumpsTheGenerationOnlyOnChange) {
  auto store = make(nullptr);
  EXPECT_EQ(store->snapshot(), nullptr);
  EXPECT_EQ(store->generation(), 0u);
  EXPECT_EQ(*store->install(jwks_document({a_->public_key()})), RefreshOutcome::kUpdated);
  EXPECT_EQ(store->generation(), 1u);
  EXPECT_EQ(*store->install(jwks_document({a_->public_key()})), RefreshOutcome::kUnchanged);
  EXPECT_EQ(store->generation(), 1u);
  EXPECT_EQ(store->install("{}").error(), JwksError::kMalformedJson);
  EXPECT_EQ(store->generation(), 1u);
  EXPECT_NE(store->snapshot()->find("a"), nullptr);
  EXPECT_EQ(*store->install(jwks_document({b_->public_key()})), RefreshOutcome::kUpdated);
  EXPECT_EQ(store->snapshot()->find("a"), nullptr);
  EXPECT_EQ(store->generation(), 2u);
}

TEST_F(KeyStoreTest, WithoutFetcherRefreshIsRateLimited) {
  auto store = make(nullptr);
  std::optional<RefreshOutcome> got;
  store->request_refresh([&](RefreshOutcome o) { got = o; });
  io_.run();
  EXPECT_EQ(got, RefreshOutcome::kRateLimited);
}

TEST_F(KeyStoreTest, RefreshOutcomesAndRateLimit) {
  auto fetcher = std::make_shared<test::FakeFetcher>(io_.get_executor());
  fetcher->document = jwks_document({a_->public_key()});
  auto store = make(fetcher);
  std::vector<RefreshOutcome> got;
  auto record = [&](RefreshOutcome o) { got.push_back(o); };
  store->request_refresh(record);
  io_.run();
  store->request_refresh(record);  // 0 s later
  io_.restart();
  io_.run();
  clock_->advance(30s);
  store->request_refresh(record);  // same document
  io_.restart();
  io_.run();
  clock_->advance(30s);
  fetcher->fail = true;
  store->request_refresh(record);
  io_.restart();
  io_.run();
  EXPECT_EQ(got, (std::vector<RefreshOutcome>{RefreshOutcome::kUpdated, RefreshOutcome::kRateLimited,
                                              RefreshOutcome::kUnchanged, RefreshOutcome::kFailed}));
  EXPECT_EQ(fetcher->fetches.load(), 3);
  EXPECT_NE(store->snapshot()->find("a"), nullptr);  // kept through the failure
}

TEST_F(KeyStoreTest, PeriodicRefreshFetchesUntilStopped) {
  auto fetcher = std::make_shared<test::FakeFetcher>(io_.get_executor());
  fetcher->document = jwks_document({a_->public_key()});
  auto store = make(fetcher, 1ms);
  store->start();
  store->start();  // idempotent
  ASSERT_TRUE(test::run_until(io_, [&] { return fetcher->fetches.load() >= 3; }));
  EXPECT_NE(store->snapshot(), nullptr);
  store->stop();
  io_.restart();
  io_.run();  // returns: the stopped timer holds no more work
  const int fetched = fetcher->fetches.load();
  io_.restart();
  io_.run();
  EXPECT_EQ(fetcher->fetches.load(), fetched);
}

TEST_F(KeyStoreTest, FileFetcherLoadsAndReportsMissingFiles) {
  test::TempDir dir;
  const std::string path = dir.path("jwks.json");
  std::ofstream(path) << jwks_document({a_->public_key(), b_->public_key()});
  auto store = make(std::make_shared<FileJwksFetcher>(io_.get_executor(), path));
  std::optional<RefreshOutcome> got;
  store->request_refresh([&](RefreshOutcome o) { got = o; });
  io_.run();
  EXPECT_EQ(got, RefreshOutcome::kUpdated);
  EXPECT_EQ(store->snapshot()->keys().size(), 2u);

  auto missing = make(std::make_shared<FileJwksFetcher>(io_.get_executor(), dir.path("nope")));
  got.reset();
  missing->request_refresh([&](RefreshOutcome o) { got = o; });
  io_.restart();
  io_.run();
  EXPECT_EQ(got, RefreshOutcome::kFailed);
  EXPECT_NE(missing->last_error().find("file:"), std::string::npos);

  std::ofstream(dir.path("big.json")) << std::string(100, ' ');
  auto big = make(std::make_shared<FileJwksFetcher>(io_.get_executor(), dir.path("big.json"), 10));
  got.reset();
  big->request_refresh([&](RefreshOutcome o) { got = o; });
  io_.restart();
  io_.run();
  EXPECT_EQ(got, RefreshOutcome::kFailed);
}

// Shards verify while the control thread rotates keys: readers must always see a whole set.
TEST_F(KeyStoreTest, ConcurrentVerificationDuringRotation) {
  auto store = make(nullptr);
  ASSERT_TRUE(store->install(jwks_document({a_->public_key()})).has_value());
  VerifierOptions vo;
  vo.audience = test::kAudience;
  vo.cache_capacity = 0;  // force signature checks
  const std::string tok =
      test::forge_claims(*a_, test::good_claims(test::wall_seconds(*clock_)));
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> shards;
  for (int s = 0; s < 2; ++s) {
    shards.emplace_back([&] {
      boost::asio::io_context shard_io;
      Verifier v(vo, {store}, clock_, shard_io.get_executor());
      while (!stop.load()) {
        failures += v.verify(tok, test::kBlock).has_value() ? 0 : 1;
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    // a_ stays published throughout; b_ comes and goes.
    store->install(i % 2 ? jwks_document({a_->public_key(), b_->public_key()})
                         : jwks_document({b_->public_key(), a_->public_key()}));
    store->install(jwks_document({a_->public_key()}));
  }
  stop = true;
  for (auto& t : shards) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace wimpu::token
