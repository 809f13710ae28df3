// The plug-in interface (policy.hpp, docs/adr/0002-proxy-plugin-interface.md).
#include "proxy_fixture.hpp"

namespace wimpu::proxy::testing {
namespace {

TEST_F(ProxyTest, PolicyCanRespondWithHeaders) {
  policy.hook = [](RequestContext& ctx) {
    ctx.add_response_header("Warning", "399 wimpu \"no\"");
    return Decision::respond(403, "Not Here");
  };
  deliver(invite());
  EXPECT_EQ(expect(kCaller).status_code(), 100);
  const sip::Message r = expect(kCaller);
  EXPECT_EQ(r.status_code(), 403);
  EXPECT_EQ(r.reason_phrase(), "Not Here");
  EXPECT_EQ(r.header_value(sip::HeaderId::kWarning), "399 wimpu \"no\"");
  EXPECT_EQ(policy.ended.size(), 1u);
}

TEST_F(ProxyTest, AsynchronousPolicyResumesByIdOnTheShard) {
  ContextId parked = 0;
  policy.hook = [&](RequestContext& ctx) {
    parked = ctx.id();
    return Decision::wait();  // e.g. a Redis lookup in flight
  };
  deliver(invite());
  EXPECT_EQ(expect(kCaller).status_code(), 100);  // sent before the plug-in ran
  EXPECT_TRUE(net.sent.empty());
  // ... the answer comes back, posted to this shard:
  RequestContext* ctx = proxy.find(parked);
  ASSERT_NE(ctx, nullptr);
  Target t;
  t.uri = "sip:bob@10.0.0.20:5070";
  ctx->add_target(std::move(t));
  ASSERT_TRUE(proxy.resume(parked, Decision::proceed()));
  const sip::Message fwd = expect(kBob);
  EXPECT_EQ(fwd.method(), sip::Method::kInvite);
  EXPECT_FALSE(proxy.resume(parked, Decision::proceed()));  // not waiting any more
}

// A plug-in whose asynchronous work completes inline (a co_spawn'ed lookup that never suspends,
// as on the memory registrar) resumes before its on_request() has returned wait().
TEST_F(ProxyTest, ResumeFromInsideOnRequestIsAppliedWhenItReturnsWait) {
  policy.hook = [&](RequestContext& ctx) {
    EXPECT_TRUE(proxy.resume(ctx.id(), Decision::respond(480, "Temporarily Unavailable")));
    return Decision::wait();
  };
  deliver(invite());
  EXPECT_EQ(expect(kCaller).status_code(), 100);
  EXPECT_EQ(expect(kCaller).status_code(), 480);
  EXPECT_EQ(policy.ended.size(), 1u);
  EXPECT_EQ(proxy.live_contexts(), 0u);
}

TEST_F(ProxyTest, CancelWhileThePolicyWaitsAnswers487AndTheContextIsGone) {
  ContextId parked = 0;
  policy.hook = [&](RequestContext& ctx) {
    parked = ctx.id();
    return Decision::wait();
  };
  deliver(invite());
  expect(kCaller);  // 100
  deliver(request("CANCEL", "sip:bob@10.0.0.1:5060", {}, "z9hG4bKcaller1", 1, ""));
  EXPECT_EQ(expect(kCaller).status_code(), 200);
  EXPECT_EQ(expect(kCaller).status_code(), 487);
  // The late answer finds nothing (sprout's CANCEL race, handled by lookup-by-id).
  EXPECT_EQ(proxy.find(parked), nullptr);
  EXPECT_FALSE(proxy.resume(parked, Decision::proceed()));
  EXPECT_TRUE(net.sent.empty());
  EXPECT_EQ(policy.ended, std::vector<ContextId>{parked});
}

TEST_F(ProxyTest, PolicySeesPoppedRoutesAndSetsRecordRouteUserNextHopAndRoutes) {
  std::string popped_user;
  policy.hook = [&](RequestContext& ctx) {
    if (!ctx.popped_routes().empty()) {
      popped_user = ctx.popped_routes()[0].uri.user;
    }
    ctx.set_record_route_user("flowtoken1");
    ctx.editor().add_header("P-Test", "common");
    Target t;
    t.uri = "sip:bob@client.invalid;transport=ws";
    t.next_hop = stream_peer(Protocol::kTcp, "10.0.0.40", 51000, 42);  // the UA's own flow
    t.routes = {"<sip:10.0.0.50:5090;lr>"};
    t.headers = {{"P-Branch", "one"}};
    ctx.add_target(std::move(t));
    return Decision::proceed();
  };
  deliver(invite("sip:bob@10.0.0.1:5060", "Route: <sip:tok@10.0.0.1:5060;lr>\n"));
  expect(kCaller);
  EXPECT_EQ(popped_user, "tok");
  ASSERT_EQ(net.sent.size(), 1u);
  const auto out = net.pop();
  EXPECT_EQ(out.to.flow.slot, 42u);
  const sip::Message fwd = out.parsed();
  EXPECT_EQ(fwd.request_uri().text, "sip:bob@client.invalid;transport=ws");
  ASSERT_EQ(fwd.routes().size(), 1u);
  EXPECT_EQ(fwd.routes()[0].uri.text, "sip:10.0.0.50:5090;lr");
  EXPECT_EQ(fwd.find("P-Test")->value, "common");
  EXPECT_EQ(fwd.find("P-Branch")->value, "one");
  EXPECT_EQ(fwd.top_via().transport, sip::Transport::kTcp);
  ASSERT_FALSE(fwd.record_routes().empty());
  EXPECT_EQ(fwd.record_routes()[0].uri.user, "flowtoken1");
}

// RFC 5626 §5.3 with forking: each branch's Record-Route names its own flow; a branch without
// its own user part keeps the request's.
TEST_F(ProxyTest, EachBranchCanCarryItsOwnRecordRouteUser) {
  policy.hook = [&](RequestContext& ctx) {
    ctx.set_record_route_user("common");
    Target to_bob;
    to_bob.uri = "sip:bob@10.0.0.20:5070";
    to_bob.record_route_user = "flow-bob";
    ctx.add_target(std::move(to_bob));
    Target to_carol;
    to_carol.uri = "sip:carol@10.0.0.21:5071";
    ctx.add_target(std::move(to_carol));
    return Decision::proceed();
  };
  deliver(invite());
  expect(kCaller);
  const sip::Message bob = expect(kBob);
  const sip::Message carol = expect(kCarol);
  ASSERT_FALSE(bob.record_routes().empty());
  ASSERT_FALSE(carol.record_routes().empty());
  EXPECT_EQ(bob.record_routes()[0].uri.user, "flow-bob");
  EXPECT_EQ(carol.record_routes()[0].uri.user, "common");
}

TEST_F(ProxyTest, BranchCanBeReplacedOnAFailureResponse) {
  // RFC 5626 §7: a 430 from one flow of an instance; the plug-in tries the next flow.
  policy.response_hook = [](ResponseContext& rc) {
    if (rc.response().status_code() != 430) {
      return ResponseVerdict::kContinue;
    }
    Target t;
    t.uri = "sip:carol@10.0.0.21:5071";
    rc.request().add_target(std::move(t));
    return ResponseVerdict::kReplaceBranch;
  };
  const sip::Message fwd = invite_to(kBob);
  answer(fwd, 430, kBob, "bob1");
  expect(kBob);  // ACK for the 430
  const sip::Message second = expect(kCarol);
  EXPECT_EQ(second.method(), sip::Method::kInvite);
  EXPECT_FALSE(take(kCaller));
  answer(second, 200, kCarol, "carol1");
  EXPECT_EQ(expect(kCaller).status_code(), 200);
}

TEST_F(ProxyTest, PolicyCanEditForwardedResponses) {
  struct EditingPolicy final : RequestPolicy {
    Decision on_request(RequestContext& ctx) override {
      Target t;
      t.uri = "sip:bob@10.0.0.20:5070";
      ctx.add_target(std::move(t));
      return Decision::proceed();
    }
    void on_forward_response(RequestContext&, const sip::Message&,
                             sip::MessageEditor& ed) override {
      ed.add_header("P-Edited", "yes");
    }
  } editing;
  transaction::testing::FakeSender wire;
  transaction::TransactionLayer l(2, transaction::TimerConfig{}, wire, timers);
  Proxy px(l, editing, proxy_config());
  l.receive(msg(invite()), kCaller);
  wire.sent.pop_front();  // 100
  const sip::Message fwd = wire.pop().parsed();
  sip::ResponseBuilder b(fwd, 180);
  b.to_tag("x");
  l.receive(msg_from_wire(b.build()), kBob);
  EXPECT_EQ(wire.pop().parsed().find("P-Edited")->value, "yes");
}

TEST_F(ProxyTest, AckCanBeRoutedByThePolicy) {
  policy.hook = [](RequestContext& ctx) {
    if (ctx.is_ack()) {
      Target t;
      t.next_hop = udp_peer("10.0.0.60", 6000);
      ctx.add_target(std::move(t));
    }
    return Decision::proceed();
  };
  deliver(request("ACK", "sip:bob@10.0.0.1:5060", {}, "z9hG4bKa", 1));
  EXPECT_EQ(expect(udp_peer("10.0.0.60", 6000)).method(), sip::Method::kAck);
}

// A request the plug-in answers itself (a registrar answering REGISTER, §10.3) is never
// forwarded, but its response still carries the Via as the proxy stamped it (§18.2.1, RFC 3581
// §4, §8.2.6.2): the stamped text is kept for responses even though no forwarded copy is edited.
TEST_F(ProxyTest, RequestAnsweredByThePolicyGetsTheStampedViaInItsResponse) {
  policy.hook = [](RequestContext&) { return Decision::respond(200); };
  std::string text = request("REGISTER", "sip:example.com", {}, "z9hG4bKreg1", 1, "");
  text.replace(text.find(";branch=z9hG4bKreg1"), 0, ";rport");
  const Peer natted = udp_peer("203.0.113.5", 40000);
  deliver(text, natted);
  const sip::Message ok = expect(natted);
  EXPECT_EQ(ok.status_code(), 200);
  ASSERT_EQ(ok.vias().size(), 1u);
  EXPECT_EQ(ok.top_via().received, "203.0.113.5");
  EXPECT_EQ(ok.top_via().rport, 40000);
  EXPECT_EQ(ok.top_via().branch, "z9hG4bKreg1");
  EXPECT_EQ(proxy.live_contexts(), 0u);
}

// The received/rport edit of the forwarded copy is made when the decision is to forward, after
// the plug-in's own edits: both end up in the forwarded request.
TEST_F(ProxyTest, ForwardedRequestHasThePluginsEditsAndTheStampedVia) {
  policy.hook = [](RequestContext& ctx) {
    EXPECT_TRUE(ctx.editor().add_header("P-Test", "edited"));
    EXPECT_TRUE(ctx.editor().remove_headers(sip::HeaderId::kContact));
    Target t;
    t.uri = "sip:bob@10.0.0.20:5070";
    ctx.add_target(std::move(t));
    return Decision::proceed();
  };
  std::string text = invite();
  text.replace(text.find(";branch=z9hG4bKcaller1"), 0, ";rport");
  const Peer natted = udp_peer("2001:db8::5", 40000);
  deliver(text, natted);
  EXPECT_EQ(expect(natted).status_code(), 100);
  const sip::Message fwd = expect(kBob);
  ASSERT_EQ(fwd.vias().size(), 2u);
  EXPECT_EQ(fwd.vias()[1].received, "2001:db8::5");
  EXPECT_EQ(fwd.vias()[1].rport, 40000);
  EXPECT_EQ(fwd.vias()[1].branch, "z9hG4bKcaller1");
  ASSERT_NE(fwd.find("P-Test"), nullptr);
  EXPECT_EQ(fwd.find("P-Test")->value, "edited");
  EXPECT_EQ(fwd.find(sip::HeaderId::kContact), nullptr);
}

}  // namespace
}  // namespace wimpu::proxy::testing
