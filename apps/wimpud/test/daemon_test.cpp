// The Daemon in-process: the eP-CSCF on the redis registrar (a real redis-server on a free port)
// with the admin endpoint reading it from its own thread; reload and start-failure paths.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <optional>

#include "redis_server.hpp"
#include "test_support.hpp"
#include "udp_ue.hpp"
#include "wimpu/http/client.hpp"
#include "wimpu/wimpud/daemon.hpp"

namespace wimpu::wimpud {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string config_text(std::uint16_t redis_port, const std::string& state_dir) {
  return R"(
[wimpud]
state_dir = ")" + state_dir + R"("
[admin]
port = 0
[registrar]
backend = "redis"
[registrar.redis]
port = )" + std::to_string(redis_port) + R"(
[wwsf]
issuer = "https://wwsf.test"
default_block = "b1"
port = 0
plain_http_for_tests = true
[ep_cscf]
  [[ep_cscf.listeners]]
  protocol = "ws"
  [[ep_cscf.domains]]
  domain = "block.example"
  authz_server = "https://wwsf.test/api/token"
    [ep_cscf.domains.block]
    id = "b1"
    range_first = "+15550000000"
    range_last = "+15550000009"
    [[ep_cscf.domains.issuers]]
    issuer = "https://wwsf.test"
)";
}

DaemonConfig parse_text(const std::string& text) {
  auto c = parse_config(toml::parse(text), ::testing::TempDir());
  EXPECT_TRUE(c) << c.error().to_string();
  return c ? std::move(*c) : DaemonConfig{};
}

TEST(Daemon, AdminReadsTheRedisRegistrarFromItsOwnThread) {
  std::optional<registrar::testing::RedisServer> redis(std::in_place);
  const std::string state = ::testing::TempDir() + "/wimpud-daemon-redis";
  Daemon d(parse_text(config_text(redis->port(), state)));
  auto started = d.start();
  ASSERT_TRUE(started) << started.error();
  ASSERT_NE(d.admin_port(), 0);
  EXPECT_EQ(d.wwsf_url().rfind("http://127.0.0.1:", 0), 0u) << d.wwsf_url();

  http::Client admin("127.0.0.1", d.admin_port(), nullptr, 5000ms);
  auto blocks = admin.request(http::Verb::get, "/admin/blocks");
  ASSERT_TRUE(blocks);
  ASSERT_EQ(blocks->result_int(), 200u) << blocks->body();
  const json b = json::parse(blocks->body())["blocks"][0];
  EXPECT_EQ(b["id"], "b1");
  EXPECT_EQ(b["size"], 10);
  EXPECT_EQ(b["free"], 10);
  auto list = admin.request(http::Verb::get, "/admin/bindings");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->result_int(), 200u) << list->body();
  EXPECT_TRUE(json::parse(list->body())["bindings"].empty());
  auto health = admin.request(http::Verb::get, "/admin/health");
  ASSERT_TRUE(health);
  const json h = json::parse(health->body());
  EXPECT_EQ(h["ready"], true);
  EXPECT_EQ(h["functions"]["ep_cscf"]["state"], "running");
  EXPECT_EQ(h["functions"]["wwsf"]["listeners"][0]["protocol"], "http");

  auto ready = admin.request(http::Verb::get, "/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->result_int(), 200u) << ready->body();
  redis.reset();  // stopped by PID: the registrar is gone, so is readiness
  ready = admin.request(http::Verb::get, "/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->result_int(), 503u);
  EXPECT_EQ(ready->body(), "registrar: unavailable\n");

  const auto lines = d.reload();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].rfind("wwsf: users are re-read", 0), 0u);
  EXPECT_EQ(lines[1], "wwsf: no signing_key_file (a fresh key per start): keys kept");
  EXPECT_EQ(lines[2], "ep_cscf: keys of https://wwsf.test: unchanged");
  EXPECT_EQ(lines[3], "ep_cscf: allowed origins: 0 (any)");
  d.drain();
  d.drain();  // idempotent
}

TEST(Daemon, EiCscfAloneOnTheRedisRegistrar) {
  // The split-deployment eI-CSCF: no eP-CSCF in the process, W4 on redis (one connection per
  // shard, and one for the admin endpoint), Cx to the HSS in-process.
  registrar::testing::RedisServer redis;
  const std::string subs = ::testing::TempDir() + "/wimpud-daemon-ei-subs.toml";
  {
    std::FILE* f = std::fopen(subs.c_str(), "w");
    std::fputs("[[subscriber]]\nimpi = \"block@block.example\"\nrealm = \"block.example\"\n"
               "ha1 = \"34e7d45f636891b2362892f0c15d3a99\"\n[[subscriber.implicit_set]]\n"
               "public_identities = [\"sip:+1555000!.*!@block.example\"]\n",
               f);
    std::fclose(f);
  }
  const std::string text = "[wimpud]\nstate_dir = \"" + ::testing::TempDir() +
                           "/wimpud-daemon-ei\"\n[admin]\nport = 0\n[[blocks]]\nid = \"b1\"\n"
                           "domains = [\"block.example\"]\nrange_first = \"+15550000000\"\n"
                           "range_last = \"+15550000009\"\n[registrar]\nbackend = \"redis\"\n"
                           "[registrar.redis]\nport = " + std::to_string(redis.port()) +
                           "\n[ei_cscf]\n[[ei_cscf.listeners]]\nprotocol = \"udp\"\n"
                           "[ei_cscf.proxy]\nshards = 2\ndomains = [\"block.example\"]\n"
                           "[hss]\nsubscribers = \"" + subs + "\"\n";
  Daemon d(parse_text(text));
  auto started = d.start();
  ASSERT_TRUE(started) << started.error();
  std::uint16_t sip_port = 0;
  for (const auto& l : d.listeners()) {
    if (l.function == "ei_cscf") {
      sip_port = l.port;
    }
  }
  ASSERT_NE(sip_port, 0);
  test::UdpUe ue(sip_port);
  EXPECT_EQ(ue.invite("sip:+15550000003@block.example", 1), 480);  // W4 (redis): not registered

  http::Client admin("127.0.0.1", d.admin_port(), nullptr, 5000ms);
  auto blocks = admin.request(http::Verb::get, "/admin/blocks");
  ASSERT_TRUE(blocks);
  ASSERT_EQ(blocks->result_int(), 200u) << blocks->body();
  EXPECT_EQ(json::parse(blocks->body())["blocks"][0]["free"], 10);
  d.drain();
}

TEST(Daemon, StartFailureNamesTheFunctionAndStopsWhatStarted) {
  // The admin port is taken by a first daemon: the second one's start fails at the admin step,
  // after the HSS started, and stops it again.
  const std::string subs = ::testing::TempDir() + "/wimpud-daemon-subs.toml";
  {
    std::FILE* f = std::fopen(subs.c_str(), "w");
    std::fputs("[[subscriber]]\nimpi = \"a@x\"\nrealm = \"x\"\nha1 = "
               "\"34e7d45f636891b2362892f0c15d3a99\"\n[[subscriber.implicit_set]]\n"
               "public_identities = [\"sip:a@x\"]\n",
               f);
    std::fclose(f);
  }
  const std::string text = "[wimpud]\nstate_dir = \"" + ::testing::TempDir() +
                           "/wimpud-daemon-fail\"\n[admin]\nport = 0\n[hss]\nsubscribers = \"" +
                           subs + "\"\n";
  Daemon first(parse_text(text));
  ASSERT_TRUE(first.start());
  DaemonConfig c = parse_text(text);
  c.admin->port = first.admin_port();
  Daemon second(std::move(c));
  auto r = second.start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().rfind("admin: cannot listen on 127.0.0.1:", 0), 0u) << r.error();
  const auto lines = first.reload();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("hss: reloaded ", 0), 0u) << lines[0];
}

/// A TCP port free on 127.0.0.1 now (see wimpud_test.cpp all_in_one_config: not 0 for a
/// SO_REUSEPORT listener).
std::uint16_t free_tcp_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

/// A memory-registrar process: WWSF (plain HTTP, signing key `key`) and eP-CSCF (WS) whose
/// WebSocket upgrades must come from `origin`.
std::string reload_config(const std::string& state, const std::string& key,
                          const std::string& origin, std::uint16_t port) {
  return "[wimpud]\nstate_dir = \"" + state + "\"\n[admin]\nenabled = false\n"
         "[wwsf]\nissuer = \"https://wwsf.test\"\ndefault_block = \"b1\"\nport = 0\n"
         "plain_http_for_tests = true\nsigning_key_file = \"" + key + "\"\n"
         "[ep_cscf]\nallowed_origins = [\"" + origin + "\"]\n"
         "  [[ep_cscf.listeners]]\n  protocol = \"ws\"\n  port = " + std::to_string(port) +
         "\n  [[ep_cscf.domains]]\n  domain = \"block.example\"\n"
         "  authz_server = \"https://wwsf.test/api/token\"\n"
         "    [ep_cscf.domains.block]\n    id = \"b1\"\n    range_first = \"+15550000000\"\n"
         "    range_last = \"+15550000009\"\n"
         "    [[ep_cscf.domains.issuers]]\n    issuer = \"https://wwsf.test\"\n";
}

TEST(Daemon, SighupReloadsWwsfKeysAndEpCscfIssuerKeysAndOrigins) {
  const std::string dir = ::testing::TempDir() + "/wimpud-daemon-reload";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const char* k : {"k1.pem", "k2.pem"}) {
    const std::string cmd = "openssl genpkey -algorithm ed25519 -out " + dir + "/" + k;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  const std::uint16_t ws_port = free_tcp_port();
  Daemon d(parse_text(reload_config(dir + "/state", dir + "/k1.pem", "https://a.test", ws_port)));
  auto started = d.start();
  ASSERT_TRUE(started) << started.error();
  std::uint16_t wwsf = 0;
  transport::Endpoint ws;
  for (const auto& l : d.listeners()) {
    if (l.function == "wwsf") {
      wwsf = l.port;
    } else if (l.protocol == "ws") {
      ws = transport::Endpoint{boost::asio::ip::make_address(l.address), l.port};
    }
  }
  ASSERT_NE(wwsf, 0);
  ASSERT_NE(ws.port, 0);
  auto jwks = [&] {
    http::Client c("127.0.0.1", wwsf, nullptr, 5000ms);
    auto r = c.request(http::Verb::get, "/.well-known/jwks.json");
    return r ? r->body() : std::string();
  };
  const std::string before = jwks();
  ASSERT_FALSE(before.empty());
  EXPECT_TRUE(transport::test::WsClient().connect(ws, "/", "sip", "https://a.test").upgraded);
  EXPECT_FALSE(transport::test::WsClient().connect(ws, "/", "sip", "https://b.test").upgraded);

  // The file as edited: another signing key, another allowed Origin.
  const auto lines =
      d.reload(parse_text(reload_config(dir + "/state", dir + "/k2.pem", "https://b.test", ws_port)));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1], "wwsf: keys reloaded from " + dir + "/k2.pem");
  EXPECT_EQ(lines[2], "ep_cscf: keys of https://wwsf.test: updated");  // the WWSF's new JWKS
  EXPECT_EQ(lines[3], "ep_cscf: allowed origins: 1");
  const std::string after = jwks();
  EXPECT_NE(after, before);
  EXPECT_FALSE(after.empty());
  EXPECT_TRUE(transport::test::WsClient().connect(ws, "/", "sip", "https://b.test").upgraded);
  EXPECT_FALSE(transport::test::WsClient().connect(ws, "/", "sip", "https://a.test").upgraded);

  // A key file that does not parse keeps the key in force.
  std::ofstream(dir + "/bad.pem") << "not a key\n";
  const auto bad =
      d.reload(parse_text(reload_config(dir + "/state", dir + "/bad.pem", "https://b.test", ws_port)));
  ASSERT_GE(bad.size(), 2u);
  EXPECT_EQ(bad[1].rfind("wwsf: keys not reloaded, keeping the ones in force", 0), 0u) << bad[1];
  EXPECT_EQ(jwks(), after);
  d.drain();
}

}  // namespace
}  // namespace wimpu::wimpud
