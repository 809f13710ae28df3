// The Daemon in-process: the eP-CSCF on the redis registrar (a real redis-server on a free port)
// with the admin endpoint reading it from its own thread; reload and start-failure paths.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <fstream>
#include <optional>

#include "redis_server.hpp"
#include "udp_ue.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/http/client.hpp"
#include "wimpu/token/error.hpp"
#include "wimpu/token/issuer.hpp"
#include "wimpu/token/key_set.hpp"
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
  port = 0
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
  EXPECT_EQ(lines[0], "wwsf: no signing_key_file (a fresh key per start): keys kept");
  EXPECT_EQ(lines[1], "wwsf: allowed_origins: 0 cross origin(s)");
  EXPECT_EQ(lines[2].rfind("wwsf: users are re-read", 0), 0u);
  EXPECT_EQ(lines[3].rfind("ep_cscf: reloaded trusted issuers", 0), 0u) << lines[3];
  d.drain();
  d.drain();  // idempotent
}


namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

// The eP-CSCF's WebSocket, as a WIC opens it: handshake status (101 or a refusal), then one SIP
// exchange at a time. Every wait is bounded by a network step, never a sleep.
class WicSocket {
public:
  WicSocket(std::uint16_t port, const std::string& origin) : ws_(io_) {
    ws_.next_layer().connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    ws_.set_option(websocket::stream_base::decorator([origin](websocket::request_type& req) {
      req.set(beast::http::field::sec_websocket_protocol, "sip");
      req.set(beast::http::field::origin, origin);
    }));
    websocket::response_type res;
    ws_.async_handshake(res, "127.0.0.1", "/", [](beast::error_code) {});
    io_.run_for(5s);
    status_ = res.result_int();
  }
  unsigned status() const { return status_; }

  /// REGISTERs with `token`; returns the status code (0 without an answer).
  int register_with(const std::string& token, int cseq) {
    std::string reg =
        "REGISTER sip:block.example SIP/2.0\n"
        "Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKr" + std::to_string(cseq) + "\n"
        "Max-Forwards: 70\nTo: <sip:wic@block.example>\nFrom: <sip:wic@block.example>;tag=t1\n"
        "Call-ID: reload-1\nCSeq: " + std::to_string(cseq) + " REGISTER\n"
        "Contact: <sip:a@df7jal23ls0d.invalid;transport=ws>;expires=600\n"
        "Authorization: Bearer " + token + "\nContent-Length: 0\n\n";
    ws_.text(true);
    beast::error_code ec;
    ws_.async_write(asio::buffer(test::to_crlf(reg)), [&](beast::error_code e, std::size_t) {
      ec = e;
    });
    io_.restart();
    io_.run_for(5s);
    beast::flat_buffer buf;
    bool read = false;
    ws_.async_read(buf, [&](beast::error_code e, std::size_t) { read = !e; });
    io_.restart();
    io_.run_for(5s);
    if (ec || !read) {
      return 0;
    }
    auto m = sip::Message::parse(beast::buffers_to_string(buf.data()));
    return m ? m->status_code() : 0;
  }

private:
  asio::io_context io_;
  websocket::stream<asio::ip::tcp::socket> ws_;
  unsigned status_ = 0;
};

constexpr const char* kOtherIssuer = "https://other.test";

// The all-in-one layout with `origin` allowed by the WWSF and the eP-CSCF; `other_jwks` non-empty
// adds kOtherIssuer (its JWKS file) to the domain's trusted issuers; `ws_port` is the eP-CSCF's
// WebSocket listener port. The admin endpoint on port 0: the default 9180 made two of these
// tests fail when ctest ran them at once.
std::string reload_config(const std::string& state_dir, const std::string& origin,
                          const std::string& other_jwks, int ws_port = 0) {
  std::string t = R"(
[wimpud]
state_dir = ")" + state_dir + R"("
[admin]
port = 0
[wwsf]
issuer = "https://wwsf.test"
default_block = "b1"
port = 0
plain_http_for_tests = true
allowed_origins = [")" + origin + R"("]
[ep_cscf]
allowed_origins = [")" + origin + R"("]
  [[ep_cscf.listeners]]
  protocol = "ws"
  port = )" + std::to_string(ws_port) + R"(
  [[ep_cscf.domains]]
  domain = "block.example"
  authz_server = "https://wwsf.test/api/token"
    [ep_cscf.domains.block]
    id = "b1"
    range_first = "+15550000001"
    range_last = "+15550000009"
    [[ep_cscf.domains.issuers]]
    issuer = "https://wwsf.test"
)";
  if (!other_jwks.empty()) {
    t += "    [[ep_cscf.domains.issuers]]\n    issuer = \"" + std::string(kOtherIssuer) +
         "\"\n    jwks_file = \"" + other_jwks + "\"\n";
  }
  return t;
}

// Issue 7 "SIGHUP reloads", through the entry point main.cpp calls on SIGHUP, checked over real
// sockets: the WWSF's and the eP-CSCF's Origins, an issuer added then removed, a listener change
// named as needing a restart, and refused files that change nothing.
TEST(Daemon, ReloadPutsOriginsAndIssuersInForceAndRefusesABadFileAsAWhole) {
  const std::string state = ::testing::TempDir() + "/wimpud-daemon-reload";
  const std::string jwks = ::testing::TempDir() + "/wimpud-daemon-reload-other.jwks";
  auto key = token::SigningKey::generate(token::Algorithm::kEdDSA, "o1");
  ASSERT_TRUE(key);
  std::ofstream(jwks) << token::jwks_document({(*key)->public_key()});
  token::IssuerOptions io;
  io.issuer = kOtherIssuer;
  io.audience = "ims.example";
  token::TokenIssuer other(io, *key, std::make_shared<common::SystemClock>());
  auto other_token = other.issue("carol", "b1");
  ASSERT_TRUE(other_token);
  constexpr const char* kA = "https://a.example";
  constexpr const char* kB = "https://b.example";

  Daemon d(parse_text(reload_config(state, kA, "")));
  auto started = d.start();
  ASSERT_TRUE(started) << started.error();
  std::uint16_t ws_port = 0;
  std::uint16_t wwsf_port = 0;
  for (const auto& l : d.listeners()) {
    if (l.function == "ep_cscf" && l.protocol == "ws") {
      ws_port = l.port;
    } else if (l.function == "wwsf") {
      wwsf_port = l.port;
    }
  }
  ASSERT_NE(ws_port, 0);
  ASSERT_NE(wwsf_port, 0);
  http::Client wwsf("127.0.0.1", wwsf_port, nullptr, 5000ms);
  // A login with a wrong password: 401 from an allowed Origin, 403 origin_refused otherwise.
  auto login_status = [&](const char* origin) {
    http::Request req{http::Verb::post, "/api/login", 11};
    req.set(beast::http::field::host, "127.0.0.1");
    req.set(beast::http::field::origin, origin);
    req.set(beast::http::field::content_type, "application/json");
    req.body() = R"({"username":"nobody","password":"x"})";
    req.prepare_payload();
    auto r = wwsf.request(std::move(req));
    return r ? r->result_int() : 0u;
  };
  EXPECT_EQ(login_status(kA), 401u);
  EXPECT_EQ(login_status(kB), 403u);
  EXPECT_EQ(WicSocket(ws_port, kB).status(), 403u);
  {
    WicSocket wic(ws_port, kA);
    ASSERT_EQ(wic.status(), 101u);
    EXPECT_EQ(wic.register_with(*other_token, 1), 401);  // not trusted yet
  }

  // Origins moved to B, the other issuer added, and a listener port changed (restart only).
  common::Counter& restart = common::counter("wimpud.reload.restart_needed");
  const auto restart_before = restart.value();
  ReloadReport r = d.reload(parse_config(toml::parse(reload_config(state, kB, jwks, 1)),
                                         ::testing::TempDir()));
  ASSERT_TRUE(r.applied);
  auto has = [&](const std::string& line) {
    return std::find(r.lines.begin(), r.lines.end(), line) != r.lines.end();
  };
  EXPECT_TRUE(has("ep_cscf: domain block.example: trusted issuer https://other.test added"));
  EXPECT_TRUE(has("restart needed: ep_cscf.listeners[0].port changed; the running value stays "
                  "until wimpud restarts"));
  EXPECT_EQ(restart.value(), restart_before + 1);
  EXPECT_EQ(login_status(kA), 403u);
  EXPECT_EQ(login_status(kB), 401u);
  EXPECT_EQ(WicSocket(ws_port, kA).status(), 403u);
  WicSocket wic(ws_port, kB);
  ASSERT_EQ(wic.status(), 101u);
  EXPECT_EQ(wic.register_with(*other_token, 1), 200);

  // Refused as a whole: a JWKS file that cannot be read (the origins in the same file too), and
  // a file that does not parse.
  common::Counter& refused = common::counter("wimpud.reload.refused");
  const auto refused_before = refused.value();
  r = d.reload(parse_config(toml::parse(reload_config(state, kA, jwks + ".gone", 1)),
                            ::testing::TempDir()));
  EXPECT_FALSE(r.applied);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "reload refused, the running configuration stays: "
                        "ep_cscf.domains[0].issuers[1].jwks_file: cannot read " + jwks + ".gone");
  r = d.reload(Expected<DaemonConfig, ConfigError>(ConfigError{"wwsf.port", "bad"}));
  EXPECT_FALSE(r.applied);
  EXPECT_EQ(r.lines.at(0), "reload refused, the running configuration stays: config error at "
                           "wwsf.port: bad");
  EXPECT_EQ(refused.value(), refused_before + 2);
  EXPECT_EQ(login_status(kB), 401u);
  EXPECT_EQ(wic.register_with(*other_token, 2), 200);

  // Removed: the other issuer's token now gets what an unknown issuer gets.
  common::Counter& unknown = token::failure_counter(token::TokenError::kUnknownIssuer);
  r = d.reload(parse_config(toml::parse(reload_config(state, kB, "", 1)), ::testing::TempDir()));
  ASSERT_TRUE(r.applied);
  EXPECT_TRUE(has("ep_cscf: domain block.example: trusted issuer https://other.test removed"));
  const auto unknown_before = unknown.value();
  EXPECT_EQ(wic.register_with(*other_token, 3), 401);
  EXPECT_EQ(unknown.value(), unknown_before + 1);
  d.drain();
}

// SIGHUP re-reads wwsf.signing_key_file: the WWSF publishes the new key, and the eP-CSCF of the
// same process (which trusts this WWSF's keys directly) accepts tokens signed with it and no
// longer those of the old key (not kept in retired_key_files). An unreadable key file is refused
// as a whole.
TEST(Daemon, ReloadRereadsTheWwsfSigningKeyForTheWwsfAndTheEpCscf) {
  const std::string state = ::testing::TempDir() + "/wimpud-daemon-reload-key";
  const std::string pem = ::testing::TempDir() + "/wimpud-daemon-reload-key.pem";
  auto k1 = token::SigningKey::generate(token::Algorithm::kEdDSA, "");
  auto k2 = token::SigningKey::generate(token::Algorithm::kEdDSA, "");
  ASSERT_TRUE(k1 && k2);
  std::ofstream(pem, std::ios::trunc) << (*k1)->private_pem();
  std::string text = reload_config(state, "https://a.example", "");
  const std::string plain = "plain_http_for_tests = true\n";
  text.replace(text.find(plain), plain.size(), plain + "signing_key_file = \"" + pem + "\"\n");

  Daemon d(parse_text(text));
  auto started = d.start();
  ASSERT_TRUE(started) << started.error();
  std::uint16_t ws_port = 0;
  std::uint16_t wwsf_port = 0;
  for (const auto& l : d.listeners()) {
    if (l.function == "ep_cscf" && l.protocol == "ws") {
      ws_port = l.port;
    } else if (l.function == "wwsf") {
      wwsf_port = l.port;
    }
  }
  http::Client wwsf("127.0.0.1", wwsf_port, nullptr, 5000ms);
  auto jwks = [&] {
    auto r = wwsf.request(http::Verb::get, "/.well-known/jwks.json");
    return r ? json::parse(r->body()) : json();
  };
  auto token_of = [](const token::SigningKeyPtr& generated) {
    // As the WWSF reads it from the file (its kid included).
    auto key = token::SigningKey::from_pem(generated->private_pem());
    EXPECT_TRUE(key);
    token::IssuerOptions io;
    io.issuer = "https://wwsf.test";
    io.audience = "ims.example";
    token::TokenIssuer issuer(io, *key, std::make_shared<common::SystemClock>());
    auto t = issuer.issue("dave", "b1");
    return t ? *t : std::string();
  };
  const std::string kid1 = jwks()["keys"][0]["kid"];
  WicSocket wic(ws_port, "https://a.example");
  ASSERT_EQ(wic.status(), 101u);
  EXPECT_EQ(wic.register_with(token_of(*k1), 1), 200);

  std::ofstream(pem, std::ios::trunc) << (*k2)->private_pem();
  const auto lines = d.reload();
  EXPECT_NE(std::find(lines.begin(), lines.end(), "wwsf: signing keys reloaded from " + pem),
            lines.end());
  const json keys = jwks()["keys"];
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_NE(keys[0]["kid"], kid1);
  EXPECT_EQ(wic.register_with(token_of(*k2), 2), 200);
  EXPECT_EQ(wic.register_with(token_of(*k1), 3), 401);

  std::ofstream(pem, std::ios::trunc) << "not a key\n";
  ReloadReport r = d.reload(parse_text(text));
  EXPECT_FALSE(r.applied);
  EXPECT_EQ(r.lines.at(0).rfind("reload refused, the running configuration stays: "
                                "wwsf.signing_key_file: ", 0),
            0u)
      << r.lines.at(0);
  EXPECT_EQ(wic.register_with(token_of(*k2), 4), 200);
  d.drain();
}

// A re-read file that adds [wwsf] and trusts it without keys (its keys would come from the
// in-process WWSF, which is not running until a restart): refused as a whole, nothing changes.
TEST(Daemon, ReloadAddingAWwsfToTrustIsRefused) {
  const std::string state = ::testing::TempDir() + "/wimpud-daemon-reload-nowwsf";
  const std::string jwks = ::testing::TempDir() + "/wimpud-daemon-reload-nowwsf.jwks";
  auto key = token::SigningKey::generate(token::Algorithm::kEdDSA, "w1");
  ASSERT_TRUE(key);
  std::ofstream(jwks) << token::jwks_document({(*key)->public_key()});
  const std::string with_wwsf = reload_config(state, "https://a.example", "");
  // Without [wwsf]: the issuer's keys come from a JWKS file.
  std::string without = with_wwsf;
  const auto from = without.find("[wwsf]");
  without.erase(from, without.find("[ep_cscf]") - from);
  const std::string issuer = "    issuer = \"https://wwsf.test\"\n";
  without.replace(without.find(issuer), issuer.size(),
                  issuer + "    jwks_file = \"" + jwks + "\"\n");
  Daemon d(parse_text(without));
  auto started = d.start();
  ASSERT_TRUE(started) << started.error();
  ReloadReport r = d.reload(parse_text(with_wwsf));
  EXPECT_FALSE(r.applied);
  EXPECT_EQ(r.lines.at(0),
            "reload refused, the running configuration stays: ep_cscf.domains[0].issuers[0]: no "
            "[wwsf] runs in this process to take the keys of https://wwsf.test from (adding "
            "[wwsf] needs a restart)");
  d.drain();
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
                           "\n[ei_cscf]\n[[ei_cscf.listeners]]\nprotocol = \"udp\"\nport = 0\n"
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

}  // namespace
}  // namespace wimpu::wimpud
