// RFC 3261 §16.7 response aggregation, §16.8 Timer C, §16.10 CANCEL, RFC 3326 Reason.
#include "proxy_fixture.hpp"

namespace wimpu::proxy::testing {
namespace {

class ForkTest : public ProxyTest {
protected:
  void SetUp() override {
    deliver(invite("sip:fork@10.0.0.1:5060"));
    ASSERT_EQ(expect(kCaller).status_code(), 100);
    to_bob = expect(kBob);
    to_carol = expect(kCarol);
  }

  /// The CANCEL sent to `uas` (after checking it is one).
  sip::Message cancel_to(const Peer& uas) {
    sip::Message c = expect(uas);
    EXPECT_EQ(c.method(), sip::Method::kCancel);
    return c;
  }

  sip::Message to_bob;
  sip::Message to_carol;
};

TEST_F(ForkTest, BranchesHaveTheirOwnBranchAndRequestUri) {
  EXPECT_EQ(to_bob.request_uri().text, "sip:bob@10.0.0.20:5070");
  EXPECT_EQ(to_carol.request_uri().text, "sip:carol@10.0.0.21:5071");
  EXPECT_NE(to_bob.top_via().branch, to_carol.top_via().branch);
}

TEST_F(ForkTest, SuccessIsForwardedAndTheOtherBranchCancelledWithReason) {
  answer(to_carol, 180, kCarol, "carol1");
  EXPECT_EQ(expect(kCaller).status_code(), 180);
  answer(to_bob, 180, kBob, "bob1");
  EXPECT_EQ(expect(kCaller).status_code(), 180);  // every non-100 provisional (§16.7 step 5)
  answer(to_bob, 200, kBob, "bob1");
  EXPECT_EQ(expect(kCaller).status_code(), 200);  // at once
  const sip::Message cancel = cancel_to(kCarol);
  EXPECT_EQ(cancel.top_via().branch, to_carol.top_via().branch);  // §9.1
  EXPECT_EQ(cancel.request_uri().text, to_carol.request_uri().text);
  EXPECT_EQ(cancel.header_value(sip::HeaderId::kReason),
            "SIP;cause=200;text=\"Call completed elsewhere\"");  // RFC 3326, F-03
  answer(cancel, 200, kCarol, "carol1");
  answer(to_carol, 487, kCarol, "carol1");
  EXPECT_EQ(expect(kCarol).method(), sip::Method::kAck);  // the transaction ACKs the 487
  EXPECT_FALSE(take(kCaller));                           // and it does not go up
  EXPECT_EQ(proxy.live_contexts(), 0u);
}

TEST_F(ForkTest, CancelWaitsForAProvisionalOnABranchThatHasNone) {
  answer(to_bob, 200, kBob, "bob1");
  expect(kCaller);
  EXPECT_FALSE(take(kCarol));  // §9.1: no CANCEL before a provisional
  answer(to_carol, 180, kCarol, "carol1");
  const sip::Message cancel = cancel_to(kCarol);
  EXPECT_NE(cancel.header_value(sip::HeaderId::kReason).find("cause=200"), std::string::npos);
  EXPECT_FALSE(take(kCaller));  // a provisional after the final is not forwarded
}

TEST_F(ForkTest, EverySuccessIsForwarded) {
  answer(to_bob, 180, kBob, "bob1");
  answer(to_carol, 180, kCarol, "carol1");
  expect(kCaller);
  expect(kCaller);
  answer(to_bob, 200, kBob, "bob1");
  answer(to_carol, 200, kCarol, "carol1");  // crossed with our CANCEL
  EXPECT_EQ(expect(kCaller).to_tag(), "bob1");
  EXPECT_EQ(expect(kCaller).to_tag(), "carol1");
}

TEST_F(ForkTest, BusyAndDeclineGiveDecline) {
  answer(to_bob, 486, kBob, "bob1");
  EXPECT_FALSE(take(kCaller));  // not all branches are done yet
  answer(to_carol, 603, kCarol, "carol1");
  const sip::Message r = expect(kCaller);
  EXPECT_EQ(r.status_code(), 603);  // §16.7 step 6: a 6xx wins
  EXPECT_EQ(r.to_tag(), "carol1");
  ASSERT_EQ(r.vias().size(), 1u);
}

TEST_F(ForkTest, DeclineFirstCancelsTheOthersWithItsCause) {
  answer(to_bob, 180, kBob, "bob1");
  expect(kCaller);
  answer(to_carol, 603, kCarol, "carol1");
  const sip::Message cancel = cancel_to(kBob);
  EXPECT_EQ(cancel.header_value(sip::HeaderId::kReason), "SIP;cause=603;text=\"Decline\"");
  EXPECT_FALSE(take(kCaller));
  answer(to_bob, 487, kBob, "bob1");
  EXPECT_EQ(expect(kCaller).status_code(), 603);
}

TEST_F(ForkTest, NoAnswerAnywhereGives408) {
  timers.advance(32s);  // Timer B on both branches
  EXPECT_EQ(expect(kCaller).status_code(), 408);
  EXPECT_EQ(proxy.live_contexts(), 0u);
}

TEST_F(ForkTest, ServiceUnavailableIsSentAs500) {
  answer(to_bob, 503, kBob, "bob1");
  answer(to_carol, 503, kCarol, "carol1");
  EXPECT_EQ(expect(kCaller).status_code(), 500);
}

TEST_F(ForkTest, LowestClassWinsAndA4xxIsPreferredByTheList) {
  answer(to_bob, 404, kBob, "bob1");
  answer(to_carol, 302, kCarol, "carol1");
  EXPECT_EQ(expect(kCaller).status_code(), 302);
}

TEST_F(ForkTest, ChallengesOf401And407AreMerged) {
  answer(to_bob, 407, kBob, "bob1", {{"Proxy-Authenticate", "Digest realm=\"b\", nonce=\"1\""}});
  answer(to_carol, 401, kCarol, "carol1",
         {{"WWW-Authenticate", "Digest realm=\"c\", nonce=\"2\""}});
  const sip::Message r = expect(kCaller);
  EXPECT_EQ(r.status_code(), 401);  // 401 before 407 in the preference list
  const auto www = header_values(r, sip::HeaderId::kWwwAuthenticate);
  const auto proxy_auth = header_values(r, sip::HeaderId::kProxyAuthenticate);
  ASSERT_EQ(www.size(), 1u);
  ASSERT_EQ(proxy_auth.size(), 1u);
  EXPECT_EQ(www[0], "Digest realm=\"c\", nonce=\"2\"");
  EXPECT_EQ(proxy_auth[0], "Digest realm=\"b\", nonce=\"1\"");
}

TEST_F(ForkTest, CancelFromTheCallerCancelsEveryBranch) {
  answer(to_bob, 180, kBob, "bob1");
  expect(kCaller);
  deliver(request("CANCEL", "sip:fork@10.0.0.1:5060", "Reason: SIP;cause=487\n",
                  "z9hG4bKcaller1", 1, ""));
  const sip::Message ok = expect(kCaller);
  EXPECT_EQ(ok.status_code(), 200);  // §16.10: 200 to the CANCEL at once
  EXPECT_EQ(ok.cseq().method, sip::Method::kCancel);
  const sip::Message c1 = cancel_to(kBob);
  EXPECT_EQ(c1.header_value(sip::HeaderId::kReason), "SIP;cause=487");  // passed on
  EXPECT_FALSE(take(kCarol));  // no provisional there yet
  answer(to_carol, 180, kCarol, "carol1");
  cancel_to(kCarol);
  EXPECT_EQ(expect(kCaller).status_code(), 180);  // provisionals still go up until the final
  answer(to_bob, 487, kBob, "bob1");
  answer(to_carol, 487, kCarol, "carol1");
  EXPECT_EQ(expect(kCaller).status_code(), 487);
  EXPECT_EQ(proxy.live_contexts(), 0u);
}

TEST_F(ForkTest, CancelledBranchThatNeverAnswersIsGivenUpAfter64T1) {
  answer(to_bob, 180, kBob, "bob1");
  answer(to_carol, 486, kCarol, "carol1");
  expect(kCaller);
  deliver(request("CANCEL", "sip:fork@10.0.0.1:5060", {}, "z9hG4bKcaller1", 1, ""));
  expect(kCaller);  // 200 to the CANCEL
  cancel_to(kBob);
  timers.advance(32s);  // §9.1
  const sip::Message r = expect(kCaller);
  EXPECT_EQ(r.status_code(), 486);
}

TEST_F(ForkTest, TimerCCancelsABranchThatRangAndItsFinalGoesUp) {
  answer(to_bob, 180, kBob, "bob1");
  answer(to_carol, 180, kCarol, "carol1");
  expect(kCaller);
  expect(kCaller);
  timers.advance(180s);
  EXPECT_FALSE(take(kBob));
  answer(to_carol, 183, kCarol, "carol1");  // resets Carol's Timer C
  expect(kCaller);
  timers.advance(1s);  // Bob's Timer C (181 s)
  const sip::Message c = cancel_to(kBob);
  EXPECT_TRUE(c.header_value(sip::HeaderId::kReason).empty());
  EXPECT_FALSE(take(kCarol));
  answer(to_bob, 487, kBob, "bob1");
  timers.advance(180s);
  cancel_to(kCarol);
  answer(to_carol, 487, kCarol, "carol1");
  EXPECT_EQ(expect(kCaller).status_code(), 487);
}

TEST_F(ProxyTest, TimerCWithoutProvisionalActsAsA408) {
  // T1 = 4 s makes Timer B (256 s) longer than Timer C (181 s).
  transaction::TimerConfig slow;
  slow.t1 = 4s;
  transaction::testing::FakeSender wire;
  transaction::TransactionLayer l(1, slow, wire, timers);
  TestPolicy p;
  p.routes["bob"] = {"sip:bob@10.0.0.20:5070"};
  Proxy px(l, p, proxy_config());
  l.receive(msg(invite()), kCaller);
  ASSERT_EQ(wire.sent.size(), 2u);  // 100 and the INVITE
  wire.sent.clear();
  timers.advance(180s);
  for (const auto& s : wire.sent) {
    EXPECT_EQ(s.to.remote, kBob.remote);  // only Timer A retransmissions so far
  }
  wire.sent.clear();
  timers.advance(1s);  // Timer C: no provisional, so as if the branch answered 408 (§16.8)
  ASSERT_EQ(wire.sent.size(), 1u);
  EXPECT_EQ(wire.sent[0].to.remote, kCaller.remote);
  EXPECT_EQ(wire.sent[0].parsed().status_code(), 408);
  EXPECT_EQ(l.counts().client, 0u);
  EXPECT_EQ(px.live_contexts(), 0u);
}

TEST_F(ProxyTest, NonInviteWithNoAnswerGetsNo408) {
  deliver(request("MESSAGE", "sip:fork@10.0.0.1:5060", {}, "z9hG4bKmsg", 1, ""));
  expect(kBob);
  expect(kCarol);
  timers.advance(32s);  // Timer F on both
  EXPECT_FALSE(take(kCaller));  // RFC 4320 §4.2
  EXPECT_EQ(layer.counts().server, 0u);
  EXPECT_EQ(proxy.live_contexts(), 0u);
}

TEST_F(ProxyTest, CancelWithoutTransactionGets481) {
  deliver(request("CANCEL", "sip:bob@10.0.0.1:5060", {}, "z9hG4bKunknown", 1, ""));
  EXPECT_EQ(expect(kCaller).status_code(), 481);
}

TEST_F(ProxyTest, CancelAfterTheFinalIsAnsweredAndChangesNothing) {
  const sip::Message fwd = invite_to(kBob);
  answer(fwd, 486, kBob, "bob1");
  EXPECT_EQ(expect(kCaller).status_code(), 486);
  expect(kBob);  // ACK
  deliver(request("CANCEL", "sip:bob@10.0.0.1:5060", {}, "z9hG4bKcaller1", 1, ""));
  EXPECT_EQ(expect(kCaller).status_code(), 200);
  EXPECT_FALSE(take(kBob));
}

}  // namespace
}  // namespace wimpu::proxy::testing
