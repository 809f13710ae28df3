#pragma once
// The eP-CSCF call tests' fixture (call_test.cpp, flow_fallback_test.cpp): a real Server on
// loopback with WS, WSS and UDP listeners, WICs on WS and WSS (libs/transport's blocking test
// clients) registered through a token issuer, and a fake S-CSCF on UDP. Parameterised by the W4
// backend (memory, or redis on a redis-server of the test's own).
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "redis_server.hpp"
#include "sip_text.hpp"
#include "test_domain.hpp"
#include "test_support.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/ep_cscf/server.hpp"
#include "wimpu/sip/builder.hpp"
#include "wimpu/sip/header_values.hpp"
#include "wimpu/sip/message.hpp"
#include "wimpu/token/issuer.hpp"
#include "wimpu/token/key_set.hpp"

namespace wimpu::ep_cscf::calls {

using namespace std::chrono_literals;
using transport::test::TestCert;
using transport::test::UdpClient;
using transport::test::WsClient;

inline constexpr const char* kIssuer = "https://wwsf.example";
inline constexpr const char* kOrigin = "https://wwsf.example";
inline constexpr const char* kImpu = "sip:+15550000000@wimpu.example";

using test::all;
using test::crlf;
using test::one;

inline sip::Message parse(const std::optional<std::string>& bytes) {
  EXPECT_TRUE(bytes) << "nothing received";
  if (!bytes) {
    return sip::Message();
  }
  auto m = sip::Message::parse(*bytes);
  EXPECT_TRUE(m) << *bytes;
  return m ? std::move(*m) : sip::Message();
}

/// A response to `req` as a UAS would send it (Via, From, To, Call-ID, CSeq copied).
inline std::string answer(const sip::Message& req, int status, std::string_view to_tag,
                          std::string_view extra_name = {}, std::string_view extra_value = {}) {
  sip::ResponseBuilder b(req, status);
  b.to_tag(to_tag);
  if (!extra_name.empty()) {
    b.header(extra_name, extra_value);
  }
  return b.build();
}

/// A WIC: a WebSocket (WS or WSS) and its SIP identity.
struct Wic {
  std::unique_ptr<WsClient> ws;
  std::string contact_user;
  std::string instance;
};

class CallTest : public ::testing::TestWithParam<RegistrarBackend> {
protected:
  void SetUp() override {
    auto key = token::SigningKey::generate(token::Algorithm::kEdDSA, "k1");
    ASSERT_TRUE(key);
    clock_ = std::make_shared<common::SystemClock>();
    token::IssuerOptions io;
    io.issuer = kIssuer;
    io.audience = "ims.example";
    issuer_ = std::make_unique<token::TokenIssuer>(io, *key, clock_);

    EpCscfConfig c;
    c.realm = "ims.example";
    c.allowed_origins = {kOrigin};
    c.strip_bundle = true;
    transport::ListenerConfig l;
    l.protocol = transport::Protocol::kWs;
    c.transport.listeners.push_back(l);
    l.protocol = transport::Protocol::kWss;
    l.tls.cert_file = cert_.cert_file();
    l.tls.key_file = cert_.key_file();
    c.transport.listeners.push_back(l);
    l = transport::ListenerConfig{};
    l.protocol = transport::Protocol::kUdp;
    c.transport.listeners.push_back(l);
    WimpuDomain d = test::two_impu_domain(kIssuer, **key);
    scscf_route_ = "<sip:orig@127.0.0.1:" + std::to_string(scscf_.local_endpoint().port) + ";lr>";
    d.service_route = {scscf_route_};
    configure(c, d);
    c.domains.push_back(d);
    if (GetParam() == RegistrarBackend::kRedis) {
      redis_.emplace();
      c.backend = RegistrarBackend::kRedis;
      c.redis.port = redis_->port();
    }
    server_.emplace(std::move(c), clock_);
    server_->start();
    for (const auto& li : server_->listeners()) {
      if (li.protocol == transport::Protocol::kWs) {
        ws_ = li.local;
      } else if (li.protocol == transport::Protocol::kWss) {
        wss_ = li.local;
      } else if (li.protocol == transport::Protocol::kUdp) {
        udp_ = li.local;
      }
    }
  }

  /// Lets a derived fixture change the configuration before the server starts.
  virtual void configure(EpCscfConfig& c, WimpuDomain& d) {
    (void)c;
    (void)d;
  }

  void TearDown() override {
    wics_.clear();
    server_.reset();
    redis_.reset();
  }

  /// Opens a WIC flow and registers it for web identity `sub` (placeholder AOR, outbound).
  /// `cseq` above 1: the same WIC registering again (its Call-ID, a higher CSeq, RFC 3261
  /// §10.2.4), e.g. after a reconnect.
  Wic& register_wic(bool secure, std::string_view sub, std::string_view user,
                    std::string_view instance, int expect = 200, int cseq = 1) {
    Wic w;
    w.ws = std::make_unique<WsClient>(secure, cert_.cert_file());
    auto hs = w.ws->connect(secure ? wss_ : ws_, "/", "sip", kOrigin);
    EXPECT_TRUE(hs.upgraded) << hs.status;
    w.contact_user = std::string(user);
    w.instance = std::string(instance);
    auto t = issuer_->issue(sub, "blk1");
    EXPECT_TRUE(t);
    const std::string reg = crlf(
        "REGISTER sip:wimpu.example SIP/2.0\n"
        "Via: SIP/2.0/WSS " + w.contact_user + ".invalid;branch=z9hG4bKr" + w.contact_user +
        (cseq > 1 ? std::to_string(cseq) : "") +
        "\nMax-Forwards: 70\nTo: <sip:wic@wwsf.example>\n"
        "From: <sip:wic@wwsf.example>;tag=r" + w.contact_user + "\nCall-ID: reg-" +
        w.contact_user + "\nCSeq: " + std::to_string(cseq) + " REGISTER\n"
        "Contact: <sip:" + w.contact_user + "@" + w.contact_user +
        ".invalid;transport=ws>;+sip.instance=\"<urn:uuid:" + w.instance + ">\";reg-id=1\n"
        "Supported: outbound, path\nAuthorization: Bearer " + *t + "\nContent-Length: 0\n\n");
    EXPECT_TRUE(w.ws->send(reg, false));
    auto r = parse(w.ws->read());
    EXPECT_EQ(r.status_code(), expect);
    if (expect == 200) {
      EXPECT_EQ(one(r, "P-Associated-URI"), std::string("<") + kImpu + ">");
    } else {
      last_response_ = std::move(r);
    }
    wics_.push_back(std::move(w));
    return wics_.back();
  }

  /// The next request the fake S-CSCF receives (skipping nothing: every datagram is checked).
  sip::Message scscf_receive() { return parse(scscf_.receive()); }
  void scscf_send(std::string_view bytes) { ASSERT_TRUE(scscf_.send(udp_, bytes)); }

  /// An INVITE from the core toward the eP-CSCF for `called` (P-Called-Party-ID, TS 24.229).
  std::string terminating_invite(std::string_view called, std::string_view call_id) {
    const std::string port = std::to_string(scscf_.local_endpoint().port);
    return crlf("INVITE sip:" + std::string(called).substr(4) + " SIP/2.0\n"
                "Via: SIP/2.0/UDP 127.0.0.1:" + port + ";branch=z9hG4bKt" + std::string(call_id) +
                ";rport\nMax-Forwards: 68\n"
                "Record-Route: <sip:term@127.0.0.1:" + port + ";lr>\n"
                "From: <sip:carol@ims.example>;tag=c1\nTo: <" + std::string(called) +
                ">\nCall-ID: " + std::string(call_id) + "\nCSeq: 1 INVITE\n"
                "Contact: <sip:carol@127.0.0.1:" + port + ">\n"
                "P-Asserted-Identity: <sip:carol@ims.example>\n"
                "P-Called-Party-ID: <" + std::string(called) + ">\n"
                "Content-Length: 0\n\n");
  }

  /// A BYE from the core inside a dialog whose route set is `route` (from Record-Route).
  std::string core_bye(std::string_view route, std::string_view ruri, std::string_view call_id) {
    const std::string port = std::to_string(scscf_.local_endpoint().port);
    return crlf("BYE " + std::string(ruri) + " SIP/2.0\n"
                "Via: SIP/2.0/UDP 127.0.0.1:" + port + ";branch=z9hG4bKbye" +
                std::string(call_id) + ";rport\nMax-Forwards: 68\nRoute: " + std::string(route) +
                "\nFrom: <sip:bob@ims.example>;tag=b1\nTo: <" + std::string(kImpu) +
                ">;tag=w1\nCall-ID: " + std::string(call_id) +
                "\nCSeq: 2 BYE\nContent-Length: 0\n\n");
  }

  /// An INVITE from `w` to bob, with a BUNDLE offer and identity headers the eP-CSCF must fix.
  std::string originating_invite(const Wic& w, std::string_view call_id, std::string_view extra) {
    const std::string sdp =
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n";
    return crlf("INVITE sip:bob@ims.example SIP/2.0\n"
                "Via: SIP/2.0/WSS " + w.contact_user + ".invalid;branch=z9hG4bKi" +
                std::string(call_id) + "\nMax-Forwards: 70\n"
                "Route: <sip:orig@127.0.0.1:" + std::to_string(ws_.port) +
                ";transport=ws;lr>\n"
                "To: <sip:bob@ims.example>\nFrom: <sip:wic@wwsf.example>;tag=w1\n"
                "Call-ID: " + std::string(call_id) + "\nCSeq: 1 INVITE\n"
                "Contact: <sip:" + w.contact_user + "@" + w.contact_user +
                ".invalid;transport=ws;ob>\n" + std::string(extra) +
                "Content-Type: application/sdp\nContent-Length: " +
                std::to_string(sdp.size()) + "\n\n") + sdp;
  }

  TestCert cert_;
  UdpClient scscf_;
  std::string scscf_route_;
  common::ClockPtr clock_;
  std::unique_ptr<token::TokenIssuer> issuer_;
  std::optional<registrar::testing::RedisServer> redis_;
  std::optional<Server> server_;
  std::deque<Wic> wics_;  // stable references
  sip::Message last_response_;
  transport::Endpoint ws_, wss_, udp_;
};

}  // namespace wimpu::ep_cscf::calls
