// Concurrency (issue 3): 8 clients, each on its own thread and io_context (a shard, or another
// eP-CSCF), allocate IMPUs for distinct identities in parallel until the block is exhausted.
// Every IMPU is handed out exactly once, none leaks, exhaustion is reported; after all are
// released and the quarantine is over, all are handed out again. Against both backends.
#include <set>
#include <thread>

#include "harness.hpp"

namespace wimpu::registrar::test {
namespace {

using namespace std::chrono_literals;

constexpr int kClients = 8;
constexpr std::uint64_t kBlockSize = 400;

std::vector<BlockConfig> big_block() {
  BlockConfig b;
  b.id = "big";
  b.domains = {"conc.example"};
  b.range_first = "+15551000000";
  b.range_last = "+15551000399";
  return {b};
}

struct ClientResult {
  std::vector<std::string> impus;
  bool exhausted = false;
  bool other_error = false;
  bool reused = false;  // an IMPU came back not newly allocated
};

// Registers new identities until the pool is exhausted. By-value parameters: the coroutine
// outlives its caller's frame (STYLE.md "Coroutines").
boost::asio::awaitable<ClientResult> allocate_until_exhausted(W4* w4, std::string prefix) {
  ClientResult out;
  for (int i = 0;; ++i) {
    ContactInfo c;
    c.uri = "sip:" + prefix + std::to_string(i) + "@198.51.100.1";
    c.call_id = prefix + std::to_string(i);
    c.cseq = 1;
    c.flow_token = prefix + "flow";
    RegisterRequest req{"big", WebIdentity{"https://wwsf.example", prefix + std::to_string(i)},
                        {ContactUpdate{std::move(c), 3600}}};
    auto r = co_await w4->register_contacts(std::move(req));
    if (!r) {
      out.exhausted = r.error() == W4Error::kPoolExhausted;
      out.other_error = !out.exhausted;
      co_return out;
    }
    out.reused = out.reused || !r->newly_allocated;
    out.impus.push_back(r->impu);
  }
}

boost::asio::awaitable<ClientResult> release_all(W4* w4, std::vector<std::string> impus) {
  ClientResult out;
  for (auto& impu : impus) {
    auto r = co_await w4->remove_all(impu, std::nullopt);
    if (!r || r->removed != 1 || !r->released) {
      out.other_error = true;
    }
  }
  co_return out;
}

// Runs one coroutine per client, each on its own thread with its own io_context and client.
template <class MakeTask>
std::vector<ClientResult> on_clients(Harness& h, MakeTask make_task) {
  std::vector<ClientResult> results(kClients);
  std::vector<std::thread> threads;
  for (int k = 0; k < kClients; ++k) {
    threads.emplace_back([&h, &results, &make_task, k] {
      boost::asio::io_context ioc;
      auto client = h.another_client(ioc);
      results[k] = run(ioc, make_task(client.get(), k));
      client.reset();
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  return results;
}

template <class H>
class W4Concurrency : public ::testing::Test {
protected:
  W4Concurrency() : h_(big_block()) {}

  // Phase: all clients allocate until exhaustion; checks exactly-once over the whole block.
  std::vector<ClientResult> allocate_all(const std::string& round) {
    auto results = on_clients(h_, [&round](W4* w4, int k) {
      return allocate_until_exhausted(w4, round + "-c" + std::to_string(k) + "-");
    });
    std::multiset<std::string> handed_out;
    for (const auto& r : results) {
      EXPECT_TRUE(r.exhausted) << "every client sees the exhaustion";
      EXPECT_FALSE(r.other_error);
      EXPECT_FALSE(r.reused) << "fresh identities only get fresh allocations";
      handed_out.insert(r.impus.begin(), r.impus.end());
    }
    std::set<std::string> expected;
    const Block& b = *h_.w4().blocks().find("big");
    for (std::uint64_t i = 0; i < kBlockSize; ++i) {
      expected.insert(b.render(i));
    }
    EXPECT_EQ(handed_out.size(), kBlockSize) << "no IMPU handed out twice";
    EXPECT_EQ(std::set<std::string>(handed_out.begin(), handed_out.end()), expected)
        << "every IMPU handed out";
    return results;
  }

  BlockUsage usage() {
    auto u = run(h_.ioc(), h_.w4().usage("big"));
    EXPECT_TRUE(u);
    return u ? *u : BlockUsage{};
  }

  H h_;
};

struct BackendName {
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryHarness> ? "Memory" : "Redis";
  }
};
using Backends = ::testing::Types<MemoryHarness, RedisHarness>;
TYPED_TEST_SUITE(W4Concurrency, Backends, BackendName);

TYPED_TEST(W4Concurrency, EightClientsExhaustTheBlockThenReuseItAfterQuarantine) {
  const auto first = this->allocate_all("r1");
  auto u = this->usage();
  EXPECT_EQ(u.registered, kBlockSize);
  EXPECT_EQ(u.free, 0u);

  // Release everything in parallel: all quarantined, nothing for a newcomer.
  const auto released = on_clients(this->h_, [&first](W4* w4, int k) {
    return release_all(w4, first[k].impus);
  });
  for (const auto& r : released) {
    EXPECT_FALSE(r.other_error);
  }
  u = this->usage();
  EXPECT_EQ(u.registered, 0u);
  EXPECT_EQ(u.quarantined, kBlockSize);
  ContactInfo c;
  c.uri = "sip:late@h";
  c.call_id = "late";
  const auto late = run(this->h_.ioc(), this->h_.w4().register_contacts(
                                            {"big", {"https://wwsf.example", "late"}, {{c, 60}}}));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error(), W4Error::kPoolExhausted);

  // After the quarantine every IMPU goes to a new identity exactly once.
  this->h_.advance(61s);
  EXPECT_EQ(this->usage().free, kBlockSize);
  this->allocate_all("r2");
  const auto old = run(this->h_.ioc(), this->h_.w4().lookup_identity(
                                           "big", {"https://wwsf.example", "r1-c0-0"}));
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error(), W4Error::kNotFound);
  EXPECT_EQ(this->usage().registered, kBlockSize);
}

}  // namespace
}  // namespace wimpu::registrar::test
