// RFC 3261 §17.2 server transactions, §17.2.3 / §9.2 matching, §18.2.2 response destinations.
#include "layer_fixture.hpp"
#include "wimpu/sip/builder.hpp"

namespace wimpu::transaction::testing {
namespace {

class ServerTransactionTest : public LayerTest {
protected:
  static constexpr const char* kBranch = "z9hG4bKclient1";

  /// Delivers `text` as if from 192.0.2.1 port 40000 over UDP (or `from`).
  void deliver(const std::string& text, Peer from = udp_peer("192.0.2.1", 40000)) {
    layer.receive(msg(text), from);
  }

  ServerTxId new_invite(Peer from = udp_peer("192.0.2.1", 40000)) {
    deliver(request_bytes("INVITE", kBranch, via_token(from.protocol)), from);
    EXPECT_EQ(tu.requests.size(), 1u);
    return tu.requests.back().tx;
  }

  std::string response(int status, std::string_view to_tag = "srv") {
    sip::ResponseBuilder b(tu.requests.back().msg, status);
    if (status > 100) {
      b.to_tag(to_tag);
    }
    return b.build();
  }

  std::string ack_bytes(std::string_view branch, std::string_view to_tag) {
    return request_bytes("ACK", std::string(branch), "UDP", to_tag);
  }
};

TEST_F(ServerTransactionTest, InviteRetransmissionGetsTheLastProvisionalAgain) {
  const ServerTxId tx = new_invite();
  ASSERT_TRUE(layer.respond(tx, 100, response(100)));
  ASSERT_EQ(sender.sent.size(), 1u);
  sender.pop();
  deliver(request_bytes("INVITE", kBranch));
  EXPECT_EQ(tu.requests.size(), 1u);  // absorbed
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.pop().parsed().status_code(), 100);
}

TEST_F(ServerTransactionTest, NonSuccessFinalRetransmitsWithTimerGUntilAck) {
  const ServerTxId tx = new_invite();
  ASSERT_TRUE(layer.respond(tx, 486, response(486), "srv"));
  sender.pop();
  const auto t0 = clock.now();
  std::vector<common::Duration> at;
  for (int i = 0; i < 40; ++i) {  // 10 s
    timers.advance(250ms);
    while (!sender.sent.empty()) {
      EXPECT_EQ(sender.pop().parsed().status_code(), 486);
      at.push_back(clock.now() - t0);
    }
  }
  // Timer G: T1, 2T1, 4T1, then capped at T2.
  EXPECT_EQ(at, (std::vector<common::Duration>{500ms, 1500ms, 3500ms, 7500ms}));
  deliver(ack_bytes(kBranch, "srv"));
  EXPECT_TRUE(tu.acks.empty());  // absorbed (§17.2.1)
  timers.advance(10s);
  EXPECT_TRUE(sender.sent.empty());  // Confirmed: no more retransmissions
  EXPECT_EQ(layer.counts().server, 0u);  // Timer I (T4) ended it
}

TEST_F(ServerTransactionTest, ConfirmedAbsorbsAckRetransmissionsDuringTimerI) {
  const ServerTxId tx = new_invite();
  ASSERT_TRUE(layer.respond(tx, 404, response(404), "srv"));
  deliver(ack_bytes(kBranch, "srv"));
  timers.advance(4s);
  EXPECT_EQ(layer.counts().server, 1u);
  deliver(ack_bytes(kBranch, "srv"));
  EXPECT_TRUE(tu.acks.empty());
  timers.advance(1s);
  EXPECT_EQ(layer.counts().server, 0u);
}

TEST_F(ServerTransactionTest, TimerHEndsTheTransactionWithoutAck) {
  const ServerTxId tx = new_invite();
  ASSERT_TRUE(layer.respond(tx, 500, response(500), "srv"));
  timers.advance(32s);  // 64*T1
  ASSERT_EQ(tu.server_failures.size(), 1u);
  EXPECT_EQ(tu.server_failures[0].second, ServerFailure::kNoAck);
  EXPECT_EQ(layer.counts().server, 0u);
  EXPECT_EQ(timers.pending(), 0u);
}

TEST_F(ServerTransactionTest, ReliableTransportHasNoTimerGAndZeroTimerI) {
  const Peer tcp = stream_peer(Protocol::kTcp, "192.0.2.1", 40001, 4);
  const ServerTxId tx = new_invite(tcp);
  ASSERT_TRUE(layer.respond(tx, 486, response(486), "srv"));
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.pop().to.flow.slot, 4u);  // same connection (§18.2.2)
  timers.advance(10s);
  EXPECT_TRUE(sender.sent.empty());
  deliver(request_bytes("ACK", kBranch, "TCP", "srv"), tcp);
  EXPECT_EQ(layer.counts().server, 0u);
}

TEST_F(ServerTransactionTest, SuccessMovesToAcceptedWhereMore2xxPassAndTimerLEnds) {
  const ServerTxId tx = new_invite();
  ASSERT_TRUE(layer.respond(tx, 200, response(200, "one")));
  ASSERT_TRUE(layer.respond(tx, 200, response(200, "two")));  // another fork's 2xx
  EXPECT_EQ(sender.sent.size(), 2u);
  sender.sent.clear();
  deliver(request_bytes("INVITE", kBranch));  // absorbed, no re-send (RFC 6026)
  EXPECT_TRUE(sender.sent.empty());
  EXPECT_FALSE(layer.respond(tx, 486, response(486)));
  timers.advance(32s);  // Timer L
  EXPECT_FALSE(layer.server_alive(tx));
}

TEST_F(ServerTransactionTest, AckForSuccessIsPassedToTheTu) {
  const ServerTxId tx = new_invite();
  ASSERT_TRUE(layer.respond(tx, 200, response(200)));
  // End-to-end ACK: a new branch, no transaction matches.
  deliver(ack_bytes("z9hG4bKack2xx", "srv"));
  ASSERT_EQ(tu.acks.size(), 1u);
  EXPECT_FALSE(tu.acks[0].invite_tx.valid());
  // The same branch in Accepted (RFC 6026 §8.5): passed up with the transaction.
  deliver(ack_bytes(kBranch, "srv"));
  ASSERT_EQ(tu.acks.size(), 2u);
  EXPECT_EQ(tu.acks[1].invite_tx, tx);
}

TEST_F(ServerTransactionTest, CancelMatchesTheInviteByBranchIgnoringTheMethod) {
  const ServerTxId invite = new_invite();
  deliver(request_bytes("CANCEL", kBranch));
  ASSERT_EQ(tu.cancels.size(), 1u);
  EXPECT_EQ(tu.cancels[0].invite_tx, invite);
  const ServerTxId cancel_tx = tu.cancels[0].cancel_tx;
  EXPECT_NE(cancel_tx, invite);
  sip::ResponseBuilder ok(tu.cancels[0].msg, 200);
  ok.to_tag("srv");
  ASSERT_TRUE(layer.respond(cancel_tx, 200, ok.build()));
  sender.sent.clear();
  // A retransmitted CANCEL gets the 200 again and is not a new CANCEL.
  deliver(request_bytes("CANCEL", kBranch));
  EXPECT_EQ(tu.cancels.size(), 1u);
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.pop().parsed().cseq().method, sip::Method::kCancel);
  // A CANCEL for an unknown branch matches nothing.
  deliver(request_bytes("CANCEL", "z9hG4bKunknown"));
  ASSERT_EQ(tu.cancels.size(), 2u);
  EXPECT_FALSE(tu.cancels[1].invite_tx.valid());
}

TEST_F(ServerTransactionTest, SameBranchFromAnotherSentByIsAnotherTransaction) {
  new_invite();
  std::string other = request_bytes("INVITE", kBranch);
  other.replace(other.find("192.0.2.1:5060"), 14, "192.0.2.9:5060");
  deliver(other);
  EXPECT_EQ(tu.requests.size(), 2u);
}

TEST_F(ServerTransactionTest, NonInviteTryingAbsorbsProceedingAndCompletedResend) {
  deliver(request_bytes("OPTIONS", kBranch));
  ASSERT_EQ(tu.requests.size(), 1u);
  const ServerTxId tx = tu.requests[0].tx;
  deliver(request_bytes("OPTIONS", kBranch));
  EXPECT_TRUE(sender.sent.empty());  // Trying: absorbed silently
  ASSERT_TRUE(layer.respond(tx, 183, response(183)));
  sender.sent.clear();
  deliver(request_bytes("OPTIONS", kBranch));
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.pop().parsed().status_code(), 183);
  ASSERT_TRUE(layer.respond(tx, 200, response(200)));
  sender.sent.clear();
  deliver(request_bytes("OPTIONS", kBranch));
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.pop().parsed().status_code(), 200);
  EXPECT_EQ(layer.respond(tx, 200, response(200)).error(), RespondError::kWrongState);
  timers.advance(32s);  // Timer J = 64*T1 on UDP
  EXPECT_FALSE(layer.server_alive(tx));
  EXPECT_EQ(layer.respond(tx, 200, response(200)).error(), RespondError::kNoTransaction);
}

TEST_F(ServerTransactionTest, NonInviteOnReliableTransportEndsWithTheFinal) {
  const Peer ws = stream_peer(Protocol::kWs, "192.0.2.1", 50000, 8);
  deliver(request_bytes("REGISTER", kBranch, "WS"), ws);
  ASSERT_TRUE(layer.respond(tu.requests[0].tx, 200, response(200)));
  EXPECT_FALSE(layer.server_alive(tu.requests[0].tx));  // Timer J = 0 (RFC 7118 §5)
  EXPECT_EQ(timers.pending(), 0u);                        // and no timer was armed for it
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.send_or_keep_calls, 1);  // down the flow, the bytes handed over (no copy)
  const auto sent = sender.pop();
  EXPECT_EQ(sent.to.flow, ws.flow);
  EXPECT_EQ(sent.parsed().status_code(), 200);
}

TEST_F(ServerTransactionTest, NonInviteFinalFallsBackWhenItsFlowDied) {
  const Peer tcp = stream_peer(Protocol::kTcp, "198.51.100.7", 40001, 4);
  deliver(request_bytes("OPTIONS", kBranch, "TCP"), tcp);
  ASSERT_EQ(tu.requests.size(), 1u);
  sender.kill_flow(tcp.flow);
  ASSERT_TRUE(layer.respond(tu.requests[0].tx, 200, response(200)));
  ASSERT_EQ(sender.sent.size(), 1u);
  const auto sent = sender.pop();  // §18.2.2: the bytes kept for the fallback are intact
  EXPECT_FALSE(sent.to.flow.valid());
  EXPECT_EQ(sent.to.remote, ep("198.51.100.7", 5060));
  EXPECT_EQ(sent.parsed().status_code(), 200);
  EXPECT_FALSE(layer.server_alive(tu.requests[0].tx));
}

TEST_F(ServerTransactionTest, UdpResponsesGoToSourceWithRportElseToViaPort) {
  std::string with_rport = request_bytes("OPTIONS", "z9hG4bKa");
  with_rport.replace(with_rport.find(";branch"), 0, ";rport");
  deliver(with_rport, udp_peer("198.51.100.7", 40123));
  deliver(request_bytes("OPTIONS", "z9hG4bKb"), udp_peer("198.51.100.7", 40123));
  const Peer* a = layer.server_peer(tu.requests[0].tx);
  const Peer* b = layer.server_peer(tu.requests[1].tx);
  EXPECT_EQ(a->remote, ep("198.51.100.7", 40123));  // RFC 3581 §4
  EXPECT_EQ(b->remote, ep("198.51.100.7", 5060));   // §18.2.2: received address, sent-by port
}

TEST_F(ServerTransactionTest, StreamResponseFallsBackToReceivedAndSentByPortWhenFlowDied) {
  const Peer tcp = stream_peer(Protocol::kTcp, "198.51.100.7", 40001, 4);
  const ServerTxId tx = new_invite(tcp);
  sender.kill_flow(tcp.flow);
  ASSERT_TRUE(layer.respond(tx, 180, response(180)));
  ASSERT_EQ(sender.sent.size(), 1u);
  const auto sent = sender.pop();
  EXPECT_FALSE(sent.to.flow.valid());
  EXPECT_EQ(sent.to.remote, ep("198.51.100.7", 5060));
}

TEST_F(ServerTransactionTest, SendFailureTerminatesTheTransaction) {
  const ServerTxId tx = new_invite();
  sender.fail_next(1);
  EXPECT_EQ(layer.respond(tx, 180, response(180)).error(), RespondError::kTransportError);
  EXPECT_FALSE(layer.server_alive(tx));
  ASSERT_EQ(tu.server_failures.size(), 1u);
  EXPECT_EQ(tu.server_failures[0].second, ServerFailure::kTransportError);
}

// §17.2.3, last paragraphs: RFC 2543 peers have no magic cookie.
TEST_F(ServerTransactionTest, Rfc2543RequestsMatchOnDialogFieldsAndAckOnOurToTag) {
  const std::string old_branch = "1";  // no z9hG4bK
  deliver(request_bytes("INVITE", old_branch));
  ASSERT_EQ(tu.requests.size(), 1u);
  const ServerTxId tx = tu.requests[0].tx;
  deliver(request_bytes("INVITE", old_branch));  // retransmission
  EXPECT_EQ(tu.requests.size(), 1u);
  ASSERT_TRUE(layer.respond(tx, 486, response(486, "ours"), "ours"));
  // An ACK with someone else's To tag is not ours to absorb.
  deliver(ack_bytes(old_branch, "theirs"));
  EXPECT_EQ(tu.acks.size(), 1u);
  deliver(ack_bytes(old_branch, "ours"));
  EXPECT_EQ(tu.acks.size(), 1u);  // absorbed
  // A CANCEL finds the INVITE with the same fields.
  deliver(request_bytes("CANCEL", old_branch));
  ASSERT_EQ(tu.cancels.size(), 1u);
  EXPECT_EQ(tu.cancels[0].invite_tx, tx);
  // Same fields with a different To tag: a different transaction.
  deliver(request_bytes("INVITE", old_branch, "UDP", "dialog"));
  EXPECT_EQ(tu.requests.size(), 2u);
}

TEST_F(ServerTransactionTest, Rfc2543RequestWithoutAnyBranchMatchesToo) {
  std::string text = request_bytes("OPTIONS", "x");
  text.replace(text.find(";branch=x"), 9, "");
  deliver(text);
  deliver(text);
  EXPECT_EQ(tu.requests.size(), 1u);
}

}  // namespace
}  // namespace wimpu::transaction::testing
