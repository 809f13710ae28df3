// Flows (RFC 5626): ids, tokens, closing reported once, idle timeout, limits (connection cap,
// slow reader back-pressure) and cross-shard sends with two shards.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <future>
#include <memory>

#include "test_support.hpp"

namespace wimpu::transport::test {
namespace {

TransportConfig tcp_config() {
  TransportConfig cfg;
  ListenerConfig l;
  l.protocol = Protocol::kTcp;
  cfg.listeners = {l};
  return cfg;
}

TEST(Flow, TokenRoundTripTamperedAndDead) {
  Harness h(tcp_config());
  StreamClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)));
  ASSERT_TRUE(client.write(sip_request("REGISTER", "f")));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  const std::string token = h.transport().flow_token(msg->flow);

  auto back = h.transport().decode_flow_token(token);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, msg->flow);

  std::string tampered = token;
  tampered[5] = tampered[5] == 'a' ? 'b' : 'a';
  EXPECT_EQ(h.transport().decode_flow_token(tampered).error(), FlowTokenError::kTampered);
  EXPECT_EQ(h.transport().decode_flow_token("garbage").error(), FlowTokenError::kTampered);

  client.close();
  EXPECT_EQ(h.sink().wait_close(msg->flow), CloseReason::kPeerClosed);
  // RFC 5626 §5.3.1: genuine token, dead flow -> 430 at the edge proxy.
  EXPECT_EQ(h.transport().decode_flow_token(token).error(), FlowTokenError::kFlowDead);
  EXPECT_EQ(h.transport().send(msg->flow, "x").error(), SendError::kFlowDead);
}

TEST(Flow, TokenFromAnotherTransportInstanceIsNotLive) {
  TransportConfig cfg = tcp_config();
  cfg.flow_token_key = "shared key";
  Harness a(cfg);
  Harness b(cfg);
  StreamClient client;
  ASSERT_TRUE(client.connect(a.endpoint(0)));
  ASSERT_TRUE(client.write(sip_request("REGISTER", "x")));
  auto msg = a.sink().wait_message();
  ASSERT_TRUE(msg);
  // Same key, different epoch: genuine but not ours (e.g. minted before a restart).
  EXPECT_EQ(b.transport().decode_flow_token(a.transport().flow_token(msg->flow)).error(),
            FlowTokenError::kFlowDead);
}

TEST(Flow, ReusedSlotGetsANewGeneration) {
  Harness h(tcp_config());
  FlowId first;
  {
    StreamClient client;
    ASSERT_TRUE(client.connect(h.endpoint(0)));
    ASSERT_TRUE(client.write(sip_request("OPTIONS", "1")));
    first = h.sink().wait_message()->flow;
  }
  EXPECT_EQ(h.sink().wait_close(first), CloseReason::kPeerClosed);
  StreamClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)));
  ASSERT_TRUE(client.write(sip_request("OPTIONS", "2")));
  const FlowId second = h.sink().wait_message()->flow;
  EXPECT_EQ(second.slot, first.slot);
  EXPECT_NE(second.generation, first.generation);
  EXPECT_FALSE(h.transport().is_live(first));
  EXPECT_TRUE(h.transport().is_live(second));
  EXPECT_EQ(h.transport().decode_flow_token(h.transport().flow_token(first)).error(),
            FlowTokenError::kFlowDead);
}

TEST(Flow, ClientCloseIsReportedExactlyOnce) {
  Harness h(tcp_config());
  StreamClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)));
  ASSERT_TRUE(client.write(sip_request("OPTIONS", "once")));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  client.close();
  EXPECT_EQ(h.sink().wait_close(msg->flow), CloseReason::kPeerClosed);
  h.transport().close(msg->flow);  // closing a dead flow again does nothing
  h.barrier();
  EXPECT_EQ(h.sink().close_count(msg->flow), 1);
}

TEST(Flow, LocalCloseIsReportedAndClosesTheSocket) {
  Harness h(tcp_config());
  StreamClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)));
  ASSERT_TRUE(client.write(sip_request("OPTIONS", "local")));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  h.transport().close(msg->flow);  // from the test thread: posted to the owner
  EXPECT_EQ(h.sink().wait_close(msg->flow), CloseReason::kLocalClose);
  EXPECT_TRUE(client.wait_closed());
}

TEST(Flow, CloseAfterFlushWritesWhatWasQueued) {
  Harness h(tcp_config());
  // The eP-CSCF pattern: answer (e.g. 403) and close the connection behind the answer.
  h.sink().on_message_hook = [&h](const InboundMessage& msg) {
    ASSERT_TRUE(h.transport().send(msg.flow, sip_response(403, "bye")).has_value());
    ASSERT_TRUE(h.transport().send(msg.flow, sip_response(404, "bye")).has_value());
    h.transport().close(msg.flow, CloseMode::kFlushWrites);
    EXPECT_EQ(h.transport().send(msg.flow, "late").error(), SendError::kFlowDead);
  };
  StreamClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)));
  ASSERT_TRUE(client.write(sip_request("INVITE", "bye")));
  EXPECT_EQ(client.read_message(), sip_response(403, "bye"));
  EXPECT_EQ(client.read_message(), sip_response(404, "bye"));
  EXPECT_TRUE(client.wait_closed());
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  EXPECT_EQ(h.sink().wait_close(msg->flow), CloseReason::kLocalClose);
}

// One shard binds without SO_REUSEPORT, so no other socket (not even one of this user, with
// SO_REUSEPORT) can join its port: two port-0 SO_REUSEPORT binds of one user can get the same
// port and the kernel then splits the traffic between two processes (seen with ctest -j2).
TEST(Listen, OneShardDoesNotShareItsPort) {
  for (const Protocol protocol : {Protocol::kUdp, Protocol::kTcp}) {
    TransportConfig cfg;
    ListenerConfig l;
    l.protocol = protocol;
    cfg.listeners = {l};
    Harness h(cfg);
    const Endpoint ep = h.endpoint(0);
    ASSERT_TRUE(ep.address.is_v4()) << ep.to_string();
    const int fd = ::socket(AF_INET, protocol == Protocol::kUdp ? SOCK_DGRAM : SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    const int one = 1;
    ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one), 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(ep.port);
    addr.sin_addr.s_addr = htonl(ep.address.to_v4().to_uint());
    const int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    const int error = errno;
    ::close(fd);
    EXPECT_NE(rc, 0) << "a second socket joined " << ep.to_string();
    EXPECT_EQ(error, EADDRINUSE);
  }
}

TEST(Flow, IdleConnectionIsClosed) {
  TransportConfig cfg = tcp_config();
  cfg.timers.idle_timeout = 50ms;
  Harness h(cfg);
  StreamClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)));
  auto c = h.sink().wait_any_close();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->reason, CloseReason::kIdleTimeout);
  EXPECT_TRUE(client.wait_closed());
}

TEST(Flow, StopReportsShutdownForOpenFlows) {
  auto h = std::make_unique<Harness>(tcp_config());
  StreamClient client;
  ASSERT_TRUE(client.connect(h->endpoint(0)));
  ASSERT_TRUE(client.write(sip_request("OPTIONS", "s")));
  auto msg = h->sink().wait_message();
  ASSERT_TRUE(msg);
  h->transport().stop();  // returns after every on_flow_closed ran
  EXPECT_EQ(h->sink().wait_close(msg->flow, 0ms), CloseReason::kShutdown);
  EXPECT_EQ(h->transport().send(msg->flow, "x").error(), SendError::kStopped);
}

TEST(Limits, ConnectionCapPerListener) {
  TransportConfig cfg = tcp_config();
  cfg.listeners[0].max_connections = 2;
  Harness h(cfg, 2);
  const auto before = counter_value("transport.tcp.rejected_connection_cap");
  StreamClient a;
  StreamClient b;
  ASSERT_TRUE(a.connect(h.endpoint(0)));
  ASSERT_TRUE(a.write(sip_request("OPTIONS", "a")));
  ASSERT_TRUE(b.connect(h.endpoint(0)));
  ASSERT_TRUE(b.write(sip_request("OPTIONS", "b")));
  ASSERT_TRUE(h.sink().wait_message());
  ASSERT_TRUE(h.sink().wait_message());  // both accepted before the third connects
  StreamClient c;
  ASSERT_TRUE(c.connect(h.endpoint(0)));  // the kernel completes it; we close it at once
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(counter_value("transport.tcp.rejected_connection_cap"), before + 1);
  // Closing one makes room again.
  const FlowId fa = [&] {
    a.close();
    auto closed = h.sink().wait_any_close();
    return closed ? closed->flow : FlowId{};
  }();
  EXPECT_TRUE(fa.valid());
  StreamClient d;
  ASSERT_TRUE(d.connect(h.endpoint(0)));
  ASSERT_TRUE(d.write(sip_request("OPTIONS", "d")));
  EXPECT_TRUE(h.sink().wait_message());
}

// Sends 8 KiB messages to a peer that never reads, one per event-loop turn, until the
// transport gives up on it: the bounded write queue closes the flow (kWriteQueueFull).
class Pump : public std::enable_shared_from_this<Pump> {
public:
  Pump(Harness& h, FlowId flow) : h_(h), flow_(flow) {}
  void step() {
    auto r = h_.transport().send(flow_, sip_request("MESSAGE", "bulk", std::string(8192, 'z')));
    if (!r) {
      result_.set_value(r.error());
      return;
    }
    if (++sent_ > 100000) {
      result_.set_value(SendError::kStopped);  // never happened: fail below
      return;
    }
    h_.pool().post(flow_.shard, [self = shared_from_this()] { self->step(); });
  }
  std::future<SendError> result() { return result_.get_future(); }

private:
  Harness& h_;
  FlowId flow_;
  int sent_ = 0;
  std::promise<SendError> result_;
};

TEST(Limits, SlowReaderIsClosedWhenItsWriteQueueIsFull) {
  TransportConfig cfg = tcp_config();
  cfg.limits.max_write_queue_bytes = 64 * 1024;
  cfg.limits.socket_send_buffer = 4096;
  Harness h(cfg);
  const auto before = counter_value("transport.tcp.write_queue_full");
  StreamClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0), 4096));
  ASSERT_TRUE(client.write(sip_request("OPTIONS", "slow")));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  auto pump = std::make_shared<Pump>(h, msg->flow);
  auto result = pump->result();
  h.pool().post(msg->flow.shard, [pump] { pump->step(); });
  EXPECT_EQ(result.get(), SendError::kQueueFull);
  EXPECT_EQ(h.sink().wait_close(msg->flow), CloseReason::kWriteQueueFull);
  EXPECT_EQ(counter_value("transport.tcp.write_queue_full"), before + 1);
}

// The same over WebSocket, where messages are framed into one write buffer per turn: the queue
// limit still counts every message until its write completed.
TEST(Limits, WsSlowReaderIsClosedWhenItsWriteQueueIsFull) {
  TransportConfig cfg;
  ListenerConfig l;
  l.protocol = Protocol::kWs;
  cfg.listeners = {l};
  cfg.limits.max_write_queue_bytes = 64 * 1024;
  cfg.limits.socket_send_buffer = 4096;
  Harness h(cfg);
  const auto before = counter_value("transport.ws.write_queue_full");
  WsClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)).upgraded);
  ASSERT_TRUE(client.send(sip_request("OPTIONS", "slow"), false));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  auto pump = std::make_shared<Pump>(h, msg->flow);
  auto result = pump->result();
  h.pool().post(msg->flow.shard, [pump] { pump->step(); });
  EXPECT_EQ(result.get(), SendError::kQueueFull);
  EXPECT_EQ(h.sink().wait_close(msg->flow), CloseReason::kWriteQueueFull);
  EXPECT_EQ(counter_value("transport.ws.write_queue_full"), before + 1);
}

TEST(Shards, CrossShardSendIsPostedToTheOwner) {
  Harness h(tcp_config(), 2);
  StreamClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)));
  ASSERT_TRUE(client.write(sip_request("OPTIONS", "x1")));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->flow.shard, msg->shard);
  const ShardId other = static_cast<ShardId>(1 - msg->flow.shard);
  // From the other shard (as a transaction on shard `other` answering down this flow would).
  auto r = h.run_on(other, [&] {
    EXPECT_FALSE(h.pool().on_shard(msg->flow.shard));
    return h.transport().send(msg->flow, sip_response(200, "x1"));
  });
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(client.read_message(), sip_response(200, "x1"));
  // From a thread that is no shard at all.
  ASSERT_TRUE(h.transport().send(msg->flow, sip_response(200, "x2")).has_value());
  EXPECT_EQ(client.read_message(), sip_response(200, "x2"));
  // The token decodes on any shard.
  const std::string token = h.transport().flow_token(msg->flow);
  auto decoded = h.run_on(other, [&] { return h.transport().decode_flow_token(token); });
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, msg->flow);
}

TEST(Shards, ConnectionsSpreadOverShardsAndStayThere) {
  Harness h(tcp_config(), 2);
  std::vector<std::unique_ptr<StreamClient>> clients;
  bool seen[2] = {false, false};
  for (int i = 0; i < 32 && !(seen[0] && seen[1]); ++i) {
    clients.push_back(std::make_unique<StreamClient>());
    ASSERT_TRUE(clients.back()->connect(h.endpoint(0)));
    ASSERT_TRUE(clients.back()->write(sip_request("OPTIONS", std::to_string(i))));
    auto msg = h.sink().wait_message();
    ASSERT_TRUE(msg);
    seen[msg->flow.shard] = true;
  }
  // SO_REUSEPORT hashes the 4-tuple; with 32 connections both shards get some (the chance of
  // all on one is 2^-31).
  EXPECT_TRUE(seen[0] && seen[1]);
}

}  // namespace
}  // namespace wimpu::transport::test
