// WIC registration at the eP-CSCF over real loopback WebSockets (Beast client in the test), with
// tokens minted by libs/token's TokenIssuer; each case checks the response code and its exact
// headers. The suite runs against the memory and the redis W4 backends.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <sys/socket.h>
#include <sys/time.h>

#include "redis_server.hpp"
#include "sip_text.hpp"
#include "test_domain.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/ep_cscf/server.hpp"
#include "wimpu/sip/header_values.hpp"
#include "wimpu/sip/message.hpp"
#include "wimpu/token/issuer.hpp"
#include "wimpu/token/error.hpp"
#include "wimpu/token/key_set.hpp"

namespace wimpu::ep_cscf {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kWait = 5s;  // bound on one network step, never a synchronisation sleep
constexpr const char* kIssuer = "https://wwsf.example";
constexpr const char* kOrigin = "https://wwsf.example";

using test::all;
using test::crlf;
using test::one;

class WsClient {
public:
  explicit WsClient(asio::io_context& io) : ws_(io) {}
  websocket::stream<tcp::socket> ws_;
};

class RegisterTest : public ::testing::TestWithParam<RegistrarBackend> {
protected:
  void SetUp() override {
    auto key = token::SigningKey::generate(token::Algorithm::kEdDSA, "k1");
    ASSERT_TRUE(key);
    clock_ = std::make_shared<common::SystemClock>();
    token::IssuerOptions io;
    io.issuer = kIssuer;
    io.audience = "ims.example";
    issuer_ = std::make_unique<token::TokenIssuer>(io, *key, clock_);
    auto rogue = token::SigningKey::generate(token::Algorithm::kEdDSA, "k1");
    ASSERT_TRUE(rogue);
    rogue_ = std::make_unique<token::TokenIssuer>(io, *rogue, clock_);

    EpCscfConfig c;
    c.realm = "ims.example";
    c.allowed_origins = {kOrigin};
    transport::ListenerConfig l;
    l.protocol = transport::Protocol::kWs;
    c.transport.listeners.push_back(l);
    l.protocol = transport::Protocol::kUdp;
    c.transport.listeners.push_back(l);
    WimpuDomain d = test::two_impu_domain(kIssuer, **key);
    c.domains.push_back(d);
    c.registration.min_expires = 60;
    c.registration.max_expires = 3600;
    c.registration.flow_timer = 120;
    c.registration.retry_after = 30;
    if (GetParam() == RegistrarBackend::kRedis) {
      redis_.emplace();
      c.backend = RegistrarBackend::kRedis;
      c.redis.port = redis_->port();
    }
    server_.emplace(std::move(c), clock_);
    server_->start();
    for (const auto& li : server_->listeners()) {
      if (li.protocol == transport::Protocol::kWs) {
        ws_port_ = li.local.port;
      }
    }
  }

  void TearDown() override {
    clients_.clear();
    server_.reset();
    redis_.reset();
  }

  bool run_until(const bool& done) {
    io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(50ms);
    }
    return done;
  }

  std::string token(std::string_view sub) {
    auto t = issuer_->issue(sub, "blk1");
    EXPECT_TRUE(t);
    return *t;
  }

  /// Opens a WebSocket (`sip` subprotocol, allowed Origin); returns the handshake status.
  WsClient& connect(unsigned* status = nullptr, std::string origin = kOrigin) {
    clients_.push_back(std::make_unique<WsClient>(io_));
    auto& ws = clients_.back()->ws_;
    ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), ws_port_));
    ws.set_option(websocket::stream_base::decorator([origin](websocket::request_type& req) {
      req.set(http::field::sec_websocket_protocol, "sip");
      req.set(http::field::origin, origin);
    }));
    websocket::response_type res;
    bool done = false;
    ws.async_handshake(res, "127.0.0.1", "/", [&](beast::error_code) { done = true; });
    EXPECT_TRUE(run_until(done));
    if (status != nullptr) {
      *status = static_cast<unsigned>(res.result_int());
    } else {
      EXPECT_EQ(res.result_int(), 101u);
    }
    return *clients_.back();
  }

  sip::Message exchange(WsClient& c, const std::string& text) {
    bool done = false;
    beast::error_code ec;
    c.ws_.text(true);
    c.ws_.async_write(asio::buffer(text), [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    EXPECT_TRUE(run_until(done));
    beast::flat_buffer buf;
    done = false;
    c.ws_.async_read(buf, [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    EXPECT_TRUE(run_until(done)) << "no answer";
    EXPECT_FALSE(ec) << ec.message();
    auto m = sip::Message::parse(beast::buffers_to_string(buf.data()));
    EXPECT_TRUE(m);
    return m ? std::move(*m) : sip::Message();
  }

  /// A JsSIP-style REGISTER with a placeholder AOR (G-02). `extra` lines end with '\n'.
  static std::string reg(std::string_view call_id, int cseq, std::string_view contact,
                         std::string_view extra) {
    std::string s = "REGISTER sip:wimpu.example SIP/2.0\n"
                    "Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK" +
                    std::string(call_id) + std::to_string(cseq) +
                    ";rport\n"
                    "Max-Forwards: 69\n"
                    "To: <sip:wic@wwsf.example>\n"
                    "From: <sip:wic@wwsf.example>;tag=65bnmj\n"
                    "Call-ID: " +
                    std::string(call_id) + "\nCSeq: " + std::to_string(cseq) + " REGISTER\n";
    if (!contact.empty()) {
      s += "Contact: " + std::string(contact) + "\n";
    }
    s += std::string(extra) + "Content-Length: 0\n\n";
    return crlf(s);
  }

  std::string bearer(std::string_view sub) { return "Authorization: Bearer " + token(sub) + "\n"; }

  /// Live contacts of `impu` in W4, read from the test thread.
  std::size_t live_contacts(const std::string& impu) {
    std::optional<registrar::W4Result<registrar::Binding>> out;
    asio::co_spawn(io_, server_->w4().lookup(impu),
                   [&](std::exception_ptr, registrar::W4Result<registrar::Binding> r) {
                     out.emplace(std::move(r));
                   });
    bool done = false;
    io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!out && std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(50ms);
    }
    (void)done;
    EXPECT_TRUE(out && *out);
    return out && *out ? (**out).contacts.size() : 0;
  }

  static constexpr const char* kContactA =
      "<sip:a@df7jal23ls0d.invalid;transport=ws>;+sip.instance=\"<urn:uuid:aaaa>\";reg-id=1;expires=600";
  static constexpr const char* kContactB =
      "<sip:b@xx7jal23ls0d.invalid;transport=ws>;+sip.instance=\"<urn:uuid:bbbb>\";reg-id=1;expires=600";

  asio::io_context io_;
  common::ClockPtr clock_;
  std::unique_ptr<token::TokenIssuer> issuer_;
  std::unique_ptr<token::TokenIssuer> rogue_;
  std::optional<registrar::testing::RedisServer> redis_;
  std::optional<Server> server_;
  std::vector<std::unique_ptr<WsClient>> clients_;
  std::uint16_t ws_port_ = 0;
};

TEST_P(RegisterTest, RefusedOriginGets403AtHandshake) {
  unsigned status = 0;
  connect(&status, "https://evil.example");
  EXPECT_EQ(status, 403u);
}

TEST_P(RegisterTest, MissingTokenGets401WithBearerChallenge) {
  auto& c = connect();
  auto r = exchange(c, reg("c1", 1, kContactA, ""));
  EXPECT_EQ(r.status_code(), 401);
  EXPECT_EQ(one(r, "WWW-Authenticate"),
            "Bearer realm=\"ims.example\", authz_server=\"https://wwsf.example/api/token\"");
}

TEST_P(RegisterTest, InvalidTokenGets401InvalidToken) {
  auto& c = connect();
  auto bad = rogue_->issue("alice", "blk1");
  ASSERT_TRUE(bad);
  // A kid the JWKS lacks takes the asynchronous path (key refresh, then 401).
  auto other_key = token::SigningKey::generate(token::Algorithm::kEdDSA, "k9");
  ASSERT_TRUE(other_key);
  token::IssuerOptions io;
  io.issuer = kIssuer;
  io.audience = "ims.example";
  token::TokenIssuer other(io, *other_key, clock_);
  auto unknown_kid = other.issue("alice", "blk1");
  ASSERT_TRUE(unknown_kid);
  for (const std::string& auth : {"Authorization: Bearer " + *bad + "\n",
                                  "Authorization: Bearer " + *unknown_kid + "\n",
                                  std::string("Authorization: Bearer not.a.jwt\n")}) {
    auto r = exchange(c, reg("c1", 1, kContactA, auth));
    EXPECT_EQ(r.status_code(), 401);
    EXPECT_EQ(one(r, "WWW-Authenticate"),
              "Bearer realm=\"ims.example\", authz_server=\"https://wwsf.example/api/token\", "
              "error=\"invalid_token\"");
    EXPECT_EQ(r.bytes().find(*bad), std::string_view::npos);
  }
}

TEST_P(RegisterTest, RegisterAllocatesImpuWithOutbound) {
  auto& c = connect();
  auto r = exchange(c, reg("c1", 1, kContactA, bearer("alice") + "Supported: outbound, path\n"));
  ASSERT_EQ(r.status_code(), 200);
  EXPECT_EQ(one(r, "P-Associated-URI"), "<sip:+15550000000@wimpu.example>");
  EXPECT_EQ(all(r, "Contact"),
            std::vector<std::string>{"<sip:a@df7jal23ls0d.invalid;transport=ws>;+sip.instance="
                                     "\"<urn:uuid:aaaa>\";reg-id=1;expires=600"});
  EXPECT_EQ(one(r, "Require"), "outbound");
  EXPECT_EQ(one(r, "Flow-Timer"), "120");
  EXPECT_EQ(one(r, "Service-Route"),
            "<sip:orig@127.0.0.1:" + std::to_string(ws_port_) + ";transport=ws;lr>");
  EXPECT_EQ(r.bytes().find("Bearer"), std::string_view::npos);
}

TEST_P(RegisterTest, NoOutboundWithoutSupportedAndExpiryCapped) {
  auto& c = connect();
  auto r = exchange(c, reg("c1", 1, "<sip:a@df7jal23ls0d.invalid;transport=ws>",
                           bearer("alice") + "Expires: 100000\n"));
  ASSERT_EQ(r.status_code(), 200);
  EXPECT_EQ(all(r, "Contact"),
            std::vector<std::string>{"<sip:a@df7jal23ls0d.invalid;transport=ws>;expires=3600"});
  EXPECT_EQ(one(r, "Require"), "");
  EXPECT_EQ(one(r, "Flow-Timer"), "");
}

TEST_P(RegisterTest, SameIdentityTwoFlowsSameImpuAndCloseRemovesFlow) {
  auto& c1 = connect();
  auto& c2 = connect();
  auto r1 = exchange(c1, reg("c1", 1, kContactA, bearer("alice")));
  auto r2 = exchange(c2, reg("c2", 1, kContactB, bearer("alice")));
  ASSERT_EQ(r1.status_code(), 200);
  ASSERT_EQ(r2.status_code(), 200);
  EXPECT_EQ(one(r2, "P-Associated-URI"), "<sip:+15550000000@wimpu.example>");
  EXPECT_EQ(all(r2, "Contact").size(), 2u);
  const std::string impu = "sip:+15550000000@wimpu.example";
  EXPECT_EQ(live_contacts(impu), 2u);
  // RFC 5626 §7: closing the WebSocket removes that flow's contact at once.
  bool closed = false;
  c2.ws_.async_close(websocket::close_code::normal, [&](beast::error_code) { closed = true; });
  ASSERT_TRUE(run_until(closed));
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  std::size_t n = 2;
  while ((n = live_contacts(impu)) != 1 && std::chrono::steady_clock::now() < deadline) {
  }
  EXPECT_EQ(n, 1u);
  // Another identity gets another IMPU.
  auto r3 = exchange(c1, reg("c3", 1, "<sip:x@df7jal23ls0d.invalid;transport=ws>", bearer("bob")));
  EXPECT_EQ(one(r3, "P-Associated-URI"), "<sip:+15550000001@wimpu.example>");
}

TEST_P(RegisterTest, UnsupportedRequireGets420) {
  auto& c = connect();
  auto r = exchange(c, reg("c1", 1, kContactA, bearer("alice") + "Require: foo, outbound\n"));
  EXPECT_EQ(r.status_code(), 420);
  EXPECT_EQ(one(r, "Unsupported"), "foo");
}

TEST_P(RegisterTest, StarMisuseGets400) {
  auto& c = connect();
  EXPECT_EQ(exchange(c, reg("c1", 1, "*", bearer("alice") + "Expires: 60\n")).status_code(), 400);
  EXPECT_EQ(exchange(c, reg("c1", 2, "*", bearer("alice"))).status_code(), 400);
}

TEST_P(RegisterTest, TooBriefGets423WithMinExpires) {
  auto& c = connect();
  auto r = exchange(c, reg("c1", 1, "<sip:a@df7jal23ls0d.invalid;transport=ws>;expires=10",
                           bearer("alice")));
  EXPECT_EQ(r.status_code(), 423);
  EXPECT_EQ(one(r, "Min-Expires"), "60");
}

TEST_P(RegisterTest, CSeqNotHigherGets500) {
  auto& c = connect();
  ASSERT_EQ(exchange(c, reg("c1", 5, kContactA, bearer("alice"))).status_code(), 200);
  EXPECT_EQ(exchange(c, reg("c1", 5, kContactA, bearer("alice"))).status_code(), 500);
  EXPECT_EQ(exchange(c, reg("c1", 4, kContactA, bearer("alice"))).status_code(), 500);
  EXPECT_EQ(exchange(c, reg("c1", 6, kContactA, bearer("alice"))).status_code(), 200);
}

TEST_P(RegisterTest, ExpiresZeroAndStarDeregister) {
  auto& c = connect();
  const std::string impu = "sip:+15550000000@wimpu.example";
  ASSERT_EQ(exchange(c, reg("c1", 1, kContactA, bearer("alice"))).status_code(), 200);
  // The expires param wins over the Expires header (§10.3 step 7): drop it to de-register.
  auto r = exchange(c, reg("c1", 2,
                           "<sip:a@df7jal23ls0d.invalid;transport=ws>;+sip.instance="
                           "\"<urn:uuid:aaaa>\";reg-id=1",
                           bearer("alice") + "Expires: 0\n"));
  EXPECT_EQ(r.status_code(), 200);
  EXPECT_TRUE(all(r, "Contact").empty());
  EXPECT_EQ(live_contacts(impu), 0u);
  ASSERT_EQ(exchange(c, reg("c1", 3, kContactA, bearer("alice"))).status_code(), 200);
  ASSERT_EQ(exchange(c, reg("c9", 1, kContactB, bearer("alice"))).status_code(), 200);
  EXPECT_EQ(live_contacts(impu), 2u);
  // Contact: * with a Call-ID/CSeq not newer than a stored one is refused (§10.3 step 6).
  EXPECT_EQ(exchange(c, reg("c1", 3, "*", bearer("alice") + "Expires: 0\n")).status_code(), 500);
  auto s = exchange(c, reg("c1", 4, "*", bearer("alice") + "Expires: 0\n"));
  EXPECT_EQ(s.status_code(), 200);
  EXPECT_EQ(live_contacts(impu), 0u);
}

TEST_P(RegisterTest, PoolExhaustedGets503WithRetryAfter) {
  auto& c = connect();
  ASSERT_EQ(exchange(c, reg("c1", 1, kContactA, bearer("alice"))).status_code(), 200);
  ASSERT_EQ(exchange(c, reg("c2", 1, kContactB, bearer("bob"))).status_code(), 200);
  auto r = exchange(c, reg("c3", 1, "<sip:c@y.invalid;transport=ws>", bearer("carol")));
  EXPECT_EQ(r.status_code(), 503);
  EXPECT_EQ(one(r, "Retry-After"), "30");
}

TEST_P(RegisterTest, UnregisteredOriginatingRequestGets403) {
  auto& c = connect();
  auto r = exchange(c, crlf("MESSAGE sip:bob@wimpu.example SIP/2.0\n"
                            "Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKm1\n"
                            "Max-Forwards: 70\nTo: <sip:bob@wimpu.example>\n"
                            "From: <sip:wic@wwsf.example>;tag=1\nCall-ID: m1\nCSeq: 1 MESSAGE\n"
                            "Content-Length: 0\n\n"));
  EXPECT_EQ(r.status_code(), 403);
}

// Issue 7 "SIGHUP reloads": issuers added and removed on the running server, checked over real
// WebSockets. A removed issuer's token (even one verified before, hence in the old cache) gets
// the refusal an unknown issuer gets.
TEST_P(RegisterTest, ReloadAddsAndRemovesTrustedIssuers) {
  constexpr const char* kNewIssuer = "https://wwsf2.example";
  auto key2 = token::SigningKey::generate(token::Algorithm::kEdDSA, "n1");
  ASSERT_TRUE(key2);
  token::IssuerOptions io;
  io.issuer = kNewIssuer;
  io.audience = "ims.example";
  token::TokenIssuer fresh(io, *key2, clock_);
  const std::string jwks_path = ::testing::TempDir() + "/ep-reload-" +
                                std::to_string(static_cast<int>(GetParam())) + ".jwks";
  std::ofstream(jwks_path) << token::jwks_document({(*key2)->public_key()});
  auto fresh_bearer = [&](std::string_view sub) {
    auto t = fresh.issue(sub, "blk1");
    EXPECT_TRUE(t);
    return "Authorization: Bearer " + (t ? *t : std::string()) + "\n";
  };
  const std::string refused =
      "Bearer realm=\"ims.example\", authz_server=\"https://wwsf.example/api/token\", "
      "error=\"invalid_token\"";
  common::Counter& unknown_issuer = token::failure_counter(token::TokenError::kUnknownIssuer);

  auto& c = connect();
  ASSERT_EQ(exchange(c, reg("a1", 1, kContactA, bearer("alice"))).status_code(), 200);
  std::uint64_t before = unknown_issuer.value();
  auto r = exchange(c, reg("c1", 1, kContactB, fresh_bearer("carol")));
  EXPECT_EQ(r.status_code(), 401);
  EXPECT_EQ(one(r, "WWW-Authenticate"), refused);
  EXPECT_EQ(unknown_issuer.value(), before + 1);

  // A bad reload (unreadable JWKS) is refused as a whole, naming the key; nothing changes.
  EpCscfConfig next = server_->config();
  next.domains[0].issuers.push_back(
      TrustedIssuer{kNewIssuer, token::Algorithm::kEdDSA, jwks_path + ".missing", ""});
  next.allowed_origins = {"https://other.example"};
  auto bad = server_->reload(next);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "ep_cscf.domains[0].issuers[1].jwks_file: cannot read " + jwks_path +
                             ".missing");
  EXPECT_EQ(server_->config().domains[0].issuers.size(), 1u);
  unsigned status = 0;
  connect(&status, kOrigin);
  EXPECT_EQ(status, 101u);  // the origins of the refused reload are not in force either

  // Added: the new issuer's token is accepted at once.
  next.domains[0].issuers.back().jwks_file = jwks_path;
  next.allowed_origins = server_->config().allowed_origins;
  auto lines = server_->reload(next);
  ASSERT_TRUE(lines) << lines.error();
  EXPECT_EQ(lines->front(), "ep_cscf: domain wimpu.example: trusted issuer " +
                                std::string(kNewIssuer) + " added");
  r = exchange(c, reg("c1", 2, kContactB, fresh_bearer("carol")));
  EXPECT_EQ(r.status_code(), 200);
  EXPECT_EQ(exchange(c, reg("a1", 2, kContactA, bearer("alice"))).status_code(), 200);

  // Removed: alice's issuer, whose token the old verifier had cached, gets the unknown-issuer
  // refusal; the remaining issuer still works.
  next.domains[0].issuers.erase(next.domains[0].issuers.begin());
  lines = server_->reload(next);
  ASSERT_TRUE(lines) << lines.error();
  EXPECT_EQ(lines->front(), "ep_cscf: domain wimpu.example: trusted issuer " +
                                std::string(kIssuer) + " removed");
  before = unknown_issuer.value();
  r = exchange(c, reg("a1", 3, kContactA, bearer("alice")));
  EXPECT_EQ(r.status_code(), 401);
  EXPECT_EQ(one(r, "WWW-Authenticate"), refused);
  EXPECT_EQ(unknown_issuer.value(), before + 1);
  EXPECT_EQ(exchange(c, reg("c1", 3, kContactB, fresh_bearer("carol"))).status_code(), 200);
}

// Reloads while a WIC keeps registering on another thread: every REGISTER of the issuer that
// stays trusted is answered 200, whichever configuration it meets (in-flight requests are not
// disturbed; each shard swaps its verifier between two requests).
TEST_P(RegisterTest, ReloadsDoNotDisturbRegistersInFlight) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 4; ++i) {
    tokens.push_back(token("alice"));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> other{0};
  std::thread wic([&] {
    asio::io_context io;
    websocket::stream<tcp::socket> ws(io);
    ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), ws_port_));
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(http::field::sec_websocket_protocol, "sip");
      req.set(http::field::origin, kOrigin);
    }));
    // A lost answer fails the read after kWait instead of hanging the test.
    const timeval bound{std::chrono::duration_cast<std::chrono::seconds>(kWait).count(), 0};
    ::setsockopt(ws.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
    beast::error_code ec;
    ws.handshake("127.0.0.1", "/", ec);
    for (int cseq = 1; !ec && (cseq <= 50 || !stop.load()) && cseq < 5000; ++cseq) {
      const std::string auth = "Authorization: Bearer " + tokens[cseq % tokens.size()] + "\n";
      ws.text(true);
      ws.write(asio::buffer(reg("inflight", cseq, kContactA, auth)), ec);
      beast::flat_buffer buf;
      if (!ec) {
        ws.read(buf, ec);  // blocking, bounded by SO_RCVTIMEO
      }
      auto m = sip::Message::parse(beast::buffers_to_string(buf.data()));
      (m && m->status_code() == 200 ? ok : other).fetch_add(1);
    }
  });
  EpCscfConfig with = server_->config();
  with.domains[0].issuers.push_back(TrustedIssuer{
      "https://extra.example", token::Algorithm::kEdDSA, "",
      server_->config().domains[0].issuers[0].jwks});
  with.allowed_origins = {kOrigin, "https://extra.example"};
  const EpCscfConfig without = server_->config();
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(server_->reload(i % 2 == 0 ? with : without));
  }
  stop = true;
  wic.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GE(ok.load(), 50);
}

// Allowed Origins reloaded: new handshakes see the new list; an open WebSocket is not disturbed.
TEST_P(RegisterTest, ReloadChangesAllowedOriginsForNewHandshakesOnly) {
  auto& open = connect();
  EpCscfConfig next = server_->config();
  next.allowed_origins = {"https://new.example"};
  auto lines = server_->reload(next);
  ASSERT_TRUE(lines) << lines.error();
  unsigned status = 0;
  connect(&status, kOrigin);
  EXPECT_EQ(status, 403u);
  connect(&status, "https://new.example");
  EXPECT_EQ(status, 101u);
  EXPECT_EQ(exchange(open, reg("o1", 1, kContactA, bearer("alice"))).status_code(), 200);
  // An empty list lets every Origin in (RFC 7118 §7 check off).
  next.allowed_origins.clear();
  ASSERT_TRUE(server_->reload(next));
  connect(&status, "https://anything.example");
  EXPECT_EQ(status, 101u);
}

INSTANTIATE_TEST_SUITE_P(Backends, RegisterTest,
                         ::testing::Values(RegistrarBackend::kMemory, RegistrarBackend::kRedis),
                         [](const auto& p) {
                           return p.param == RegistrarBackend::kMemory ? "memory" : "redis";
                         });

}  // namespace
}  // namespace wimpu::ep_cscf
