// RFC 3261 §16.3-§16.6 and §16.11: validation, Route processing, Record-Route, Via, dialogs.
#include "proxy_fixture.hpp"

namespace wimpu::proxy::testing {
namespace {

TEST_F(ProxyTest, ForwardsInviteWith100ViaRecordRouteAndMaxForwards) {
  deliver(invite());
  auto trying = take(kCaller);
  ASSERT_TRUE(trying);
  EXPECT_EQ(trying->status_code(), 100);
  const sip::Message fwd = expect(kBob);
  EXPECT_EQ(fwd.request_uri().text, "sip:bob@10.0.0.20:5070");  // §16.6 step 2
  EXPECT_EQ(fwd.max_forwards(), 69);                              // step 3
  ASSERT_EQ(fwd.record_routes().size(), 1u);                      // step 4
  EXPECT_EQ(fwd.record_routes()[0].text, "<sip:10.0.0.1:5060;lr>");
  ASSERT_EQ(fwd.vias().size(), 2u);                               // step 8
  EXPECT_EQ(fwd.top_via().sent_by(), "10.0.0.1:5060");
  EXPECT_EQ(transaction::shard_from_branch(fwd.top_via().branch), transaction::ShardId{0});
  EXPECT_TRUE(fwd.top_via().has_rport);
  EXPECT_EQ(fwd.vias()[1].branch, "z9hG4bKcaller1");
  EXPECT_EQ(fwd.call_id(), "call1@10.0.0.10");
  EXPECT_TRUE(net.sent.empty());
}

TEST_F(ProxyTest, ResponsesPopOurViaAnd100IsAbsorbed) {
  const sip::Message fwd = invite_to(kBob);
  answer(fwd, 100, kBob, "");
  EXPECT_FALSE(take(kCaller));  // §16.7 step 5: 100 is not forwarded
  answer(fwd, 180, kBob, "bob1");
  const sip::Message ringing = expect(kCaller);
  EXPECT_EQ(ringing.status_code(), 180);
  ASSERT_EQ(ringing.vias().size(), 1u);
  EXPECT_EQ(ringing.top_via().branch, "z9hG4bKcaller1");
  answer(fwd, 200, kBob, "bob1", {{"Contact", "<sip:bob@10.0.0.20:5070>"}});
  const sip::Message ok = expect(kCaller);
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(ok.to_tag(), "bob1");
  ASSERT_EQ(ok.record_routes().size(), 1u);
  EXPECT_EQ(proxy.live_contexts(), 0u);
}

TEST_F(ProxyTest, RetransmittedSuccessIsForwardedAgainAfterTheContextEnded) {
  const sip::Message fwd = invite_to(kBob);
  answer(fwd, 200, kBob, "bob1");
  expect(kCaller);
  answer(fwd, 200, kBob, "bob1");  // the UAS retransmits its 2xx until the ACK (§13.3.1.4)
  EXPECT_EQ(expect(kCaller).status_code(), 200);
}

TEST_F(ProxyTest, InDialogAckAndByeFollowTheRecordRoute) {
  const sip::Message fwd = invite_to(kBob);
  answer(fwd, 200, kBob, "bob1");
  expect(kCaller);
  // The caller's route set is the Record-Route: ACK and BYE carry it as Route (§12.2.1.1).
  const std::string route = "Route: <sip:10.0.0.1:5060;lr>\n";
  deliver(request("ACK", "sip:bob@10.0.0.20:5070", route, "z9hG4bKack1", 1));
  const sip::Message ack = expect(kBob);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_TRUE(ack.routes().empty());  // our Route value was removed (§16.4)
  EXPECT_EQ(ack.request_uri().text, "sip:bob@10.0.0.20:5070");
  EXPECT_TRUE(ack.record_routes().empty());
  // A retransmitted ACK leaves with the same branch (§16.11).
  deliver(request("ACK", "sip:bob@10.0.0.20:5070", route, "z9hG4bKack1", 1));
  EXPECT_EQ(expect(kBob).top_via().branch, ack.top_via().branch);

  deliver(request("BYE", "sip:bob@10.0.0.20:5070", route, "z9hG4bKbye1", 2));
  const sip::Message bye = expect(kBob);
  EXPECT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_TRUE(bye.routes().empty());
  answer(bye, 200, kBob, "bob1");
  const sip::Message ok = expect(kCaller);
  EXPECT_EQ(ok.cseq().method, sip::Method::kBye);
  EXPECT_EQ(proxy.live_contexts(), 0u);
}

TEST_F(ProxyTest, LooseRoutingKeepsTheRequestUriAndSendsToTheNextRoute) {
  deliver(request("BYE", "sip:bob@192.0.2.99", "Route: <sip:10.0.0.1;lr>, <sip:10.0.0.30:5080;lr>\n"));
  const sip::Message fwd = expect(udp_peer("10.0.0.30", 5080));
  EXPECT_EQ(fwd.request_uri().text, "sip:bob@192.0.2.99");
  ASSERT_EQ(fwd.routes().size(), 1u);
  EXPECT_EQ(fwd.routes()[0].uri.text, "sip:10.0.0.30:5080;lr");
}

TEST_F(ProxyTest, StrictRouteFixUpRestoresTheRequestUriFromTheLastRoute) {
  // A strict router put our Record-Route URI in the Request-URI (§16.4).
  deliver(request("BYE", "sip:10.0.0.1:5060;lr",
                  "Route: <sip:10.0.0.30:5080;lr>, <sip:bob@10.0.0.20:5070>\n"));
  const sip::Message fwd = expect(udp_peer("10.0.0.30", 5080));
  EXPECT_EQ(fwd.request_uri().text, "sip:bob@10.0.0.20:5070");
  ASSERT_EQ(fwd.routes().size(), 1u);
  EXPECT_EQ(fwd.routes()[0].uri.text, "sip:10.0.0.30:5080;lr");
}

TEST_F(ProxyTest, StrictNextHopGetsTheRequestUriAsLastRoute) {
  deliver(request("BYE", "sip:bob@192.0.2.99",
                  "Route: <sip:10.0.0.1;lr>, <sip:10.0.0.30:5080>, <sip:10.0.0.31;lr>\n"));
  const sip::Message fwd = expect(udp_peer("10.0.0.30", 5080));
  EXPECT_EQ(fwd.request_uri().text, "sip:10.0.0.30:5080");  // §16.6 step 6
  ASSERT_EQ(fwd.routes().size(), 2u);
  EXPECT_EQ(fwd.routes()[0].uri.text, "sip:10.0.0.31;lr");
  EXPECT_EQ(fwd.routes()[1].uri.text, "sip:bob@192.0.2.99");
}

TEST_F(ProxyTest, RejectsMaxForwardsZeroWith483) {
  std::string text = invite();
  text.replace(text.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
  deliver(text);
  const sip::Message r = expect(kCaller);
  EXPECT_EQ(r.status_code(), 483);
  EXPECT_FALSE(r.to_tag().empty());
  EXPECT_FALSE(take(kBob));
}

TEST_F(ProxyTest, RejectsUnsupportedProxyRequireWith420AndUnsupported) {
  deliver(invite("sip:bob@10.0.0.1:5060", "Proxy-Require: sec-agree, foo, bar\n"));
  const sip::Message r = expect(kCaller);
  EXPECT_EQ(r.status_code(), 420);
  EXPECT_EQ(r.header_value(sip::HeaderId::kUnsupported), "foo, bar");
  // A supported one passes (§16.3 item 5).
  deliver(invite("sip:bob@10.0.0.1:5060", "Proxy-Require: sec-agree\n", "UDP", "z9hG4bKother"));
  EXPECT_EQ(expect(kCaller).status_code(), 100);
  expect(kBob);
}

TEST_F(ProxyTest, RejectsUnknownUriSchemeWith416) {
  deliver(request("MESSAGE", "urn:service:sos", {}, "z9hG4bKm", 1, ""));
  EXPECT_EQ(expect(kCaller).status_code(), 416);
}

TEST_F(ProxyTest, DetectsALoopWith482ButLetsASpiralThrough) {
  // Loop: our own forwarded request comes back unchanged (R-URI routed to ourselves).
  policy.routes["loop"] = {"sip:loop@10.0.0.1:5060"};
  deliver(invite("sip:loop@10.0.0.1:5060"));
  take(kCaller);  // 100
  ASSERT_FALSE(net.sent.empty());
  auto sent = net.pop();
  EXPECT_EQ(sent.to.remote, ep("10.0.0.1", 5060));
  layer.receive(sent.parsed(), udp_peer("10.0.0.1", 5060));
  // The looped copy gets its 100, then 482 (§16.3 item 4), which goes back to us.
  bool saw_482 = false;
  for (const auto& s : net.sent) {
    saw_482 = saw_482 || s.parsed().status_code() == 482;
  }
  EXPECT_TRUE(saw_482);

  // Spiral: it comes back with another Request-URI, so another hash: forwarded.
  net.sent.clear();
  policy.routes["spiral"] = {"sip:bob@10.0.0.1:5060"};
  deliver(invite("sip:spiral@10.0.0.1:5060", {}, "UDP", "z9hG4bKspiral"));
  take(kCaller);
  auto first = net.pop();
  EXPECT_EQ(first.to.remote, ep("10.0.0.1", 5060));
  layer.receive(first.parsed(), udp_peer("10.0.0.1", 5060));
  const sip::Message fwd = expect(kBob);
  EXPECT_EQ(fwd.vias().size(), 3u);
}

TEST_F(ProxyTest, LocalRequestUriWithoutTargetGets480) {
  deliver(invite("sip:nobody@10.0.0.1:5060"));
  take(kCaller);
  EXPECT_EQ(expect(kCaller).status_code(), 480);
  EXPECT_EQ(proxy.live_contexts(), 0u);
}

TEST_F(ProxyTest, UnresolvableTargetBecomes500) {
  policy.routes["dns"] = {"sip:bob@needs-dns.example.org"};
  deliver(invite("sip:dns@10.0.0.1:5060"));
  take(kCaller);
  EXPECT_EQ(expect(kCaller).status_code(), 500);  // 503 from the branch, sent as 500
}

TEST_F(ProxyTest, ViaGetsReceivedAndRportAndResponsesGoToTheSourcePort) {
  std::string text = invite();
  text.replace(text.find(";branch=z9hG4bKcaller1"), 0, ";rport");
  const Peer natted = udp_peer("203.0.113.5", 40000);
  layer.receive(msg(text), natted);
  const sip::Message trying = expect(natted);  // RFC 3581 §4: source address and port
  EXPECT_EQ(trying.status_code(), 100);
  EXPECT_EQ(trying.top_via().received, "203.0.113.5");  // §18.2.1, carried back (§8.2.6.2)
  EXPECT_EQ(trying.top_via().rport, 40000);
  const sip::Message fwd = expect(kBob);
  EXPECT_EQ(fwd.vias()[1].received, "203.0.113.5");
  EXPECT_EQ(fwd.vias()[1].rport, 40000);
  answer(fwd, 486, kBob, "bob1");
  EXPECT_EQ(expect(natted).status_code(), 486);
}

TEST_F(ProxyTest, OurOwnFinalResponseCarriesTheStampedVia) {
  std::string text = invite("sip:nobody@10.0.0.1:5060");
  text.replace(text.find(";branch=z9hG4bKcaller1"), 0, ";rport");
  const Peer natted = udp_peer("203.0.113.5", 40000);
  layer.receive(msg(text), natted);
  EXPECT_EQ(expect(natted).status_code(), 100);
  const sip::Message refused = expect(natted);
  EXPECT_EQ(refused.status_code(), 480);
  ASSERT_EQ(refused.vias().size(), 1u);
  EXPECT_EQ(refused.top_via().received, "203.0.113.5");
  EXPECT_EQ(refused.top_via().rport, 40000);
  EXPECT_EQ(refused.top_via().branch, "z9hG4bKcaller1");
}

TEST_F(ProxyTest, DoubleRecordRouteWhenTransportsDiffer) {
  // Caller on TCP, callee on UDP: one Record-Route per side (RFC 5658), both marked r2.
  const Peer tcp_caller = stream_peer(Protocol::kTcp, "10.0.0.10", 40500, 7);
  layer.receive(msg(invite("sip:bob@10.0.0.1:5060", {}, "TCP")), tcp_caller);
  const sip::Message trying = expect(tcp_caller);
  EXPECT_EQ(trying.status_code(), 100);
  const sip::Message fwd = expect(kBob);
  ASSERT_EQ(fwd.record_routes().size(), 2u);
  EXPECT_EQ(fwd.record_routes()[0].text, "<sip:10.0.0.1:5060;lr;r2=on>");
  EXPECT_EQ(fwd.record_routes()[1].text, "<sip:10.0.0.1:5060;transport=tcp;lr;r2=on>");
  EXPECT_EQ(fwd.top_via().transport, sip::Transport::kUdp);
  // Responses go back down the caller's connection (§18.2.2).
  answer(fwd, 200, kBob, "bob1");
  bool on_flow = false;
  for (const auto& s : net.sent) {
    on_flow = on_flow || (s.to.flow == tcp_caller.flow && s.parsed().status_code() == 200);
  }
  EXPECT_TRUE(on_flow);
  // The callee's BYE carries both values: both are ours and both go.
  net.sent.clear();
  std::string bye = request("BYE", "sip:alice@10.0.0.10:5060;transport=tcp",
                            "Route: <sip:10.0.0.1:5060;lr;r2=on>, "
                            "<sip:10.0.0.1:5060;transport=tcp;lr;r2=on>\n",
                            "z9hG4bKbyeb", 1);
  layer.receive(msg(bye), kBob);
  ASSERT_EQ(net.sent.size(), 1u);
  const auto out = net.pop();
  EXPECT_EQ(out.to.protocol, Protocol::kTcp);
  EXPECT_TRUE(out.parsed().routes().empty());
  EXPECT_EQ(out.parsed().top_via().transport, sip::Transport::kTcp);
}

TEST_F(ProxyTest, NonInviteIsForwardedWithout100AndWithoutRecordRoute) {
  deliver(request("MESSAGE", "sip:bob@10.0.0.1:5060", {}, "z9hG4bKmsg", 1, ""));
  EXPECT_FALSE(take(kCaller));
  const sip::Message fwd = expect(kBob);
  EXPECT_TRUE(fwd.record_routes().empty());
  answer(fwd, 202, kBob, "b");
  EXPECT_EQ(expect(kCaller).status_code(), 202);
}

}  // namespace
}  // namespace wimpu::proxy::testing

namespace wimpu::proxy::testing {
namespace {

// RFC 3261 §17.2.3 last paragraphs: an RFC 2543 caller (no magic cookie) is still proxied; its
// retransmissions and its ACK for our non-2xx are matched without a branch.
TEST_F(ProxyTest, Rfc2543CallerWithoutMagicCookieIsProxied) {
  const std::string old = invite("sip:bob@10.0.0.1:5060", {}, "UDP", "oldbranch1");
  deliver(old);
  EXPECT_EQ(expect(kCaller).status_code(), 100);
  const sip::Message fwd = expect(kBob);
  deliver(old);  // retransmission: the 100 again, nothing forwarded
  EXPECT_EQ(expect(kCaller).status_code(), 100);
  EXPECT_FALSE(take(kBob));
  answer(fwd, 486, kBob, "bob1");
  expect(kBob);  // our ACK for the 486
  const sip::Message busy = expect(kCaller);
  EXPECT_EQ(busy.status_code(), 486);
  EXPECT_EQ(busy.top_via().branch, "oldbranch1");
  deliver(request("ACK", "sip:bob@10.0.0.1:5060", {}, "oldbranch1", 1, "bob1"));
  EXPECT_FALSE(take(kBob));  // absorbed by the server transaction, not forwarded
  EXPECT_TRUE(policy.seen.size() == 1u);
}

}  // namespace
}  // namespace wimpu::proxy::testing
