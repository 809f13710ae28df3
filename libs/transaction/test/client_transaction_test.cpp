// RFC 3261 §17.1 client transactions, every timer driven by the fake clock.
#include "layer_fixture.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/sip/builder.hpp"

namespace wimpu::transaction::testing {
namespace {

class ClientTransactionTest : public LayerTest {
protected:
  ClientTxId start(std::string_view method, Peer to = udp_peer("192.0.2.20", 5060)) {
    branch = new_branch();
    auto id = layer.start_client(to, request_bytes(method, branch, via_token(to.protocol)), 77);
    EXPECT_TRUE(id);
    EXPECT_EQ(sender.sent.size(), 1u);
    request = sender.pop().parsed();
    return *id;
  }

  std::string branch;
  sip::Message request;
};

TEST_F(ClientTransactionTest, InviteTimerARetransmitsDoublingAndTimerBTimesOut) {
  const ClientTxId id = start("INVITE");
  // Timer A: T1, 2T1, 4T1 ... (no T2 cap for INVITE, §17.1.1.2) until Timer B at 64*T1.
  std::vector<common::Duration> at;
  const auto t0 = clock.now();
  for (int i = 0; i < 64 * 2; ++i) {
    timers.advance(250ms);
    while (!sender.sent.empty()) {
      EXPECT_EQ(sender.pop().bytes, request.bytes());
      at.push_back(clock.now() - t0);
    }
  }
  const std::vector<common::Duration> expected = {500ms, 1500ms, 3500ms, 7500ms, 15500ms,
                                                  31500ms};
  EXPECT_EQ(at, expected);
  ASSERT_EQ(tu.failures.size(), 1u);
  EXPECT_EQ(tu.failures[0].why, ClientFailure::kTimeout);
  EXPECT_EQ(tu.failures[0].tx.id, id);
  EXPECT_EQ(tu.failures[0].tx.cookie, 77u);
  EXPECT_EQ(layer.counts().client, 0u);
  EXPECT_EQ(timers.pending(), 0u);
}

TEST_F(ClientTransactionTest, InviteOnReliableTransportNeverRetransmitsButTimerBStillRuns) {
  start("INVITE", stream_peer(Protocol::kTcp, "192.0.2.20", 5060, 5));
  timers.advance(31s);
  EXPECT_TRUE(sender.sent.empty());
  EXPECT_TRUE(tu.failures.empty());
  timers.advance(1s);
  ASSERT_EQ(tu.failures.size(), 1u);
  EXPECT_EQ(tu.failures[0].why, ClientFailure::kTimeout);
}

TEST_F(ClientTransactionTest, ProvisionalStopsRetransmissionsAndTimerB) {
  start("INVITE");
  layer.receive(response_to(request, 180), udp_peer("192.0.2.20", 5060));
  ASSERT_EQ(tu.responses.size(), 1u);
  EXPECT_EQ(tu.responses[0].msg.status_code(), 180);
  EXPECT_TRUE(layer.client_has_provisional(tu.responses[0].tx.id));
  timers.advance(5min);
  EXPECT_TRUE(sender.sent.empty());
  EXPECT_TRUE(tu.failures.empty());  // Proceeding has no timeout: the proxy's Timer C does
  EXPECT_EQ(layer.counts().client, 1u);
}

TEST_F(ClientTransactionTest, NonSuccessFinalIsAckedByTheTransactionAndRetransmissionsAbsorbed) {
  start("INVITE");
  layer.receive(response_to(request, 100), udp_peer("192.0.2.20", 5060));
  const sip::Message busy = response_to(request, 486, "callee");
  layer.receive(sip::Message(busy), udp_peer("192.0.2.20", 5060));
  ASSERT_EQ(tu.responses.size(), 2u);
  EXPECT_EQ(tu.responses[1].msg.status_code(), 486);
  // §17.1.1.3: ACK with the INVITE's Via (same branch), the response's To (with tag).
  ASSERT_EQ(sender.sent.size(), 1u);
  const sip::Message ack = sender.pop().parsed();
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.top_via().branch, branch);
  EXPECT_EQ(ack.to_tag(), "callee");
  EXPECT_EQ(ack.cseq().number, 1u);
  EXPECT_EQ(ack.request_uri().text, request.request_uri().text);
  // A retransmitted 486 is ACKed again and not passed up.
  layer.receive(sip::Message(busy), udp_peer("192.0.2.20", 5060));
  EXPECT_EQ(tu.responses.size(), 2u);
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.pop().parsed().method(), sip::Method::kAck);
  // Timer D (32 s on UDP) then the transaction is gone.
  timers.advance(31s);
  EXPECT_EQ(layer.counts().client, 1u);
  timers.advance(1s);
  EXPECT_EQ(layer.counts().client, 0u);
}

TEST_F(ClientTransactionTest, NonSuccessFinalOnReliableTransportEndsAtOnce) {
  start("INVITE", stream_peer(Protocol::kWs, "192.0.2.20", 8080, 9));
  layer.receive(response_to(request, 603), stream_peer(Protocol::kWs, "192.0.2.20", 8080, 9));
  ASSERT_EQ(sender.sent.size(), 1u);
  const auto ack = sender.pop();
  EXPECT_EQ(ack.to.flow.slot, 9u);  // down the same connection
  EXPECT_EQ(layer.counts().client, 0u);  // Timer D = 0 (RFC 7118 §5)
  EXPECT_EQ(timers.pending(), 0u);
}

TEST_F(ClientTransactionTest, EverySuccessGoesToTheTuUntilTimerM) {
  start("INVITE");
  const sip::Message ok = response_to(request, 200, "x");
  layer.receive(sip::Message(ok), udp_peer("192.0.2.20", 5060));
  layer.receive(sip::Message(ok), udp_peer("192.0.2.20", 5060));
  layer.receive(response_to(request, 200, "other-fork"), udp_peer("192.0.2.20", 5060));
  EXPECT_EQ(tu.responses.size(), 3u);
  EXPECT_TRUE(sender.sent.empty());  // no ACK for 2xx: that is end-to-end (§17.1.1.3)
  timers.advance(32s);               // Timer M = 64*T1 (RFC 6026)
  EXPECT_EQ(layer.counts().client, 0u);
  layer.receive(sip::Message(ok), udp_peer("192.0.2.20", 5060));
  EXPECT_EQ(tu.responses.size(), 3u);
}

TEST_F(ClientTransactionTest, NonInviteTimerECapsAtT2AndIsT2WhileProceeding) {
  start("OPTIONS");
  const auto t0 = clock.now();
  std::vector<common::Duration> at;
  auto collect = [&] {
    while (!sender.sent.empty()) {
      sender.pop();
      at.push_back(clock.now() - t0);
    }
  };
  for (int i = 0; i < 40; ++i) {  // 10 s
    timers.advance(250ms);
    collect();
  }
  // 0.5, 1.5, 3.5, 7.5 (interval 4 = T2)
  const std::vector<common::Duration> expected = {500ms, 1500ms, 3500ms, 7500ms};
  EXPECT_EQ(at, expected);
  // A provisional: Proceeding, retransmissions every T2.
  layer.receive(response_to(request, 183), udp_peer("192.0.2.20", 5060));
  at.clear();
  for (int i = 0; i < 40; ++i) {
    timers.advance(250ms);
    collect();
  }
  EXPECT_EQ(at, (std::vector<common::Duration>{11500ms, 15500ms, 19500ms}));
}

TEST_F(ClientTransactionTest, NonInviteTimerFTimesOut) {
  start("REGISTER");
  timers.advance(32s);
  ASSERT_EQ(tu.failures.size(), 1u);
  EXPECT_EQ(tu.failures[0].why, ClientFailure::kTimeout);
  EXPECT_EQ(layer.counts().client, 0u);
  EXPECT_EQ(timers.pending(), 0u);
}

TEST_F(ClientTransactionTest, NonInviteFinalThenTimerKAbsorbsRetransmissions) {
  start("BYE");
  const sip::Message ok = response_to(request, 200);
  layer.receive(sip::Message(ok), udp_peer("192.0.2.20", 5060));
  layer.receive(sip::Message(ok), udp_peer("192.0.2.20", 5060));
  EXPECT_EQ(tu.responses.size(), 1u);
  timers.advance(4999ms);
  EXPECT_EQ(layer.counts().client, 1u);
  timers.advance(1ms);  // Timer K = T4
  EXPECT_EQ(layer.counts().client, 0u);
  EXPECT_TRUE(sender.sent.empty());
}

TEST_F(ClientTransactionTest, NonInviteFinalOnReliableTransportEndsAtOnce) {
  start("BYE", stream_peer(Protocol::kTls, "192.0.2.20", 5061, 3));
  layer.receive(response_to(request, 200), stream_peer(Protocol::kTls, "192.0.2.20", 5061, 3));
  EXPECT_EQ(tu.responses.size(), 1u);
  EXPECT_EQ(layer.counts().client, 0u);  // Timer K = 0
}

TEST_F(ClientTransactionTest, CancelSharesTheBranchButIsItsOwnTransaction) {
  const ClientTxId invite = start("INVITE");
  std::string cancel;
  sip::build_cancel(*layer.client_request(invite), cancel);
  auto cid = layer.start_client(*layer.client_peer(invite), cancel);
  ASSERT_TRUE(cid);
  const sip::Message sent_cancel = sender.pop().parsed();
  EXPECT_EQ(sent_cancel.top_via().branch, branch);
  // The 200 to the CANCEL and the 487 to the INVITE reach their own transactions.
  layer.receive(response_to(sent_cancel, 200), udp_peer("192.0.2.20", 5060));
  layer.receive(response_to(request, 487), udp_peer("192.0.2.20", 5060));
  ASSERT_EQ(tu.responses.size(), 2u);
  EXPECT_EQ(tu.responses[0].tx.id, *cid);
  EXPECT_EQ(tu.responses[1].tx.id, invite);
}

TEST_F(ClientTransactionTest, SendFailureAtStartCreatesNothing) {
  sender.fail_next(1, SendError::kUnreachable);
  auto id = layer.start_client(udp_peer("192.0.2.20", 5060),
                               request_bytes("INVITE", new_branch()));
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error(), StartError::kUnreachable);
  EXPECT_EQ(layer.counts().client, 0u);
  EXPECT_EQ(timers.pending(), 0u);
}

TEST_F(ClientTransactionTest, RetransmissionFailureIsReportedAsTransportError) {
  start("INVITE");
  sender.fail_next(1, SendError::kOverload);
  timers.advance(500ms);
  ASSERT_EQ(tu.failures.size(), 1u);
  EXPECT_EQ(tu.failures[0].why, ClientFailure::kTransportError);
  EXPECT_EQ(layer.counts().client, 0u);
}

TEST_F(ClientTransactionTest, InvalidOrDuplicateRequestsAreRefused) {
  auto bad = layer.start_client(udp_peer("192.0.2.20", 5060), "garbage");
  EXPECT_EQ(bad.error(), StartError::kInvalidRequest);
  const std::string b = new_branch();
  ASSERT_TRUE(layer.start_client(udp_peer("192.0.2.20", 5060), request_bytes("INVITE", b)));
  auto dup = layer.start_client(udp_peer("192.0.2.20", 5060), request_bytes("INVITE", b));
  EXPECT_EQ(dup.error(), StartError::kDuplicateBranch);
  auto ack = layer.start_client(udp_peer("192.0.2.20", 5060), request_bytes("ACK", new_branch()));
  EXPECT_EQ(ack.error(), StartError::kInvalidRequest);
}

TEST_F(ClientTransactionTest, StrayResponseIsDropped) {
  start("INVITE");
  sip::Message other = msg(request_bytes("INVITE", "z9hG4bK3.0000000000000000"));
  layer.receive(response_to(other, 200), udp_peer("192.0.2.20", 5060));
  EXPECT_TRUE(tu.responses.empty());
}

TEST_F(ClientTransactionTest, TerminateClientStopsEverythingSilently) {
  const ClientTxId id = start("INVITE");
  layer.terminate_client(id);
  timers.advance(1min);
  EXPECT_TRUE(sender.sent.empty());
  EXPECT_TRUE(tu.failures.empty());
  EXPECT_EQ(layer.client_request(id), nullptr);
}

TEST_F(ClientTransactionTest, ClosedConnectionFailsItsPendingTransactionsAtOnce) {
  const Peer tcp = stream_peer(Protocol::kTcp, "192.0.2.20", 5060, 12);
  const ClientTxId invite = start("INVITE", tcp);
  const ClientTxId bye = start("BYE", tcp);
  layer.receive(response_to(request, 200), tcp);  // the BYE completes (Timer K = 0: gone)
  const ClientTxId other = start("OPTIONS", stream_peer(Protocol::kTcp, "192.0.2.21", 5060, 13));
  layer.on_flow_closed(tcp.flow);
  ASSERT_EQ(tu.failures.size(), 1u);
  EXPECT_EQ(tu.failures[0].tx.id, invite);
  EXPECT_EQ(tu.failures[0].why, ClientFailure::kTransportError);
  EXPECT_EQ(layer.client_request(bye), nullptr);
  EXPECT_NE(layer.client_request(other), nullptr);  // another connection: untouched
  layer.on_flow_closed(tcp.flow);                    // nothing left on it
  EXPECT_EQ(tu.failures.size(), 1u);
}

// transaction.client.flow_closed counts closed connections, not the transactions they fail.
TEST_F(ClientTransactionTest, ClosedConnectionIsCountedOnceWhateverItCarried) {
  const Peer tcp = stream_peer(Protocol::kTcp, "192.0.2.20", 5060, 12);
  start("INVITE", tcp);
  start("OPTIONS", tcp);
  start("INVITE", tcp);
  common::Counter& closed = common::counter("transaction.client.flow_closed");
  const auto before = closed.value();
  layer.on_flow_closed(tcp.flow);
  EXPECT_EQ(tu.failures.size(), 3u);
  EXPECT_EQ(closed.value(), before + 1);
  layer.on_flow_closed(tcp.flow);  // nothing left: not counted again
  EXPECT_EQ(closed.value(), before + 1);
  // A connection whose transactions all ended is not counted either.
  const Peer other = stream_peer(Protocol::kTcp, "192.0.2.21", 5060, 13);
  layer.terminate_client(start("OPTIONS", other));
  layer.on_flow_closed(other.flow);
  EXPECT_EQ(closed.value(), before + 1);
}

// A connection's list outlives its last transaction (it keeps its capacity) and goes with the
// connection: a transaction still listed when the connection closed ends cleanly later.
TEST_F(ClientTransactionTest, ConnectionListSurvivesEmptyingAndGoesWithTheConnection) {
  const Peer tcp = stream_peer(Protocol::kTcp, "192.0.2.20", 5060, 12);
  layer.terminate_client(start("INVITE", tcp));  // the list is empty now, and kept
  const ClientTxId accepted = start("INVITE", tcp);
  layer.receive(response_to(request, 200), tcp);  // RFC 6026 Accepted: stays, Timer M
  const ClientTxId pending = start("OPTIONS", tcp);
  layer.on_flow_closed(tcp.flow);
  ASSERT_EQ(tu.failures.size(), 1u);
  EXPECT_EQ(tu.failures[0].tx.id, pending);
  EXPECT_NE(layer.client_request(accepted), nullptr);
  timers.advance(1min);  // Timer M ends it, with its connection's list already gone
  EXPECT_EQ(layer.client_request(accepted), nullptr);
}

TEST_F(ClientTransactionTest, ConnectionTracksTransactionsEndedInAnyOrder) {
  const Peer tcp = stream_peer(Protocol::kTcp, "192.0.2.20", 5060, 12);
  const ClientTxId a = start("INVITE", tcp);
  const ClientTxId b = start("INVITE", tcp);
  const ClientTxId c = start("INVITE", tcp);
  const ClientTxId d = start("INVITE", tcp);
  layer.terminate_client(a);  // the last one (d) takes its place
  layer.terminate_client(d);
  layer.on_flow_closed(tcp.flow);
  ASSERT_EQ(tu.failures.size(), 2u);
  std::vector<ClientTxId> failed{tu.failures[0].tx.id, tu.failures[1].tx.id};
  EXPECT_TRUE((failed == std::vector<ClientTxId>{b, c}) || (failed == std::vector<ClientTxId>{c, b}));
  layer.on_flow_closed(tcp.flow);  // all gone from the connection's list
  EXPECT_EQ(tu.failures.size(), 2u);
}

TEST_F(ClientTransactionTest, NewConnectionFlowIsKeptForLaterMessages) {
  Peer tcp;
  tcp.protocol = Protocol::kTcp;
  tcp.remote = ep("192.0.2.20", 5060);
  const ClientTxId id = start("INVITE", tcp);
  ASSERT_TRUE(layer.client_peer(id)->flow.valid());
}

}  // namespace
}  // namespace wimpu::transaction::testing
