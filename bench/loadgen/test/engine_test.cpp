// The load engine against the in-test WebSocket SIP responder on 127.0.0.1 (real sockets).
#include "wimpu/loadgen/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "sip_responder.hpp"
#include "wimpu/loadgen/report.hpp"
#include "wimpu/sip/header_values.hpp"

namespace wimpu::loadgen {
namespace {

using namespace std::chrono_literals;
using test::ResponderCounts;
using test::ResponderOptions;
using test::SipResponder;

EngineOptions options_for(const SipResponder& r, Mode mode) {
  EngineOptions o;
  o.mode = mode;
  o.ws.url = *parse_ws_url(r.url());
  o.ws.origin = "https://wwsf.test";
  o.domain = "ims.test";
  o.report_interval = 0ms;
  o.seed = 1;
  o.transaction_timeout = 5s;
  // A safety net only: each test ends on its own condition long before this.
  o.duration = 20s;
  return o;
}

TokenMinterFactory static_token(std::string token) {
  return [token]() -> Expected<TokenMinterPtr, Error> {
    return TokenMinterPtr(std::make_unique<StaticTokenMinter>(token));
  };
}

// A minter that makes a distinct token per call ("<subject>.<n>", token68-safe), standing in for
// TokenIssuer.
class CountingMinter final : public TokenMinter {
public:
  Expected<std::string, Error> mint(std::string_view subject) override {
    return {boost::system::in_place_value, std::string(subject) + "." + std::to_string(++n_)};
  }

private:
  int n_ = 0;
};

TEST(Engine, ClosedLoopRegisterCountsEveryAnswer) {
  SipResponder r(ResponderOptions{});
  EngineOptions o = options_for(r, Mode::kRegister);
  o.threads = 2;
  o.connections = 4;
  o.ua_per_connection = 3;
  o.count = 300;
  o.token.minter = static_token("tok-1");
  Engine engine(o);
  const RunReport rep = engine.run();
  const Stats& s = rep.stats;

  EXPECT_EQ(rep.stop_reason, "count");
  EXPECT_EQ(s.transactions_done, 300u);
  EXPECT_EQ(s.transactions_ok, 300u);
  EXPECT_EQ(s.requests_sent, 300u);
  EXPECT_EQ(s.responses_by_status[200], 300u);
  EXPECT_EQ(s.total_responses(), 300u);
  EXPECT_EQ(s.total_errors(), 0u) << format_text(rep);
  EXPECT_EQ(s.latency.count(), 300u);
  EXPECT_GT(s.latency.max(), 0u);
  EXPECT_LE(s.latency.value_at_quantile(0.5), s.latency.max());
  EXPECT_EQ(s.connections_opened, 4u);
  EXPECT_EQ(s.connect_latency.count(), 4u);
  EXPECT_EQ(rep.gauges.established, 4u);
  EXPECT_EQ(rep.gauges.registered, 12u);  // every UA got its 200
  EXPECT_GT(rep.cpu.total_seconds(), 0.0);

  const ResponderCounts c = r.counts();
  EXPECT_EQ(c.registers, 300u);
  EXPECT_EQ(c.text_frames, 300u);  // RFC 7118 §4.2: SIP in text frames by default
  EXPECT_EQ(c.binary_frames, 0u);
  EXPECT_EQ(c.bearer_tokens.at("tok-1"), 300u);
  EXPECT_EQ(c.last_origin, "https://wwsf.test");
  EXPECT_EQ(c.last_subprotocol, "sip");
  EXPECT_EQ(c.connections, 4u);

  const std::string json = format_json(rep);
  EXPECT_NE(json.find("\"transactions\": 300"), std::string::npos);
  EXPECT_NE(json.find("\"p99.9_us\""), std::string::npos);
}

// Closed loop starts after the first connection round: no REGISTER reaches the server while
// another connection of the run is still being set up (bench/RESULTS.md Run 8: Kamailio let
// handshakes time out under the load of the links already open).
TEST(Engine, ClosedLoopStartsOnceEveryConnectionIsUp) {
  SipResponder r(ResponderOptions{});
  EngineOptions o = options_for(r, Mode::kRegister);
  o.threads = 1;
  o.connections = 16;
  o.connect_rate = 100;  // the connections come up over ~0.1 s: the first ones open well before
  o.ua_per_connection = 2;
  o.count = 200;
  o.token.minter = static_token("tok-1");
  Engine engine(o);
  const RunReport rep = engine.run();
  EXPECT_EQ(rep.stats.transactions_ok, 200u) << format_text(rep);
  const ResponderCounts c = r.counts();
  EXPECT_EQ(c.tcp_accepted, 16u);
  EXPECT_EQ(c.tcp_accepted_at_first_register, 16u);
}

TEST(Engine, FreshTokenPerRequestAndSubjects) {
  SipResponder r(ResponderOptions{});
  EngineOptions o = options_for(r, Mode::kRegister);
  o.connections = 2;
  o.count = 10;
  o.token.minter = []() -> Expected<TokenMinterPtr, Error> {
    return TokenMinterPtr(std::make_unique<CountingMinter>());
  };
  o.token.fresh_per_request = true;
  o.token.subject_per_request = true;
  o.token.subject_prefix = "web-";
  o.index_base = 100;
  Engine engine(o);
  const RunReport rep = engine.run();
  EXPECT_EQ(rep.stats.transactions_ok, 10u);
  EXPECT_EQ(rep.stats.tokens_minted, 10u);
  const ResponderCounts c = r.counts();
  EXPECT_EQ(c.bearer_tokens.size(), 10u);  // every REGISTER carried a token of its own
  // UA indices start at --index-base; per-request subjects carry the request number. The token
  // is "<subject>.<mint number>", and which UA mints first depends on which connection opens
  // first, so each UA's first subject is counted whatever its mint number.
  const auto first_requests = [&c](const std::string& ua) {
    const std::string prefix = "web-" + ua + "-1.";
    return std::count_if(c.bearer_tokens.begin(), c.bearer_tokens.end(),
                         [&prefix](const auto& t) { return t.first.rfind(prefix, 0) == 0; });
  };
  EXPECT_EQ(first_requests("100"), 1);
  EXPECT_EQ(first_requests("101"), 1);
}

TEST(Engine, TokenReusedPerUaInTheAccessTokenForm) {
  SipResponder r(ResponderOptions{});
  EngineOptions o = options_for(r, Mode::kRegister);
  o.connections = 2;
  o.count = 20;
  o.token.minter = []() -> Expected<TokenMinterPtr, Error> {
    return TokenMinterPtr(std::make_unique<CountingMinter>());
  };
  o.token.access_token_form = true;
  Engine engine(o);
  const RunReport rep = engine.run();
  EXPECT_EQ(rep.stats.transactions_ok, 20u);
  EXPECT_EQ(rep.stats.tokens_minted, 2u);  // one per UA, re-used (the cache-hit path)
  const ResponderCounts c = r.counts();
  EXPECT_EQ(c.bearer_tokens.size(), 2u);
  EXPECT_NE(c.last_register.find("Authorization: Bearer access_token=\""), std::string::npos);
}

TEST(Engine, DigestEphemeralAnswersEveryChallenge) {
  ResponderOptions ro;
  ro.digest = true;
  SipResponder r(ro);
  EngineOptions o = options_for(r, Mode::kRegister);
  o.connections = 2;
  o.count = 20;
  o.aor = "sip:user{n}@ims.test";
  o.digest.secret = "s3cret";
  Engine engine(o);
  const RunReport rep = engine.run();
  const Stats& s = rep.stats;
  EXPECT_EQ(s.transactions_done, 20u);
  EXPECT_EQ(s.transactions_ok, 20u);
  EXPECT_EQ(s.challenges_answered, 20u);
  EXPECT_EQ(s.responses_by_status[401], 20u);
  EXPECT_EQ(s.responses_by_status[200], 20u);
  EXPECT_EQ(s.requests_sent, 40u);
  EXPECT_EQ(s.latency.count(), 20u);  // one latency per registration, challenge included
  EXPECT_EQ(s.total_errors(), 0u) << format_text(rep);
  const ResponderCounts c = r.counts();
  EXPECT_EQ(c.challenges_sent, 20u);
  EXPECT_EQ(c.digest_ok, 20u);  // the responder's own computation agreed every time
  EXPECT_EQ(c.digest_bad, 0u);
  EXPECT_NE(c.last_register.find("username=\""), std::string::npos);
  EXPECT_NE(c.last_register.find(":user"), std::string::npos);  // "<expiry>:user<n>"
}

TEST(Engine, DigestNonceReuseSkipsLaterChallenges) {
  ResponderOptions ro;
  ro.digest = true;
  SipResponder r(ro);
  EngineOptions o = options_for(r, Mode::kRegister);
  o.connections = 2;
  o.count = 20;
  o.digest.secret = "s3cret";
  o.digest.user = "bob{n}";
  o.digest.reuse_nonce = true;
  Engine engine(o);
  const RunReport rep = engine.run();
  EXPECT_EQ(rep.stats.transactions_ok, 20u);
  EXPECT_EQ(rep.stats.challenges_answered, 2u);  // the first REGISTER of each UA only
  const ResponderCounts c = r.counts();
  EXPECT_EQ(c.challenges_sent, 2u);
  EXPECT_EQ(c.digest_ok, 20u);
  EXPECT_NE(c.last_register.find("nc=0000000"), std::string::npos);
}

TEST(Engine, WrongDigestSecretIsCountedNotRetriedForever) {
  ResponderOptions ro;
  ro.digest = true;
  SipResponder r(ro);
  EngineOptions o = options_for(r, Mode::kRegister);
  o.count = 3;
  o.digest.secret = "wrong";
  Engine engine(o);
  const RunReport rep = engine.run();
  EXPECT_EQ(rep.stats.transactions_done, 3u);
  EXPECT_EQ(rep.stats.transactions_ok, 0u);
  EXPECT_EQ(rep.stats.responses_by_status[403], 3u);
  EXPECT_EQ(r.counts().digest_bad, 3u);
}

TEST(Engine, FixedRateMeasuresFromIntendedSendTime) {
  SipResponder r(ResponderOptions{});
  EngineOptions o = options_for(r, Mode::kRegister);
  o.connections = 2;
  o.ua_per_connection = 2;
  o.rate = 400;
  o.count = 100;
  Engine engine(o);
  const RunReport rep = engine.run();
  const Stats& s = rep.stats;
  EXPECT_EQ(rep.target_rate, 400);
  EXPECT_EQ(s.transactions_ok, 100u);
  EXPECT_EQ(s.latency.count(), 100u);
  EXPECT_EQ(s.service_latency.count(), 100u);
  // From the intended time is never shorter than from the actual write.
  EXPECT_GE(s.latency.max(), s.service_latency.max());
  EXPECT_GE(s.latency.value_at_quantile(0.5), s.service_latency.value_at_quantile(0.5));
  EXPECT_EQ(s.total_errors(), 0u) << format_text(rep);
}

TEST(Engine, NewConnectionPerRegistration) {
  SipResponder r(ResponderOptions{});
  EngineOptions o = options_for(r, Mode::kRegister);
  o.connections = 2;
  o.count = 8;
  o.requests_per_connection = 1;
  Engine engine(o);
  const RunReport rep = engine.run();
  EXPECT_EQ(rep.stats.transactions_ok, 8u);
  EXPECT_GE(rep.stats.connections_opened, 8u);
  EXPECT_EQ(rep.stats.error(ErrorKind::kClosed), 0u);  // we closed them
  EXPECT_TRUE(r.wait_for([](const ResponderCounts& c) { return c.connections >= 8; }, 5s));
}

TEST(Engine, TimeoutsAreCountedAsErrors) {
  ResponderOptions ro;
  ro.silent = true;
  SipResponder r(ro);
  EngineOptions o = options_for(r, Mode::kRegister);
  o.count = 2;
  o.ua_per_connection = 2;
  o.transaction_timeout = 100ms;
  Engine engine(o);
  const RunReport rep = engine.run();
  EXPECT_EQ(rep.stop_reason, "count");
  EXPECT_EQ(rep.stats.error(ErrorKind::kTimeout), 2u);
  EXPECT_EQ(rep.stats.transactions_done, 0u);
}

TEST(Engine, ConnectFailuresAreCounted) {
  // A port nothing listens on: bind one, note it, close it.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = a.local_endpoint().port();
  a.close();
  EngineOptions o;
  o.mode = Mode::kRegister;
  o.ws.url = *parse_ws_url("ws://127.0.0.1:" + std::to_string(port) + "/");
  o.connections = 3;
  o.reconnect = false;
  o.duration = 200ms;
  o.report_interval = 0ms;
  Engine engine(o);
  const RunReport rep = engine.run();
  EXPECT_EQ(rep.stats.error(ErrorKind::kConnect), 3u);
  EXPECT_EQ(rep.stats.connections_opened, 0u);
}

TEST(Engine, HandshakeRefusalIsAHandshakeError) {
  ResponderOptions ro;
  ro.required_origin = "https://good.test";
  SipResponder r(ro);
  EngineOptions o = options_for(r, Mode::kRegister);
  o.ws.origin = "https://evil.test";
  o.connections = 2;
  o.reconnect = false;
  o.duration = 300ms;
  Engine engine(o);
  const RunReport rep = engine.run();
  EXPECT_EQ(rep.stats.error(ErrorKind::kHandshake), 2u);
  EXPECT_EQ(r.counts().handshakes_refused, 2u);
}

TEST(Engine, IdleHoldsRegisteredConnectionsAndAnswersPings) {
  ResponderOptions ro;
  ro.ping_after_register = true;
  SipResponder r(ro);
  EngineOptions o = options_for(r, Mode::kIdle);
  o.threads = 2;
  o.connections = 6;
  o.connect_rate = 1000;
  Engine engine(o);
  // Stop once every connection registered and answered the server's ping (RFC 6455 §5.5.3).
  r.on_change([&](const ResponderCounts& c) {
    if (c.ok_sent >= 6 && c.pongs >= 6) {
      engine.request_stop();
    }
  });
  const RunReport rep = engine.run();
  r.on_change({});
  EXPECT_EQ(rep.stop_reason, "stopped");
  EXPECT_EQ(rep.gauges.established, 6u);
  EXPECT_EQ(rep.gauges.registered, 6u);
  EXPECT_EQ(rep.stats.transactions_ok, 6u);
  EXPECT_EQ(rep.stats.total_errors(), 0u) << format_text(rep);
  EXPECT_EQ(r.counts().pongs, 6u);
}

// Ends `engine`'s run once the responder's side is done (`responder_done`, set from its
// on_change) and the engine itself has counted `ok` successful transactions. The responder having
// sent its last 200 does not mean the engine has read it: stopping right then lost that 200 now
// and then under load (Engine.IdleRetriesAFailedRegistration saw transactions_ok 0).
class StopWhenDone {
public:
  StopWhenDone(Engine& engine, std::uint64_t ok)
      : thread_([&engine, ok, this](const std::stop_token& stop) {
          while (!stop.stop_requested()) {
            if (responder_done.load() && engine.gauges().transactions_ok >= ok) {
              engine.request_stop();
              return;
            }
            std::this_thread::sleep_for(5ms);
          }
        }) {}

  std::atomic<bool> responder_done{false};

private:
  std::jthread thread_;  // last: starts after responder_done exists
};

TEST(Engine, IdleReregistersBeforeTheGrantedExpiry) {
  ResponderOptions ro;
  ro.grant_expires = 2;  // re-register after 1 s (half of it)
  SipResponder r(ro);
  EngineOptions o = options_for(r, Mode::kIdle);
  o.connections = 3;
  o.reregister = true;
  o.expires = 3600;  // asked for; the 2 s granted in the 200 must win
  Engine engine(o);
  StopWhenDone stopper(engine, 6);
  r.on_change([&](const ResponderCounts& c) {
    if (c.ok_sent >= 6) {
      stopper.responder_done = true;
    }
  });
  const RunReport rep = engine.run();
  r.on_change({});
  EXPECT_GE(rep.stats.transactions_ok, 6u);
  EXPECT_EQ(rep.gauges.registered, 3u);
  EXPECT_EQ(rep.stats.total_errors(), 0u) << format_text(rep);
  // Same flow, same Call-ID, CSeq 2 (RFC 3261 §10.2.4 refresh).
  auto last = sip::Message::parse(r.counts().last_register, sip::ParseOptions::websocket());
  ASSERT_TRUE(last);
  EXPECT_EQ(last->cseq().number, 2u);
  EXPECT_EQ(r.counts().connections, 3u);
}

TEST(Engine, IdleRetriesAFailedRegistration) {
  ResponderOptions ro;
  ro.reject_first = 2;
  SipResponder r(ro);
  EngineOptions o = options_for(r, Mode::kIdle);
  o.connections = 2;
  o.reconnect_delay = 50ms;
  Engine engine(o);
  StopWhenDone stopper(engine, 2);
  r.on_change([&](const ResponderCounts& c) {
    if (c.ok_sent >= 2) {
      stopper.responder_done = true;
    }
  });
  const RunReport rep = engine.run();
  r.on_change({});
  EXPECT_EQ(rep.stats.error(ErrorKind::kRegisterFailed), 2u);
  EXPECT_EQ(rep.stats.responses_by_status[403], 2u);
  EXPECT_EQ(rep.stats.transactions_ok, 2u);
  EXPECT_EQ(rep.gauges.registered, 2u);
  EXPECT_EQ(r.counts().connections, 2u);  // retried on the same flows
}

TEST(Engine, AnswerModeAnswersAnInviteThenBye) {
  ResponderOptions ro;
  ro.place_call = true;
  SipResponder r(ro);
  EngineOptions o = options_for(r, Mode::kAnswer);
  Engine engine(o);
  r.on_change([&](const ResponderCounts& c) {
    if (c.calls_done >= 1) {
      engine.request_stop();
    }
  });
  const RunReport rep = engine.run();
  r.on_change({});
  const ResponderCounts c = r.counts();
  EXPECT_EQ(c.got_180, 1u);
  EXPECT_EQ(c.got_200_invite_with_sdp, 1u);
  EXPECT_EQ(c.got_200_bye, 1u);
  const Stats& s = rep.stats;
  EXPECT_EQ(s.invites_received, 1u);
  EXPECT_EQ(s.calls_answered, 1u);
  EXPECT_EQ(s.byes_received, 1u);
  EXPECT_EQ(s.total_errors(), 0u) << format_text(rep);
  // The 200 copies the Record-Route and gives the WIC's ws Contact (RFC 3261 §12.1.1).
  auto ok = sip::Message::parse(c.last_invite_response, sip::ParseOptions::websocket());
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->record_routes().size(), 1u);
  ASSERT_EQ(ok->contacts().size(), 1u);
  EXPECT_EQ(ok->contacts()[0].uri.params.value("transport"), "ws");
  EXPECT_FALSE(ok->to_tag().empty());
  // The ACK went down the flow before the BYE, so it was handled before the 200 to the BYE.
  EXPECT_EQ(s.acks_received, 1u);
}

TEST(Engine, AnswerModeCancelGets200And487) {
  ResponderOptions ro;
  ro.place_call = true;
  ro.cancel_call = true;
  SipResponder r(ro);
  EngineOptions o = options_for(r, Mode::kAnswer);
  o.ring_time = 60s;  // rings until the CANCEL
  Engine engine(o);
  r.on_change([&](const ResponderCounts& c) {
    if (c.calls_done >= 1) {
      engine.request_stop();
    }
  });
  const RunReport rep = engine.run();
  r.on_change({});
  const ResponderCounts c = r.counts();
  EXPECT_EQ(c.got_180, 1u);
  EXPECT_EQ(c.got_200_cancel, 1u);
  EXPECT_EQ(c.got_487, 1u);
  EXPECT_EQ(c.got_200_invite_with_sdp, 0u);
  EXPECT_EQ(rep.stats.cancels_received, 1u);
  EXPECT_EQ(rep.stats.calls_cancelled, 1u);
  EXPECT_EQ(rep.stats.calls_answered, 0u);
}

TEST(Engine, WssWithVerifiedCertificate) {
  ResponderOptions ro;
  ro.tls = true;
  SipResponder r(ro);
  const std::string ca = ::testing::TempDir() + "loadgen_test_ca.pem";
  {
    std::FILE* f = std::fopen(ca.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(r.cert_pem().c_str(), f);
    std::fclose(f);
  }
  auto tls = make_client_tls_context(ca, false);
  ASSERT_TRUE(tls) << tls.error().message;
  EngineOptions o = options_for(r, Mode::kRegister);
  o.ws.tls = *tls;
  o.connections = 2;
  o.count = 20;
  Engine engine(o);
  const RunReport rep = engine.run();
  EXPECT_EQ(rep.stats.transactions_ok, 20u);
  EXPECT_EQ(rep.stats.total_errors(), 0u) << format_text(rep);
  std::remove(ca.c_str());
}

TEST(Engine, WssUntrustedCertificateIsATlsError) {
  ResponderOptions ro;
  ro.tls = true;
  SipResponder r(ro);
  auto tls = make_client_tls_context("", false);  // system store: does not know our cert
  ASSERT_TRUE(tls);
  EngineOptions o = options_for(r, Mode::kRegister);
  o.ws.tls = *tls;
  o.reconnect = false;
  o.duration = 300ms;
  Engine engine(o);
  const RunReport rep = engine.run();
  EXPECT_EQ(rep.stats.error(ErrorKind::kTls), 1u);
}

}  // namespace
}  // namespace wimpu::loadgen
