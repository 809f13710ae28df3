// Redis-only behaviour: degraded modes (Redis down, Redis hung, Redis restarted under load with
// AOF), real Redis time, and the wire contract another vendor's I-CSCF relies on (docs/w4.md).
#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "harness.hpp"
#include "redis_connection.hpp"
#include "wimpu/common/counter.hpp"

namespace wimpu::registrar::test {
namespace {

using namespace std::chrono_literals;
using testing::RedisServer;

RedisOptions fast_options(std::chrono::milliseconds op_timeout = 1000ms) {
  RedisOptions o;
  o.op_timeout = op_timeout;
  o.reconnect_min = 10ms;
  o.reconnect_max = 100ms;
  return o;
}

RegisterRequest request(std::string sub, std::uint32_t cseq, std::uint32_t expires = 3600) {
  ContactInfo c;
  c.uri = "sip:" + sub + "@192.0.2.7;transport=ws";
  c.call_id = "call-" + sub;
  c.cseq = cseq;
  c.flow_token = "flow-" + sub;
  return RegisterRequest{"b1", WebIdentity{"https://wwsf.example", sub}, {{std::move(c), expires}}};
}

// Waits `d` on the io_context (a retry back-off, not a synchronisation).
void pause_for(boost::asio::io_context& ioc, std::chrono::milliseconds d) {
  boost::asio::steady_timer t(ioc, d);
  bool done = false;
  t.async_wait([&](boost::system::error_code) { done = true; });
  while (!done) {
    ioc.run_one();
  }
}

// Retries `op` (returning W4Result<T>) on kUnavailable until it succeeds or `attempts` run out.
template <class Op>
auto retry(boost::asio::io_context& ioc, Op op, int attempts = 200) {
  auto r = run(ioc, op());
  for (int i = 1; i < attempts && !r && r.error() == W4Error::kUnavailable; ++i) {
    pause_for(ioc, 20ms);
    r = run(ioc, op());
  }
  return r;
}

std::vector<BlockConfig> load_block() {
  BlockConfig b;
  b.id = "b1";
  b.domains = {"block.example"};
  b.range_first = "+15550000000";
  b.range_last = "+15550000999";
  return {b};
}

// ---- restart under load -------------------------------------------------------------------------

constexpr int kWorkers = 8;
constexpr int kIdentities = 600;
constexpr int kKillAfter = 150;

struct LoadState {
  int next = 0;
  std::map<std::string, std::string> acked;  // identity -> IMPU, acknowledged by Redis
  std::map<std::string, std::uint32_t> acked_cseq;  // identity -> CSeq of its last acknowledged
  int unavailable = 0;
  int other_errors = 0;
  int workers_done = 0;
  std::atomic<int> acked_count{0};
  std::promise<void> reached;
};

// One worker: registers identities until kIdentities are acknowledged, and refreshes each once
// (same contact, next CSeq, with the IMPU as hint: the in-place write of library version 6).
// kUnavailable (Redis is down, or the outcome is unknown) is retried with the next CSeq, as a
// UA would re-REGISTER.
boost::asio::awaitable<void> load_worker(W4* w4, LoadState* st, boost::asio::io_context* ioc) {
  auto ex = co_await boost::asio::this_coro::executor;
  while (st->next < kIdentities) {
    const std::string sub = "user" + std::to_string(st->next++);
    for (std::uint32_t cseq = 1, step = 0; step < 2; ++cseq) {
      RegisterRequest req = request(sub, cseq);
      if (step == 1) {
        req.impu_hint = st->acked[sub];
      }
      auto r = co_await w4->register_contacts(std::move(req));
      if (r) {
        st->acked[sub] = r->impu;
        st->acked_cseq[sub] = cseq;
        if (step++ == 0 && ++st->acked_count == kKillAfter) {
          st->reached.set_value();
        }
        continue;
      }
      if (r.error() != W4Error::kUnavailable) {
        ++st->other_errors;
        break;
      }
      ++st->unavailable;
      boost::asio::steady_timer t(ex, 20ms);
      co_await t.async_wait(boost::asio::use_awaitable);
    }
  }
  if (++st->workers_done == kWorkers) {
    // The open Redis connection keeps the io_context busy forever: end the client here.
    ioc->stop();
  }
}

TEST(W4Redis, RestartDuringLoadLosesNoAcknowledgedBindingAndClientsRecover) {
  RedisServer server;  // AOF on, appendfsync always
  LoadState st;
  auto reached = st.reached.get_future();
  std::thread client([&] {
    boost::asio::io_context ioc;
    RedisOptions o = fast_options();
    o.port = server.port();
    {
      RedisRegistrar w4(ioc.get_executor(), std::make_shared<const BlockSet>(load_block()), o);
      for (int i = 0; i < kWorkers; ++i) {
        boost::asio::co_spawn(ioc, load_worker(&w4, &st, &ioc), [](std::exception_ptr e) {
          if (e) {
            std::rethrow_exception(e);
          }
        });
      }
      ioc.run();
    }
  });
  reached.wait();
  server.kill_hard();  // a crash in the middle of the load
  server.restart();
  client.join();

  EXPECT_EQ(st.other_errors, 0);
  EXPECT_GT(st.unavailable, 0) << "the clients saw the outage and recovered from it";
  ASSERT_EQ(st.acked.size(), static_cast<std::size_t>(kIdentities));
  RedisHarness check(load_block(), fast_options(), &server);
  for (const auto& [sub, impu] : st.acked) {
    const auto b =
        run(check.ioc(), check.w4().lookup_identity("b1", {"https://wwsf.example", sub}));
    ASSERT_TRUE(b) << sub << ": " << b.error();
    EXPECT_EQ(b->impu, impu) << sub;
    ASSERT_EQ(b->contacts.size(), 1u) << sub;
    EXPECT_EQ(b->contacts[0].info.call_id, "call-" + sub);
    // At least the acknowledged refresh (a later one may have been applied unacknowledged).
    EXPECT_GE(b->contacts[0].info.cseq, st.acked_cseq[sub]) << sub;
  }
  const auto u = run(check.ioc(), check.w4().usage("b1"));
  ASSERT_TRUE(u);
  EXPECT_EQ(u->registered, static_cast<std::uint64_t>(kIdentities));
}

// ---- outages ------------------------------------------------------------------------------------

TEST(W4Redis, OperationsFailFastWhileRedisIsDownAndBindingsSurviveTheRestart) {
  RedisServer server;
  RedisHarness h(load_block(), fast_options(), &server);
  const auto r = run(h.ioc(), h.w4().register_contacts(request("alice", 1)));
  ASSERT_TRUE(r);
  const auto before = common::counter("w4.redis.error.unavailable").value();

  server.kill_hard();
  const auto down = run(h.ioc(), h.w4().is_registered(r->impu));
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error(), W4Error::kUnavailable);
  EXPECT_GT(common::counter("w4.redis.error.unavailable").value(), before);

  server.restart();
  const auto up = retry(h.ioc(), [&] { return h.w4().lookup(r->impu); });
  ASSERT_TRUE(up) << up.error();
  EXPECT_EQ(up->state, ImpuState::kRegistered);
  ASSERT_EQ(up->contacts.size(), 1u);
  EXPECT_EQ(up->contacts[0].info.uri, "sip:alice@192.0.2.7;transport=ws");
}

TEST(W4Redis, AHungRedisTimesOutInsteadOfHangingThenRecovers) {
  RedisServer server;
  RedisHarness h(load_block(), fast_options(300ms), &server);
  const auto r = run(h.ioc(), h.w4().register_contacts(request("alice", 1)));
  ASSERT_TRUE(r);
  const auto timeouts = common::counter("w4.redis.timeouts").value();
  server.pause();  // SIGSTOP: the socket stays open, nothing answers
  const auto hung = run(h.ioc(), h.w4().lookup(r->impu));
  ASSERT_FALSE(hung);
  EXPECT_EQ(hung.error(), W4Error::kUnavailable);
  EXPECT_GT(common::counter("w4.redis.timeouts").value(), timeouts);
  server.resume();
  const auto ok = retry(h.ioc(), [&] { return h.w4().is_registered(r->impu); });
  ASSERT_TRUE(ok);
  EXPECT_TRUE(*ok);
}

TEST(W4Redis, AConflictingStoredLayoutIsNeverServed) {
  RedisServer server;
  // Someone configured block b1 with another numbering before us.
  server.command({"FUNCTION", "LOAD", std::string(RedisRegistrar::functions_source())});
  BlockConfig other = load_block()[0];
  other.range_last = "+15550000004";
  auto configure = RedisRegistrar::configure_command(*BlockSet({other}).find("b1"));
  server.command(configure);
  const auto failures = common::counter("w4.redis.setup_failures").value();
  boost::asio::io_context ioc;
  RedisOptions o = fast_options(300ms);
  o.port = server.port();
  RedisRegistrar w4(ioc.get_executor(), std::make_shared<const BlockSet>(load_block()), o);
  const auto r = run(ioc, w4.register_contacts(request("alice", 1)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), W4Error::kUnavailable);
  EXPECT_GT(common::counter("w4.redis.setup_failures").value(), failures);
  // The stored layout is untouched: still 5 IMPUs.
  EXPECT_EQ(server.command({"FCALL_RO", "w4_usage", "1", "{blk:b1}:cfg"}).substr(0, 2), "5\n");
}

// ---- time ---------------------------------------------------------------------------------------

TEST(W4Redis, ContactsExpireOnRedisTimeWithoutASweeper) {
  RedisServer server;
  RedisHarness h(load_block(), fast_options(), &server);
  const auto start = std::chrono::steady_clock::now();
  const auto r = run(h.ioc(), h.w4().register_contacts(request("alice", 1, 1)));  // 1 s
  ASSERT_TRUE(r);
  EXPECT_TRUE(*run(h.ioc(), h.w4().is_registered(r->impu)));
  // Poll the condition (bounded); real time is the point of this test.
  bool registered = true;
  for (int i = 0; i < 40 && registered; ++i) {
    pause_for(h.ioc(), 50ms);
    registered = *run(h.ioc(), h.w4().is_registered(r->impu));
  }
  EXPECT_FALSE(registered);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms) << "not before its expiry";
  const auto b = run(h.ioc(), h.w4().lookup(r->impu));
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->contacts.empty());
  EXPECT_EQ(b->state, ImpuState::kQuarantined);
}

// ---- the wire contract (docs/w4.md) ------------------------------------------------------------

TEST(W4Redis, AnotherVendorCanQueryWithPlainFcall) {
  RedisServer server;
  RedisHarness h(load_block(), fast_options(), &server);
  auto req = request("alice", 7);
  req.contacts[0].contact.path = {"<sip:tok@ep1.example;lr;ob>", "<sip:ep2.example;lr>"};
  const auto r = run(h.ioc(), h.w4().register_contacts(req));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->impu, "sip:+15550000000@block.example");

  // is_registered: integer 1/0, any form of the IMPU.
  EXPECT_EQ(server.command({"FCALL_RO", "w4_is_registered", "1", "{blk:b1}:cfg",
                            "sip:+15550000000@block.example;user=phone"}),
            "1");
  EXPECT_EQ(server.command({"FCALL_RO", "w4_is_registered", "1", "{blk:b1}:cfg",
                            "sip:+15550000001@block.example"}),
            "0");
  try {
    server.command({"FCALL_RO", "w4_is_registered", "1", "{blk:b1}:cfg", "sip:+1@elsewhere"});
    ADD_FAILURE() << "an IMPU outside the block is an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("UNKNOWN_IMPU"), std::string::npos) << e.what();
  }

  // lookup: impu, state, owner key, now, then 14 fields per contact.
  const std::string text =
      server.command({"FCALL_RO", "w4_lookup", "1", "{blk:b1}:cfg", "tel:+15550000000"});
  std::vector<std::string> lines;
  for (std::size_t pos = 0;;) {
    const auto nl = text.find('\n', pos);
    lines.push_back(text.substr(pos, nl - pos));
    if (nl == std::string::npos) {
      break;
    }
    pos = nl + 1;
  }
  // The path value itself holds one '\n' (the stored separator), so 4 + 14 + 1 lines.
  ASSERT_EQ(lines.size(), 19u) << text;
  EXPECT_EQ(lines[0], "sip:+15550000000@block.example");
  EXPECT_EQ(lines[1], "registered");
  EXPECT_EQ(lines[2], "20:https://wwsf.examplealice");
  EXPECT_GE(std::stoll(lines[3]), r->now_ms);               // Redis time of the lookup
  EXPECT_EQ(lines[4], "sip:alice@192.0.2.7;transport=ws");  // uri
  EXPECT_EQ(lines[8], "call-alice");                        // call_id
  EXPECT_EQ(lines[9], "7");                                 // cseq
  EXPECT_EQ(lines[10], std::to_string(r->contacts[0].expires_at_ms));
  EXPECT_EQ(lines[12], "flow-alice");
  EXPECT_EQ(lines[14], "<sip:tok@ep1.example;lr;ob>");
  EXPECT_EQ(lines[15], "<sip:ep2.example;lr>");

  // The library is the embedded source, loaded under the name "w4".
  EXPECT_NE(server.command({"FUNCTION", "LIST", "LIBRARYNAME", "w4"}).find("w4_register"),
            std::string::npos);
  EXPECT_TRUE(RedisRegistrar::functions_source().starts_with("#!lua name=w4"));
}

// Calls of FCALL so far, from INFO commandstats ("cmdstat_fcall:calls=N,...").
long long fcall_calls(RedisServer& server) {
  const std::string info = server.command({"INFO", "commandstats"});
  const auto at = info.find("cmdstat_fcall:calls=");
  return at == std::string::npos ? 0 : std::stoll(info.substr(at + 20));
}

TEST(W4Redis, RegistersOfOneTurnShareOneBatchCallEachAtomicOnItsOwn) {
  RedisServer server;
  RedisHarness h(load_block(), fast_options(), &server);
  ASSERT_TRUE(run(h.ioc(), h.w4().register_contacts(request("carol", 5))));
  // 20 REGISTERs issued in one turn, one of which is out of order (carol, CSeq 3 after 5), and
  // one removal for an identity that holds nothing: each gets its own answer.
  constexpr int kN = 20;
  std::vector<std::optional<W4Result<RegisterResult>>> got(kN + 2);
  auto spawn = [&](std::size_t slot, RegisterRequest req) {
    boost::asio::co_spawn(
        h.ioc(),
        [](W4* w4, RegisterRequest q) { return w4->register_contacts(std::move(q)); }(
            &h.w4(), std::move(req)),
        [&got, slot](std::exception_ptr, W4Result<RegisterResult> r) { got[slot] = std::move(r); });
  };
  const long long before = fcall_calls(server);
  for (int i = 0; i < kN; ++i) {
    spawn(static_cast<std::size_t>(i), request("user" + std::to_string(i), 1));
  }
  spawn(kN, request("carol", 3));
  spawn(kN + 1, request("nobody", 1, 0));
  h.ioc().restart();
  while (std::any_of(got.begin(), got.end(), [](const auto& g) { return !g.has_value(); })) {
    h.ioc().run_one();
  }
  EXPECT_EQ(fcall_calls(server) - before, 1);  // one w4_register_batch for all 22
  std::set<std::string> impus;
  for (int i = 0; i < kN; ++i) {
    ASSERT_TRUE(*got[static_cast<std::size_t>(i)]);
    EXPECT_TRUE((*got[static_cast<std::size_t>(i)])->newly_allocated);
    impus.insert((*got[static_cast<std::size_t>(i)])->impu);
  }
  EXPECT_EQ(impus.size(), static_cast<std::size_t>(kN));
  EXPECT_EQ(got[kN]->error(), W4Error::kOutOfOrder);
  EXPECT_EQ(got[kN + 1]->error(), W4Error::kNotFound);
  // carol's binding is untouched by the refused request.
  const auto carol = run(h.ioc(), h.w4().lookup_identity("b1", WebIdentity{"https://wwsf.example",
                                                                           "carol"}));
  ASSERT_TRUE(carol);
  ASSERT_EQ(carol->contacts.size(), 1u);
  EXPECT_EQ(carol->contacts[0].info.cseq, 5u);
}

TEST(W4Redis, TheTestClockFunctionIsLoadedOnlyWhenAskedFor) {
  RedisServer server;
  const auto blocks = std::make_shared<const BlockSet>(load_block());
  const std::vector<std::string> advance = {"FCALL", "w4_test_advance_time", "1", "{blk:b1}:cfg",
                                            "1000"};
  {
    boost::asio::io_context ioc;
    RedisOptions production = fast_options();
    production.port = server.port();
    RedisRegistrar r(ioc.get_executor(), blocks, production);
    ASSERT_TRUE(run(ioc, r.ping()));
    try {
      server.command(advance);
      ADD_FAILURE() << "w4_test_advance_time exists in a production load";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos) << e.what();
    }
  }
  RedisHarness h(load_block(), fast_options(), &server);  // loads with test functions
  EXPECT_EQ(server.command(advance), "1000");
}

// ---- library versions (rolling upgrades, docs/w4.md "Upgrades") -----------------------------

// The embedded library text with its VERSION set to `v` (another build of the client).
std::string library_version(long long v) {
  std::string lua(RedisRegistrar::functions_source());
  const std::string line = "local VERSION = '" + std::to_string(RedisRegistrar::functions_version());
  const auto at = lua.find(line);
  EXPECT_NE(at, std::string::npos);
  lua.replace(at, line.size(), "local VERSION = '" + std::to_string(v));
  return lua;
}

TEST(W4Redis, AnOlderClientKeepsTheNewerLibraryItFinds) {
  RedisServer server;
  const long long newer = RedisRegistrar::functions_version() + 1;
  server.command({"FUNCTION", "LOAD", library_version(newer)});
  const auto kept = common::counter("w4.redis.library.newer_kept").value();
  RedisHarness h(load_block(), fast_options(), &server);
  ASSERT_TRUE(run(h.ioc(), h.w4().register_contacts(request("alice", 1))));
  EXPECT_EQ(server.command({"FCALL_RO", "w4_version", "0"}), std::to_string(newer));
  EXPECT_GT(common::counter("w4.redis.library.newer_kept").value(), kept);
}

TEST(W4Redis, ANewerClientReplacesAnOlderLibrary) {
  RedisServer server;
  const long long mine = RedisRegistrar::functions_version();
  server.command({"FUNCTION", "LOAD", library_version(mine - 1)});
  boost::asio::io_context ioc;
  RedisOptions o = fast_options();
  o.port = server.port();
  RedisRegistrar w4(ioc.get_executor(), std::make_shared<const BlockSet>(load_block()), o);
  ASSERT_TRUE(run(ioc, w4.ping()));
  EXPECT_EQ(server.command({"FCALL_RO", "w4_version", "0"}), std::to_string(mine));
  EXPECT_EQ(server.command({"GET", "{w4}:lib"}), std::to_string(mine));
}

// Clients of three versions connect at once, again and again from an empty Redis: whatever the
// interleaving of their check-and-load, the newest library is what stays (WATCH/MULTI/EXEC on
// the version key makes a loader that lost the race check again).
TEST(W4Redis, ClientsOfSeveralVersionsConnectingAtOnceLeaveTheNewestLibrary) {
  RedisServer server;
  const long long base = RedisRegistrar::functions_version();
  const auto races = common::counter("w4.redis.library.races").value();
  for (int round = 0; round < 10; ++round) {
    server.command({"FUNCTION", "FLUSH"});
    server.command({"DEL", "{w4}:lib"});
    boost::asio::io_context ioc;
    std::vector<std::shared_ptr<detail::RedisConnection>> conns;
    // Round r starts the versions in a rotated order, so the newest is not always first.
    for (int k = 0; k < 3; ++k) {
      const long long v = base + (k + round) % 3;
      detail::FunctionLibrary lib;
      lib.text = library_version(v);
      lib.version = v;
      lib.version_function = "w4_version";
      lib.version_key = "{w4}:lib";
      RedisOptions o = fast_options();
      o.port = server.port();
      conns.push_back(std::make_shared<detail::RedisConnection>(ioc.get_executor(), o,
                                                                std::move(lib),
                                                                std::vector<std::vector<std::string>>{}));
    }
    for (auto& c : conns) {
      c->start();
    }
    while (!std::all_of(conns.begin(), conns.end(), [](const auto& c) { return c->ready(); })) {
      ASSERT_EQ(ioc.run_one(), 1u);
    }
    EXPECT_EQ(server.command({"FCALL_RO", "w4_version", "0"}), std::to_string(base + 2))
        << "round " << round;
    for (auto& c : conns) {
      c->close();
    }
    ioc.run();
  }
  // How often an EXEC was aborted by another loader (informational: depends on scheduling).
  RecordProperty("library_races",
                 static_cast<int>(common::counter("w4.redis.library.races").value() - races));
}

}  // namespace
}  // namespace wimpu::registrar::test
