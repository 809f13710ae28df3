// The admin endpoint over real loopback sockets: /livez, /readyz, /metrics and the W4 routes
// against a memory registrar (the same W4 the all-in-one eP-CSCF uses).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "wimpu/admin/admin_server.hpp"
#include "wimpu/admin/prometheus.hpp"
#include "wimpu/admin/query.hpp"
#include "wimpu/admin/registrar_routes.hpp"
#include "wimpu/admin/timed.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/common/histogram.hpp"
#include "wimpu/http/client.hpp"
#include "wimpu/registrar/memory_registrar.hpp"

namespace wimpu::admin {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using namespace std::chrono_literals;

/// Runs a memory-W4 coroutine to completion (the memory backend completes inline).
template <class T>
T run(asio::awaitable<T> task) {
  asio::io_context io;
  std::optional<T> out;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T v) {
    ASSERT_FALSE(e);
    out.emplace(std::move(v));
  });
  io.run();
  return std::move(*out);
}

/// Sets `*after` once the W4 answer is back inside the coroutine (where the eI-CSCF resumes
/// its proxy).
asio::awaitable<void> probe(registrar::W4* w4, bool* after) {
  auto r = co_await w4->is_registered("sip:+15550000001@block.example");
  EXPECT_TRUE(r && !*r);
  *after = true;
}

class AdminTest : public ::testing::Test {
protected:
  void SetUp() override {
    registrar::BlockConfig b;
    b.id = "b1";
    b.domains = {"block.example"};
    b.range_first = "+15550000000";
    b.range_last = "+15550000009";
    clock_ = std::make_shared<common::FakeClock>();
    w4_ = std::make_unique<registrar::MemoryRegistrar>(
        std::make_shared<registrar::BlockSet>(std::vector<registrar::BlockConfig>{b}), clock_);
    timed_ = make_timed_w4(*w4_);
    server_.emplace(AdminOptions{});
    add_registrar_routes(server_->router(), *timed_);
    server_->set_ready_check([this] {
      return ready_ ? std::vector<std::string>{} : std::vector<std::string>{"wwsf: starting"};
    });
    ASSERT_TRUE(server_->start());
    client_ = std::make_unique<http::Client>("127.0.0.1", server_->port(), nullptr, 5000ms);
  }

  std::string register_alice() {
    registrar::RegisterRequest req;
    req.block = "b1";
    req.identity = {"https://wwsf.example", "alice"};
    registrar::ContactUpdate u;
    u.contact.uri = "sip:a@x.invalid;transport=ws";
    u.contact.instance = "<urn:uuid:aaaa>";
    u.contact.reg_id = 1;
    u.contact.call_id = "c1";
    u.contact.cseq = 1;
    u.contact.flow_token = "ft1";
    u.expires_s = 600;
    req.contacts.push_back(u);
    auto r = run(w4_->register_contacts(std::move(req)));
    EXPECT_TRUE(r);
    return r ? r->impu : std::string();
  }

  json get_json(const std::string& target, unsigned expect = 200) {
    auto r = client_->request(http::Verb::get, target);
    EXPECT_TRUE(r);
    if (!r) {
      return {};
    }
    EXPECT_EQ(r->result_int(), expect) << r->body();
    return json::parse(r->body(), nullptr, false);
  }

  std::shared_ptr<common::FakeClock> clock_;
  registrar::W4Ptr w4_;
  registrar::W4Ptr timed_;
  std::atomic<bool> ready_{true};
  std::optional<AdminServer> server_;
  std::unique_ptr<http::Client> client_;
};

TEST_F(AdminTest, LivezAndReadyz) {
  auto live = client_->request(http::Verb::get, "/livez");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->result_int(), 200u);
  auto ready = client_->request(http::Verb::get, "/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->result_int(), 200u);
  ready_ = false;
  ready = client_->request(http::Verb::get, "/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->result_int(), 503u);
  EXPECT_EQ(ready->body(), "wwsf: starting\n");
}

TEST_F(AdminTest, MetricsExposeCountersAndHistograms) {
  common::counter("admin_test.some_error").inc(3);
  register_alice();
  get_json("/admin/bindings?impu=" + percent_encode("sip:+15550000000@block.example"));
  auto r = client_->request(http::Verb::get, "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_EQ((*r)[http::Field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body().find("# TYPE wimpu_admin_test_some_error_total counter\n"
                           "wimpu_admin_test_some_error_total 3\n"),
            std::string::npos);
  EXPECT_NE(r->body().find("# TYPE wimpu_w4_latency_lookup_seconds histogram\n"), std::string::npos);
  EXPECT_NE(r->body().find("wimpu_w4_latency_lookup_seconds_bucket{le=\"+Inf\"} "), std::string::npos);
}

TEST_F(AdminTest, MetricsCanCarryBlockUsageGauges) {
  register_alice();
  AdminServer with_usage(AdminOptions{});
  add_block_usage_metrics(with_usage.router(), *timed_);  // before start(): routes are read-only after
  ASSERT_TRUE(with_usage.start());
  http::Client c("127.0.0.1", with_usage.port(), nullptr, 5000ms);
  auto r = c.request(http::Verb::get, "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);
  EXPECT_NE(r->body().find("# TYPE wimpu_block_impus gauge\n"
                           "wimpu_block_impus{block=\"b1\",state=\"registered\"} 1\n"
                           "wimpu_block_impus{block=\"b1\",state=\"quarantined\"} 0\n"
                           "wimpu_block_impus{block=\"b1\",state=\"free\"} 9\n"
                           "# TYPE wimpu_block_size gauge\n"
                           "wimpu_block_size{block=\"b1\"} 10\n"),
            std::string::npos)
      << r->body();
}

TEST_F(AdminTest, ReadinessCanIncludeTheRegistrarPing) {
  AdminServer a(AdminOptions{});
  std::atomic<bool> draining{false};
  add_registrar_readiness(a.router(), *timed_, [&draining] {
    return draining ? std::vector<std::string>{"draining"} : std::vector<std::string>{};
  });
  ASSERT_TRUE(a.start());
  http::Client c("127.0.0.1", a.port(), nullptr, 5000ms);
  auto r = c.request(http::Verb::get, "/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200u);  // the memory registrar always answers its ping
  draining = true;
  r = c.request(http::Verb::get, "/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 503u);
  EXPECT_EQ(r->body(), "draining\n");
}

TEST_F(AdminTest, BindingsByImpuByIdentityAndListing) {
  const std::string impu = register_alice();
  ASSERT_FALSE(impu.empty());
  json by_impu = get_json("/admin/bindings?impu=" + percent_encode(impu));
  ASSERT_EQ(by_impu["bindings"].size(), 1u);
  EXPECT_EQ(by_impu["bindings"][0]["state"], "registered");
  EXPECT_EQ(by_impu["bindings"][0]["owner"]["subject"], "alice");
  EXPECT_EQ(by_impu["bindings"][0]["contacts"][0]["flow_token"], "ft1");

  json by_who = get_json("/admin/bindings?issuer=" + percent_encode("https://wwsf.example") +
                         "&subject=alice");
  ASSERT_EQ(by_who["bindings"].size(), 1u);
  EXPECT_EQ(by_who["bindings"][0]["impu"], impu);

  json nobody = get_json("/admin/bindings?issuer=x&subject=bob");
  EXPECT_TRUE(nobody["bindings"].empty());

  json all = get_json("/admin/bindings");
  ASSERT_EQ(all["bindings"].size(), 1u);
  EXPECT_EQ(all["bindings"][0]["impu"], impu);
}

TEST_F(AdminTest, ErrorsAreJsonWithTheW4Reason) {
  json unknown = get_json("/admin/bindings?impu=" + percent_encode("sip:+1999@else.example"), 404);
  EXPECT_EQ(unknown["error"], "unknown_impu");
  json block = get_json("/admin/bindings?block=nope", 404);
  EXPECT_EQ(block["error"], "unknown_block");
  get_json("/admin/bindings?issuer=only", 400);
  auto kick = client_->request(http::Verb::post, "/admin/bindings/kick", "[]", "application/json");
  ASSERT_TRUE(kick);
  EXPECT_EQ(kick->result_int(), 400u);
}

TEST_F(AdminTest, KickRemovesTheBindingAndBlocksShowUsage) {
  const std::string impu = register_alice();
  json usage = get_json("/admin/blocks");
  ASSERT_EQ(usage["blocks"].size(), 1u);
  EXPECT_EQ(usage["blocks"][0]["id"], "b1");
  EXPECT_EQ(usage["blocks"][0]["size"], 10);
  EXPECT_EQ(usage["blocks"][0]["registered"], 1);
  EXPECT_EQ(usage["blocks"][0]["free"], 9);

  auto r = client_->request(http::Verb::post, "/admin/bindings/kick",
                            json{{"impu", impu}}.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->result_int(), 200u) << r->body();
  json out = json::parse(r->body());
  EXPECT_EQ(out["removed"], 1);
  EXPECT_EQ(out["released"], true);
  EXPECT_EQ(out["flows_closed"], 0);  // no FlowCloser: only the W4 state goes

  usage = get_json("/admin/blocks");
  EXPECT_EQ(usage["blocks"][0]["registered"], 0);
  EXPECT_EQ(usage["blocks"][0]["quarantined"], 1);
}

// Issue 7 "kick closes the flow": the FlowCloser is asked for each contact the kick removes
// (with its flow token, read before the removal) and the answer counts the flows it closed.
TEST_F(AdminTest, KickAsksTheFlowCloserForEachRemovedContact) {
  const std::string impu = register_alice();
  std::mutex m;
  std::vector<std::string> asked;
  AdminServer with_closer(AdminOptions{});
  add_registrar_routes(with_closer.router(), *timed_, [&](const registrar::ContactInfo& c) {
    std::lock_guard lock(m);
    asked.push_back(c.flow_token);
    return true;
  });
  ASSERT_TRUE(with_closer.start());
  http::Client c("127.0.0.1", with_closer.port(), nullptr, 5000ms);

  // Keys that name no contact: nothing removed, nothing closed. The contact registered with
  // instance + reg-id, so its URI alone is not its binding key (RFC 5626 §6).
  for (const json& key : {json{{"impu", impu}, {"uri", "sip:other@x.invalid"}},
                          json{{"impu", impu}, {"uri", "sip:a@x.invalid;transport=ws"}},
                          json{{"impu", impu}, {"instance", "<urn:uuid:aaaa>"}, {"reg_id", 2}}}) {
    auto r = c.request(http::Verb::post, "/admin/bindings/kick", key.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->result_int(), 200u) << r->body();
    EXPECT_EQ(json::parse(r->body())["removed"], 0) << key;
    EXPECT_EQ(json::parse(r->body())["flows_closed"], 0) << key;
  }

  auto r = c.request(http::Verb::post, "/admin/bindings/kick",
                     json{{"impu", impu}, {"instance", "<urn:uuid:aaaa>"}, {"reg_id", 1}}.dump(),
                     "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->result_int(), 200u) << r->body();
  json out = json::parse(r->body());
  EXPECT_EQ(out["removed"], 1);
  EXPECT_EQ(out["flows_closed"], 1);
  with_closer.stop();
  EXPECT_EQ(asked, std::vector<std::string>{"ft1"});
}

// Metrics sources (gauges read at scrape time) follow the registries until cleared.
TEST_F(AdminTest, MetricsSourcesAreAppendedUntilCleared) {
  set_metrics_source("admin_test", [] {
    return std::string("# TYPE wimpu_admin_test_gauge gauge\nwimpu_admin_test_gauge 7\n");
  });
  auto r = client_->request(http::Verb::get, "/metrics");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body().find("# TYPE wimpu_admin_test_gauge gauge\nwimpu_admin_test_gauge 7\n"),
            std::string::npos)
      << r->body();
  clear_metrics_source("admin_test");
  r = client_->request(http::Verb::get, "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body().find("wimpu_admin_test_gauge"), std::string::npos);
}

TEST_F(AdminTest, TimedW4CanForceAnAsynchronousCompletion) {
  // From inside the io_context, co_spawn dispatches the coroutine at once; the memory backend
  // then completes inline unless the decorator suspends (the eI-CSCF needs it to).
  for (const bool suspend : {false, true}) {
    registrar::W4Ptr timed = make_timed_w4(*w4_, suspend);
    asio::io_context io;
    bool done = false;
    bool done_inline = false;
    asio::post(io, [&] {
      asio::co_spawn(io, probe(timed.get(), &done), asio::detached);
      done_inline = done;
    });
    io.run();
    EXPECT_TRUE(done);
    EXPECT_EQ(done_inline, !suspend);
  }
}

TEST_F(AdminTest, BindIsRefusedOnABusyPort) {
  AdminServer other(AdminOptions{"127.0.0.1", server_->port()});
  auto r = other.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("cannot listen on 127.0.0.1:"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace wimpu::admin
