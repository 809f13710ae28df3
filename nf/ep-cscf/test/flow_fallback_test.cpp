// Terminating requests toward a WIC whose flow is dead (terminating.cpp, flow_ref.hpp): the W4
// fallback. A terminating dialog's Record-Route names the IMPU and the answering WIC's flow; an
// in-dialog request goes down that flow while it lives. When it is gone (add_flow_target() says
// 430), the eP-CSCF looks the IMPU up in W4 and sends the request down the flow now registered
// for the dialog's remote target (the WIC's Contact): the WIC that reconnected and re-registered
// on a new WebSocket (RFC 5626 §6, requirement G-06) keeps its dialogs. Without such a contact
// the answer is 430 Flow Failed (RFC 5626 §5.3.1, requirement G-11). An initial INVITE forks only
// to live flows, and with none left answers 480 (requirement F-04).
#include <chrono>
#include <string>
#include <thread>

#include "call_fixture.hpp"

namespace wimpu::ep_cscf {
namespace {

using namespace calls;

/// True once `counter` exceeds `before`, false after kWait. The eP-CSCF learns of a closed flow
/// asynchronously (the WebSocket's lingering close, then the shard's flow-closed handler): the
/// test waits for that event, seen through the counter the handler bumps, and yields meanwhile.
bool wait_counter_above(common::Counter& counter, std::uint64_t before) {
  const auto deadline = std::chrono::steady_clock::now() + transport::test::kWait;
  while (counter.value() <= before) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::yield();
  }
  return true;
}

class FlowFallbackTest : public CallTest {
protected:
  /// A terminating INVITE from the core answered 200 by `w`: returns the Record-Route URI our
  /// eP-CSCF put in it (the route set of the core's in-dialog requests).
  std::string answered_terminating_dialog(Wic& w, const std::string& call_id) {
    scscf_send(terminating_invite(kImpu, call_id));
    EXPECT_EQ(scscf_receive().status_code(), 100);
    sip::Message inv = parse(w.ws->read());
    EXPECT_EQ(inv.method(), sip::Method::kInvite);
    if (inv.record_routes().empty()) {
      ADD_FAILURE() << "no Record-Route";
      return {};
    }
    EXPECT_TRUE(w.ws->send(answer(inv, 200, "w1"), false));
    EXPECT_EQ(scscf_receive().status_code(), 200);
    // The per-branch form: kTermMarker hex(IMPU) "." transport "." flow token.
    const std::string_view user = inv.record_routes()[0].uri.user;
    EXPECT_TRUE(user.starts_with("t-"));
    EXPECT_NE(user.find(".ws."), std::string_view::npos);
    return "<" + std::string(inv.record_routes()[0].uri.text) + ">";
  }

  /// Closes `w`'s WebSocket and waits until the eP-CSCF has seen the flow close.
  void close_and_wait(Wic& w) {
    common::Counter& closed = common::counter("ep_cscf.flow_closed");
    const std::uint64_t before = closed.value();
    w.ws->close();
    ASSERT_TRUE(wait_counter_above(closed, before)) << "the eP-CSCF did not see the close";
  }

  static constexpr const char* kWicContact = "sip:a1@a1.invalid;transport=ws;ob";
};

TEST_P(FlowFallbackTest, InDialogRequestOnADeadFlowFollowsTheWicToItsNewFlow) {
  Wic& first = register_wic(false, "alice", "a1", "aaaa");
  const std::string route = answered_terminating_dialog(first, "ff1");
  ASSERT_FALSE(route.empty());
  // The WIC comes back on a new WebSocket (WSS this time) and registers again (same Call-ID,
  // next CSeq) with the same Contact, instance and reg-id: the binding moves to the new flow
  // (RFC 5626 §6). Then its first flow closes.
  Wic& second = register_wic(true, "alice", "a1", "aaaa", 200, 2);
  close_and_wait(first);

  common::Counter& by_flow = common::counter("ep_cscf.term.in_dialog_by_flow");
  common::Counter& gone = common::counter("ep_cscf.term.in_dialog_flow_gone");
  const std::uint64_t by_flow_before = by_flow.value();
  const std::uint64_t gone_before = gone.value();
  // The caller's BYE names the dead flow: found again through W4, down the new flow.
  scscf_send(core_bye(route, kWicContact, "ff1"));
  sip::Message bye = parse(second.ws->read());
  ASSERT_EQ(bye.method(), sip::Method::kBye);
  EXPECT_EQ(bye.request_uri().text, kWicContact);
  EXPECT_EQ(one(bye, "Call-ID"), "ff1");
  ASSERT_TRUE(second.ws->send(answer(bye, 200, "w1"), false));
  sip::Message ok = scscf_receive();
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(one(ok, "CSeq"), "2 BYE");
  EXPECT_EQ(by_flow.value(), by_flow_before);  // not down the dead flow
  EXPECT_EQ(gone.value(), gone_before);
}

TEST_P(FlowFallbackTest, InDialogRequestOnADeadFlowWithoutTheWicGets430) {
  Wic& w = register_wic(false, "alice", "a1", "aaaa");
  const std::string route = answered_terminating_dialog(w, "ff2");
  ASSERT_FALSE(route.empty());
  close_and_wait(w);
  // Dead flow, and W4 names no other flow for this Contact (its contact is gone from W4, or
  // still there on the dead flow, depending on how far the eP-CSCF's clean-up has come: both
  // answer 430).
  scscf_send(core_bye(route, kWicContact, "ff2"));
  sip::Message r = scscf_receive();
  EXPECT_EQ(r.status_code(), 430);
  EXPECT_EQ(r.reason_phrase(), "Flow Failed");
  EXPECT_EQ(one(r, "Call-ID"), "ff2");
}

TEST_P(FlowFallbackTest, InDialogRequestFindsTheWicByContactNotByAnyContactOfTheImpu) {
  Wic& a = register_wic(false, "alice", "a1", "aaaa");
  const std::string route = answered_terminating_dialog(a, "ff3");
  ASSERT_FALSE(route.empty());
  // Another WIC of the same web user (same IMPU) stays registered; the dialog's WIC does not
  // come back. The fallback must not hand the dialog to the other WIC.
  Wic& b = register_wic(true, "alice", "b1", "bbbb");
  close_and_wait(a);
  scscf_send(core_bye(route, kWicContact, "ff3"));
  sip::Message r = scscf_receive();
  EXPECT_EQ(r.status_code(), 430);
  // b saw nothing: the next thing on its flow is the INVITE sent below.
  scscf_send(terminating_invite(kImpu, "ff3b"));
  EXPECT_EQ(scscf_receive().status_code(), 100);
  sip::Message inv = parse(b.ws->read());
  EXPECT_EQ(inv.method(), sip::Method::kInvite);
  EXPECT_EQ(one(inv, "Call-ID"), "ff3b");
  ASSERT_TRUE(b.ws->send(answer(inv, 486, "w2"), false));
  EXPECT_EQ(scscf_receive().status_code(), 486);
}

TEST_P(FlowFallbackTest, InitialInviteForksOnlyToLiveFlows) {
  Wic& a = register_wic(false, "alice", "a1", "aaaa");
  Wic& b = register_wic(true, "alice", "b1", "bbbb");
  close_and_wait(a);
  // a's contact is either gone from W4 or still there on its dead flow: no branch for it either
  // way, and b's branch is enough to go on.
  scscf_send(terminating_invite(kImpu, "ff4"));
  EXPECT_EQ(scscf_receive().status_code(), 100);
  sip::Message inv = parse(b.ws->read());
  ASSERT_EQ(inv.method(), sip::Method::kInvite);
  EXPECT_EQ(inv.request_uri().text, "sip:b1@b1.invalid;transport=ws");
  ASSERT_TRUE(b.ws->send(answer(inv, 200, "w2"), false));
  EXPECT_EQ(scscf_receive().status_code(), 200);
}

TEST_P(FlowFallbackTest, InitialInviteAfterTheOnlyFlowClosedGets480) {
  Wic& w = register_wic(false, "alice", "a1", "aaaa");
  common::Counter& removed = common::counter("ep_cscf.flow_closed.contacts_removed");
  const std::uint64_t removed_before = removed.value();
  close_and_wait(w);
  // Once the flow's contact has left W4 (G-13: flow loss), the IMPU has no contact: F-04's
  // empty target set.
  ASSERT_TRUE(wait_counter_above(removed, removed_before));
  scscf_send(terminating_invite(kImpu, "ff5"));
  EXPECT_EQ(scscf_receive().status_code(), 100);
  sip::Message r = scscf_receive();
  EXPECT_EQ(r.status_code(), 480);
  EXPECT_EQ(one(r, "Call-ID"), "ff5");
}

INSTANTIATE_TEST_SUITE_P(Backends, FlowFallbackTest,
                         ::testing::Values(RegistrarBackend::kMemory, RegistrarBackend::kRedis),
                         [](const auto& p) {
                           return p.param == RegistrarBackend::kMemory ? "memory" : "redis";
                         });

}  // namespace
}  // namespace wimpu::ep_cscf
