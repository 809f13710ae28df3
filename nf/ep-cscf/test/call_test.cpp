// Originating and terminating requests through the eP-CSCF on real loopback sockets: WICs on WS
// and WSS (libs/transport's blocking test clients), a fake S-CSCF on UDP written here. Each case
// checks the status codes and the exact headers. Runs on the memory and the redis W4 backends.
#include "call_fixture.hpp"

namespace wimpu::ep_cscf {
namespace {

using namespace calls;

TEST_P(CallTest, OriginatingInviteGetsAssertedImpuServiceRouteAndFlowRecordRoute) {
  Wic& w = register_wic(true, "alice", "a1", "aaaa");
  ASSERT_TRUE(w.ws->send(originating_invite(w, "o1",
                                            "P-Asserted-Identity: <sip:boss@ims.example>\n"
                                            "P-Preferred-Identity: <sip:boss@ims.example>\n"),
                         false));
  EXPECT_EQ(parse(w.ws->read()).status_code(), 100);
  sip::Message inv = scscf_receive();
  ASSERT_EQ(inv.method(), sip::Method::kInvite);
  // TS 24.229 §5.2.6.3: what the WIC asserted never passes; the allocated IMPU is asserted.
  EXPECT_EQ(all(inv, "P-Asserted-Identity"),
            std::vector<std::string>{std::string("<") + kImpu + ">"});
  EXPECT_TRUE(all(inv, "P-Preferred-Identity").empty());
  // The block's Service-Route is the Route (TS 24.229 §5.2.6.3.2).
  ASSERT_EQ(inv.routes().size(), 1u);
  EXPECT_EQ(inv.routes()[0].text, scscf_route_);
  // RFC 5658 double Record-Route, both with the WIC's flow token (RFC 5626 §5.3).
  ASSERT_EQ(inv.record_routes().size(), 2u);
  const std::string_view token = inv.record_routes()[0].uri.user;
  EXPECT_EQ(token.size(), 39u);
  EXPECT_EQ(std::string(inv.record_routes()[0].text),
            "<sip:" + std::string(token) + "@127.0.0.1:" + std::to_string(udp_.port) +
                ";lr;r2=on>");
  EXPECT_EQ(std::string(inv.record_routes()[1].text),
            "<sip:" + std::string(token) + "@127.0.0.1:" + std::to_string(wss_.port) +
                ";transport=wss;lr;r2=on>");
  // TS 23.228 U.1.1: BUNDLE stripped, the rest of the SDP intact.
  EXPECT_EQ(inv.body().find("BUNDLE"), std::string_view::npos);
  EXPECT_NE(inv.body().find("a=mid:0"), std::string_view::npos);
  EXPECT_EQ(one(inv, "Content-Length"), std::to_string(inv.body().size()));

  // The answer goes back down the WebSocket; then the callee's BYE follows the Record-Route.
  scscf_send(answer(inv, 200, "b1", "Record-Route",
                    std::string(inv.record_routes()[0].text) + ", " +
                        std::string(inv.record_routes()[1].text)));
  sip::Message ok = parse(w.ws->read());
  EXPECT_EQ(ok.status_code(), 200);
  const std::string route = std::string(inv.record_routes()[0].text) + ", " +
                            std::string(inv.record_routes()[1].text);
  scscf_send(core_bye(route, "sip:a1@a1.invalid;transport=ws;ob", "o1"));
  sip::Message bye = parse(w.ws->read());
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_TRUE(bye.routes().empty());
  EXPECT_EQ(bye.request_uri().text, "sip:a1@a1.invalid;transport=ws;ob");
}

TEST_P(CallTest, OwnPreferredIdentityIsHonouredAndRemoved) {
  Wic& w = register_wic(false, "alice", "a1", "aaaa");
  ASSERT_TRUE(w.ws->send(
      originating_invite(w, "o2", std::string("P-Preferred-Identity: <") + kImpu + ">\n"), false));
  EXPECT_EQ(parse(w.ws->read()).status_code(), 100);
  sip::Message inv = scscf_receive();
  EXPECT_EQ(all(inv, "P-Asserted-Identity"),
            std::vector<std::string>{std::string("<") + kImpu + ">"});
  EXPECT_TRUE(all(inv, "P-Preferred-Identity").empty());
  scscf_send(answer(inv, 486, "b1"));
  EXPECT_EQ(parse(w.ws->read()).status_code(), 486);
}

TEST_P(CallTest, RequestOnAnUnregisteredFlowGets403) {
  Wic& w = register_wic(false, "alice", "a1", "aaaa");
  WsClient other(false);
  ASSERT_TRUE(other.connect(ws_, "/", "sip", kOrigin).upgraded);
  ASSERT_TRUE(other.send(originating_invite(w, "o3", ""), false));
  EXPECT_EQ(parse(other.read()).status_code(), 100);
  sip::Message r = parse(other.read());
  EXPECT_EQ(r.status_code(), 403);
  EXPECT_EQ(r.reason_phrase(), "Not Registered");
}

TEST_P(CallTest, TerminatingInviteForksToBothFlowsAndCancelsTheLoser) {
  Wic& a = register_wic(false, "alice", "a1", "aaaa");  // WS
  Wic& b = register_wic(true, "alice", "b1", "bbbb");   // WSS, same web user -> same IMPU
  scscf_send(terminating_invite(kImpu, "t1"));
  EXPECT_EQ(scscf_receive().status_code(), 100);
  sip::Message ia = parse(a.ws->read());
  sip::Message ib = parse(b.ws->read());
  ASSERT_EQ(ia.method(), sip::Method::kInvite);
  ASSERT_EQ(ib.method(), sip::Method::kInvite);
  // Each branch retargeted to its registered Contact (RFC 3261 §16.5), down its own flow.
  EXPECT_EQ(ia.request_uri().text, "sip:a1@a1.invalid;transport=ws");
  EXPECT_EQ(ib.request_uri().text, "sip:b1@b1.invalid;transport=ws");
  EXPECT_EQ(one(ia, "P-Called-Party-ID"), std::string("<") + kImpu + ">");
  // Our Record-Route names the IMPU (in-dialog requests find the flow again).
  ASSERT_GE(ia.record_routes().size(), 1u);
  EXPECT_TRUE(ia.record_routes()[0].uri.user.starts_with("t-"));
  // Both ring; A answers; B gets CANCEL with the RFC 3326 reason.
  ASSERT_TRUE(a.ws->send(answer(ia, 180, "ta"), false));
  ASSERT_TRUE(b.ws->send(answer(ib, 180, "tb"), false));
  EXPECT_EQ(scscf_receive().status_code(), 180);
  EXPECT_EQ(scscf_receive().status_code(), 180);
  ASSERT_TRUE(a.ws->send(answer(ia, 200, "ta"), false));
  EXPECT_EQ(scscf_receive().status_code(), 200);
  sip::Message cancel = parse(b.ws->read());
  EXPECT_EQ(cancel.method(), sip::Method::kCancel);
  EXPECT_EQ(one(cancel, "Reason"), "SIP;cause=200;text=\"Call completed elsewhere\"");
  ASSERT_TRUE(b.ws->send(answer(cancel, 200, "tb"), false));
  ASSERT_TRUE(b.ws->send(answer(ib, 487, "tb"), false));
  // In-dialog: the caller's BYE follows our Record-Route to A's flow. Its Request-URI is the
  // Contact of A's 200, which may carry ";ob" where the registered Contact did not (JsSIP does
  // this): the same URI by RFC 3261 §19.1.4.
  scscf_send(core_bye("<" + std::string(ia.record_routes()[0].uri.text) + ">",
                      "sip:a1@a1.invalid;transport=ws;ob", "t1"));
  sip::Message bye = parse(a.ws->read());
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(bye.request_uri().text, "sip:a1@a1.invalid;transport=ws;ob");
}

// RFC 5626 §5.3 with forking: each branch's Record-Route names the IMPU and that branch's own
// flow, so the caller's in-dialog requests go down the answering WIC's flow without a W4 lookup;
// the identity-only form still finds the WIC through W4; a forged flow part is refused.
TEST_P(CallTest, TerminatingDialogRoutesDownTheAnsweringBranchFlow) {
  Wic& a = register_wic(false, "alice", "a1", "aaaa");
  Wic& b = register_wic(true, "alice", "b1", "bbbb");
  scscf_send(terminating_invite(kImpu, "t5"));
  EXPECT_EQ(scscf_receive().status_code(), 100);
  sip::Message ia = parse(a.ws->read());
  sip::Message ib = parse(b.ws->read());
  ASSERT_FALSE(ia.record_routes().empty());
  ASSERT_FALSE(ib.record_routes().empty());
  const std::string ua(ia.record_routes()[0].uri.user);
  const std::string ub(ib.record_routes()[0].uri.user);
  EXPECT_NE(ua, ub);
  const std::string identity = ua.substr(0, ua.find('.'));
  EXPECT_TRUE(identity.starts_with("t-"));
  EXPECT_EQ(ub.substr(0, ub.find('.')), identity);
  EXPECT_TRUE(ua.substr(identity.size()).starts_with(".ws."));
  ASSERT_TRUE(b.ws->send(answer(ib, 180, "tb"), false));  // a CANCEL needs a provisional
  EXPECT_EQ(scscf_receive().status_code(), 180);
  ASSERT_TRUE(a.ws->send(answer(ia, 200, "ta"), false));
  EXPECT_EQ(scscf_receive().status_code(), 200);
  sip::Message cancel = parse(b.ws->read());
  EXPECT_EQ(cancel.method(), sip::Method::kCancel);
  ASSERT_TRUE(b.ws->send(answer(cancel, 200, "tb"), false));
  ASSERT_TRUE(b.ws->send(answer(ib, 487, "tb"), false));

  const std::string rr_uri(ia.record_routes()[0].uri.text);
  auto with_user = [&](const std::string& user) {
    std::string uri = rr_uri;
    uri.replace(uri.find(ua), ua.size(), user);
    return "<" + uri + ">";
  };
  common::Counter& by_flow = common::counter("ep_cscf.term.in_dialog_by_flow");
  const std::uint64_t before = by_flow.value();
  scscf_send(core_bye(with_user(ua), "sip:a1@a1.invalid;transport=ws;ob", "t5a"));
  EXPECT_EQ(parse(a.ws->read()).method(), sip::Method::kBye);
  EXPECT_EQ(by_flow.value(), before + 1);
  // The identity-only form (a dialog set up before per-branch values): through W4.
  scscf_send(core_bye(with_user(identity), "sip:a1@a1.invalid;transport=ws;ob", "t5b"));
  EXPECT_EQ(parse(a.ws->read()).method(), sip::Method::kBye);
  EXPECT_EQ(by_flow.value(), before + 1);
  // One character of the token's MAC changed: 403 (RFC 5626 §5.3.1), never a W4 fallback.
  std::string forged = ua;
  char& c = forged[forged.size() - 9];
  c = c == 'a' ? 'b' : 'a';
  scscf_send(core_bye(with_user(forged), "sip:a1@a1.invalid;transport=ws;ob", "t5c"));
  sip::Message r = scscf_receive();
  EXPECT_EQ(r.status_code(), 403);
  // A flow reference without its transport part is not one we wrote: 403 as well.
  scscf_send(core_bye(with_user(identity + ua.substr(ua.rfind('.'))),
                      "sip:a1@a1.invalid;transport=ws;ob", "t5d"));
  EXPECT_EQ(scscf_receive().status_code(), 403);
}

TEST_P(CallTest, TerminatingInviteWithoutContactGets480) {
  register_wic(false, "alice", "a1", "aaaa");
  scscf_send(terminating_invite("sip:+15550000001@wimpu.example", "t2"));
  EXPECT_EQ(scscf_receive().status_code(), 100);
  sip::Message r = scscf_receive();
  EXPECT_EQ(r.status_code(), 480);
  EXPECT_FALSE(one(r, "To").empty());
}

TEST_P(CallTest, InDialogRequestToAClosedFlowGets430) {
  Wic& w = register_wic(false, "alice", "a1", "aaaa");
  ASSERT_TRUE(w.ws->send(originating_invite(w, "o4", ""), false));
  EXPECT_EQ(parse(w.ws->read()).status_code(), 100);
  sip::Message inv = scscf_receive();
  ASSERT_EQ(inv.record_routes().size(), 2u);
  const std::string route = std::string(inv.record_routes()[0].text) + ", " +
                            std::string(inv.record_routes()[1].text);
  scscf_send(answer(inv, 200, "b1"));
  EXPECT_EQ(parse(w.ws->read()).status_code(), 200);
  w.ws->close();
  // The flow is gone: RFC 5626 §5.3.1, 430 Flow Failed. (The close is asynchronous: retry with
  // a new transaction until the eP-CSCF has seen it.)
  int status = 0;
  for (int i = 0; i < 50 && status != 430; ++i) {
    scscf_send(core_bye(route, "sip:a1@a1.invalid;transport=ws;ob", "o4-" + std::to_string(i)));
    sip::Message r = scscf_receive();
    status = r.status_code();
    if (status == 430) {
      EXPECT_EQ(r.reason_phrase(), "Flow Failed");
    }
  }
  EXPECT_EQ(status, 430);
}

TEST_P(CallTest, TamperedFlowTokenGets403) {
  register_wic(false, "alice", "a1", "aaaa");
  const std::string forged = "<sip:" + std::string(39, 'a') + "@127.0.0.1:" +
                             std::to_string(udp_.port) + ";lr>";
  scscf_send(core_bye(forged, "sip:a1@a1.invalid;transport=ws", "x1"));
  sip::Message r = scscf_receive();
  EXPECT_EQ(r.status_code(), 403);
  EXPECT_EQ(r.reason_phrase(), "Forbidden");
}

TEST_P(CallTest, WimpuRegisterOverUdpGets403) {
  const std::string port = std::to_string(scscf_.local_endpoint().port);
  scscf_send(crlf("REGISTER sip:wimpu.example SIP/2.0\n"
                  "Via: SIP/2.0/UDP 127.0.0.1:" + port + ";branch=z9hG4bKu1;rport\n"
                  "Max-Forwards: 70\nTo: <sip:x@wimpu.example>\n"
                  "From: <sip:x@wimpu.example>;tag=u\nCall-ID: u1\nCSeq: 1 REGISTER\n"
                  "Contact: <sip:x@127.0.0.1:" + port + ">\nContent-Length: 0\n\n"));
  sip::Message r = scscf_receive();
  EXPECT_EQ(r.status_code(), 403);
  EXPECT_EQ(r.reason_phrase(), "WebSocket Required");
}

/// Block registration (seed 5.2.2.5.1 option 1) toward the fake S-CSCF acting as I-CSCF.
class BlockTest : public CallTest {
protected:
  void configure(EpCscfConfig& c, WimpuDomain& d) override {
    // No UDP retransmission of the block REGISTER while a test step takes its time (Timer E).
    c.timers.t1 = 2s;
    c.timers.t2 = 4s;
    d.service_route.clear();  // learned from the block registration's 200 OK
    d.upstream_icscf = "sip:127.0.0.1:" + std::to_string(scscf_.local_endpoint().port) + ";lr";
    d.registration.trigger = BlockTrigger::kStartup;
    d.registration.impu = "sip:block1@wimpu.example";
    d.registration.expires = 600;
    d.registration.retry_min = 10ms;
    d.registration.retry_max = 40ms;
    d.registration.deregister_wait = 5s;
    learned_route_ =
        "<sip:orig-blk@127.0.0.1:" + std::to_string(scscf_.local_endpoint().port) + ";lr>";
  }

  std::string learned_route_;

  /// A 200 OK for the block REGISTER with the core's Service-Route and P-Associated-URI.
  std::string block_ok(const sip::Message& reg) {
    sip::ResponseBuilder b(reg, 200);
    b.to_tag("s1");
    const std::string contact = "<sip:127.0.0.1:" + std::to_string(udp_.port) + ">;expires=600";
    b.header("Contact", contact);  // the builder keeps views: the string must outlive build()
    b.header("Service-Route", learned_route_);
    b.header("P-Associated-URI", "<sip:block1@wimpu.example>");
    return b.build();
  }

  /// Registers a WIC once the eP-CSCF has applied the block's 200 OK: a REGISTER without a token
  /// gets 503 while the block is down and 401 once it is up (each probe is a real exchange).
  Wic& register_wic_when_up(std::string_view user, std::string_view instance) {
    for (int i = 0; i < 50; ++i) {
      WsClient probe(false);
      EXPECT_TRUE(probe.connect(ws_, "/", "sip", kOrigin).upgraded);
      const std::string reg = crlf(
          "REGISTER sip:wimpu.example SIP/2.0\nVia: SIP/2.0/WS p.invalid;branch=z9hG4bKq" +
          std::to_string(i) + "\nMax-Forwards: 70\nTo: <sip:wic@wwsf.example>\n"
          "From: <sip:wic@wwsf.example>;tag=p\nCall-ID: q" + std::to_string(i) +
          "\nCSeq: 1 REGISTER\nContent-Length: 0\n\n");
      EXPECT_TRUE(probe.send(reg, false));
      const int status = parse(probe.read()).status_code();
      if (status == 401) {
        return register_wic(false, "alice", user, instance);
      }
      EXPECT_EQ(status, 503);
    }
    ADD_FAILURE() << "block never came up";
    return register_wic(false, "alice", user, instance);
  }
};

TEST_P(BlockTest, StartupRegistersTheBlockWithPathAndTrustedNodeAuth) {
  sip::Message reg = scscf_receive();
  ASSERT_EQ(reg.method(), sip::Method::kRegister);
  EXPECT_EQ(reg.request_uri().text, "sip:wimpu.example");
  EXPECT_EQ(reg.to().uri.text, "sip:block1@wimpu.example");
  EXPECT_EQ(reg.from().uri.text, "sip:block1@wimpu.example");
  const std::string here = "127.0.0.1:" + std::to_string(udp_.port);
  auto path = sip::name_addr_values(reg, sip::HeaderId::kPath);
  ASSERT_TRUE(path);
  ASSERT_EQ(path->size(), 1u);
  const std::string token((*path)[0].uri.user);
  EXPECT_EQ(token.size(), 39u);  // a flow token (RFC 5626 §5.2)
  // G-10 / RFC 5626 §5.1: the first hop's Path carries the flow token and `ob`.
  EXPECT_EQ(one(reg, "Path"), "<sip:" + token + "@" + here + ";lr;ob>");
  EXPECT_EQ(one(reg, "Require"), "path");
  EXPECT_EQ(one(reg, "Supported"), "path");
  EXPECT_EQ(one(reg, "Authorization"),
            "Digest username=\"block1@wimpu.example\", realm=\"wimpu.example\", "
            "uri=\"sip:wimpu.example\", nonce=\"\", response=\"\", "
            "integrity-protected=\"auth-done\"");
  EXPECT_EQ(one(reg, "Contact"), "<sip:" + here + ">");
  EXPECT_EQ(one(reg, "Expires"), "600");
  EXPECT_EQ(one(reg, "CSeq"), "1 REGISTER");

  // Down until the 200 OK: a WIC REGISTER gets 503 + Retry-After, the block registration's
  // first back-off step (10 ms here, rounded up to 1 s), not the pool-exhausted 60 s.
  register_wic(false, "alice", "a1", "aaaa", 503);
  EXPECT_EQ(one(last_response_, "Retry-After"), "1");

  scscf_send(block_ok(reg));
  Wic& w = register_wic_when_up("a2", "a2a2");
  // G-12: originating requests now carry the learned Service-Route.
  ASSERT_TRUE(w.ws->send(originating_invite(w, "b1", ""), false));
  EXPECT_EQ(parse(w.ws->read()).status_code(), 100);
  sip::Message inv = scscf_receive();
  ASSERT_EQ(inv.method(), sip::Method::kInvite);
  ASSERT_EQ(inv.routes().size(), 1u);
  EXPECT_EQ(inv.routes()[0].text, learned_route_);
  scscf_send(answer(inv, 603, "x"));
  EXPECT_EQ(parse(w.ws->read()).status_code(), 603);
  EXPECT_EQ(scscf_receive().method(), sip::Method::kAck);  // §17.1.1.3, hop by hop

  // A terminating request comes back with the Path as Route (RFC 3327 §5.3).
  std::string term = terminating_invite(kImpu, "bt1");
  term.insert(term.find("Max-Forwards"), "Route: <sip:" + token + "@" + here + ";lr>\r\n");
  scscf_send(term);
  EXPECT_EQ(scscf_receive().status_code(), 100);
  sip::Message ti = parse(w.ws->read());
  EXPECT_EQ(ti.method(), sip::Method::kInvite);
  ASSERT_TRUE(w.ws->send(answer(ti, 486, "w"), false));
  EXPECT_EQ(scscf_receive().status_code(), 486);

  // Orderly shutdown de-registers the block (Expires: 0, same Call-ID, next CSeq).
  auto stopped = std::async(std::launch::async, [this] { server_->stop(); });
  sip::Message dereg = scscf_receive();
  ASSERT_EQ(dereg.method(), sip::Method::kRegister);
  EXPECT_EQ(one(dereg, "Expires"), "0");
  EXPECT_EQ(dereg.call_id(), reg.call_id());
  EXPECT_EQ(one(dereg, "CSeq"), "2 REGISTER");
  scscf_send(answer(dereg, 200, "s1"));
  stopped.get();
}

TEST_P(BlockTest, RejectedBlockRegistrationIsRetriedWithBackoff) {
  sip::Message first = scscf_receive();
  ASSERT_EQ(first.method(), sip::Method::kRegister);
  scscf_send(answer(first, 403, "s1"));
  // Retried after retry_min with the next CSeq; the block stays down meanwhile.
  sip::Message second = scscf_receive();
  ASSERT_EQ(second.method(), sip::Method::kRegister);
  EXPECT_EQ(one(second, "CSeq"), "2 REGISTER");
  EXPECT_EQ(second.call_id(), first.call_id());
  register_wic(false, "alice", "a1", "aaaa", 503);
  EXPECT_EQ(one(last_response_, "Retry-After"), "1");  // the next attempt is due at once
  scscf_send(block_ok(second));
  register_wic_when_up("a2", "a2a2");
  auto stopped = std::async(std::launch::async, [this] { server_->stop(); });
  sip::Message dereg = scscf_receive();
  EXPECT_EQ(one(dereg, "Expires"), "0");
  scscf_send(answer(dereg, 200, "s1"));
  stopped.get();
}

TEST_P(BlockTest, BlockRegistrationIsRefreshedAtHalfTheGrantedExpiry) {
  sip::Message reg = scscf_receive();
  ASSERT_EQ(reg.method(), sip::Method::kRegister);
  // The core grants 2 s (below the 600 asked for): the refresh leaves after 1 s, in the same
  // registration (Call-ID, next CSeq, RFC 3261 §10.2.4) and with the same Path.
  sip::ResponseBuilder b(reg, 200);
  b.to_tag("s1");
  const std::string contact = "<sip:127.0.0.1:" + std::to_string(udp_.port) + ">;expires=2";
  b.header("Contact", contact);
  b.header("Service-Route", learned_route_);
  b.header("P-Associated-URI", "<sip:block1@wimpu.example>");
  scscf_send(b.build());
  register_wic_when_up("a1", "a1a1");
  sip::Message refresh = scscf_receive();
  ASSERT_EQ(refresh.method(), sip::Method::kRegister);
  EXPECT_EQ(refresh.call_id(), reg.call_id());
  EXPECT_EQ(one(refresh, "CSeq"), "2 REGISTER");
  EXPECT_EQ(one(refresh, "Expires"), "600");
  EXPECT_EQ(one(refresh, "Path"), one(reg, "Path"));
  EXPECT_EQ(one(refresh, "Authorization"), one(reg, "Authorization"));
  scscf_send(block_ok(refresh));
  register_wic_when_up("a2", "a2a2");  // the block stayed up through the refresh
  auto stopped = std::async(std::launch::async, [this] { server_->stop(); });
  sip::Message dereg = scscf_receive();
  EXPECT_EQ(one(dereg, "Expires"), "0");
  EXPECT_EQ(one(dereg, "CSeq"), "3 REGISTER");
  scscf_send(answer(dereg, 200, "s1"));
  stopped.get();
}

/// Seed 5.2.2.5.1 option 2: the first WIC registration triggers the block registration.
class FirstWicBlockTest : public BlockTest {
protected:
  void configure(EpCscfConfig& c, WimpuDomain& d) override {
    BlockTest::configure(c, d);
    d.registration.trigger = BlockTrigger::kFirstWic;
  }
};

TEST_P(FirstWicBlockTest, FirstWicRegistrationTriggersTheBlockRegistration) {
  register_wic(false, "alice", "a1", "aaaa");  // the block is not down: 200 at once
  sip::Message reg = scscf_receive();
  ASSERT_EQ(reg.method(), sip::Method::kRegister);
  EXPECT_EQ(reg.to().uri.text, "sip:block1@wimpu.example");
  EXPECT_EQ(one(reg, "Require"), "path");
  scscf_send(block_ok(reg));
  register_wic(false, "alice", "a2", "a2a2");  // a second WIC: no second block REGISTER
  auto stopped = std::async(std::launch::async, [this] { server_->stop(); });
  sip::Message dereg = scscf_receive();
  EXPECT_EQ(one(dereg, "Expires"), "0");
  EXPECT_EQ(one(dereg, "CSeq"), "2 REGISTER");
  scscf_send(answer(dereg, 200, "s1"));
  stopped.get();
}

INSTANTIATE_TEST_SUITE_P(Backends, FirstWicBlockTest,
                         ::testing::Values(RegistrarBackend::kMemory, RegistrarBackend::kRedis),
                         [](const auto& p) {
                           return p.param == RegistrarBackend::kMemory ? "memory" : "redis";
                         });

INSTANTIATE_TEST_SUITE_P(Backends, BlockTest,
                         ::testing::Values(RegistrarBackend::kMemory, RegistrarBackend::kRedis),
                         [](const auto& p) {
                           return p.param == RegistrarBackend::kMemory ? "memory" : "redis";
                         });

/// The standard P-CSCF role for a non-wIMPU domain (TS 24.229 §5.2), the S-CSCF doing digest.
class StandardTest : public CallTest {
protected:
  void configure(EpCscfConfig& c, WimpuDomain& d) override {
    (void)d;
    c.standard.upstream_icscf =
        "sip:127.0.0.1:" + std::to_string(scscf_.local_endpoint().port) + ";lr";
  }

  static std::string ue_register(int cseq, std::string_view auth) {
    return crlf("REGISTER sip:ims.example SIP/2.0\n"
                "Via: SIP/2.0/WSS d1.invalid;branch=z9hG4bKsr" + std::to_string(cseq) +
                "\nMax-Forwards: 70\nTo: <sip:dave@ims.example>\n"
                "From: <sip:dave@ims.example>;tag=d1\nCall-ID: sreg\nCSeq: " +
                std::to_string(cseq) + " REGISTER\n"
                "Contact: <sip:d1@d1.invalid;transport=ws>;expires=600\n" + std::string(auth) +
                "Supported: path, outbound\nContent-Length: 0\n\n");
  }
};

TEST_P(StandardTest, RegisterGoesUpWithPathAndCallsUseServiceRouteAndPath) {
  WsClient ue(false);
  ASSERT_TRUE(ue.connect(ws_, "/", "sip", kOrigin).upgraded);
  ASSERT_TRUE(ue.send(ue_register(1, ""), false));
  sip::Message r1 = scscf_receive();
  ASSERT_EQ(r1.method(), sip::Method::kRegister);
  auto path = sip::name_addr_values(r1, sip::HeaderId::kPath);
  ASSERT_TRUE(path);
  ASSERT_EQ(path->size(), 1u);
  const std::string token((*path)[0].uri.user);
  EXPECT_EQ(token.size(), 39u);
  EXPECT_EQ(one(r1, "Path"),
            "<sip:" + token + "@127.0.0.1:" + std::to_string(ws_.port) + ";transport=ws;lr>");
  EXPECT_EQ(one(r1, "Require"), "path");
  // The S-CSCF challenges (digest); the challenge goes back unchanged.
  const std::string challenge = "Digest realm=\"ims.example\", nonce=\"n1\", algorithm=MD5";
  scscf_send(answer(r1, 401, "s1", "WWW-Authenticate", challenge));
  sip::Message c = parse(ue.read());
  EXPECT_EQ(c.status_code(), 401);
  EXPECT_EQ(one(c, "WWW-Authenticate"), challenge);
  ASSERT_TRUE(ue.send(ue_register(2, "Authorization: Digest username=\"dave@ims.example\", "
                                     "realm=\"ims.example\", nonce=\"n1\", "
                                     "uri=\"sip:ims.example\", response=\"abc\"\n"),
                      false));
  sip::Message r2 = scscf_receive();
  ASSERT_EQ(r2.method(), sip::Method::kRegister);
  const std::string sr = "<sip:orig-std@127.0.0.1:" +
                         std::to_string(scscf_.local_endpoint().port) + ";lr>";
  {
    sip::ResponseBuilder b(r2, 200);
    b.to_tag("s2");
    b.header("Contact", "<sip:d1@d1.invalid;transport=ws>;expires=600");
    b.header("Service-Route", sr);
    b.header("P-Associated-URI", "<sip:dave@ims.example>, <tel:+15551234>");
    scscf_send(b.build());
  }
  sip::Message ok = parse(ue.read());
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(one(ok, "Service-Route"), sr);

  // Originating: the default identity asserted, the Service-Route pre-loaded.
  ASSERT_TRUE(ue.send(crlf("INVITE sip:bob@ims.example SIP/2.0\n"
                           "Via: SIP/2.0/WSS d1.invalid;branch=z9hG4bKsi1\nMax-Forwards: 70\n"
                           "To: <sip:bob@ims.example>\nFrom: <sip:dave@ims.example>;tag=d2\n"
                           "Call-ID: si1\nCSeq: 1 INVITE\n"
                           "Contact: <sip:d1@d1.invalid;transport=ws>\n"
                           "P-Asserted-Identity: <sip:boss@ims.example>\n"
                           "Content-Length: 0\n\n"),
                      false));
  EXPECT_EQ(parse(ue.read()).status_code(), 100);
  sip::Message inv = scscf_receive();
  ASSERT_EQ(inv.method(), sip::Method::kInvite);
  EXPECT_EQ(all(inv, "P-Asserted-Identity"), std::vector<std::string>{"<sip:dave@ims.example>"});
  ASSERT_EQ(inv.routes().size(), 1u);
  EXPECT_EQ(inv.routes()[0].text, sr);
  scscf_send(answer(inv, 480, "b"));
  EXPECT_EQ(parse(ue.read()).status_code(), 480);
  EXPECT_EQ(scscf_receive().method(), sip::Method::kAck);

  // Terminating: the S-CSCF routes by the stored Path (RFC 3327 §5.3).
  std::string term = terminating_invite("sip:dave@ims.example", "st1");
  term.insert(term.find("Max-Forwards"), "Route: " + one(r1, "Path") + "\r\n");
  scscf_send(term);
  EXPECT_EQ(scscf_receive().status_code(), 100);
  sip::Message ti = parse(ue.read());
  EXPECT_EQ(ti.method(), sip::Method::kInvite);
  EXPECT_EQ(ti.request_uri().text, "sip:dave@ims.example");
}

INSTANTIATE_TEST_SUITE_P(Backends, StandardTest,
                         ::testing::Values(RegistrarBackend::kMemory, RegistrarBackend::kRedis),
                         [](const auto& p) {
                           return p.param == RegistrarBackend::kMemory ? "memory" : "redis";
                         });

INSTANTIATE_TEST_SUITE_P(Backends, CallTest,
                         ::testing::Values(RegistrarBackend::kMemory, RegistrarBackend::kRedis),
                         [](const auto& p) {
                           return p.param == RegistrarBackend::kMemory ? "memory" : "redis";
                         });

}  // namespace
}  // namespace wimpu::ep_cscf
