// Write coalescing (issue 8 figure 2): the messages a connection is given during one turn of its
// shard leave in one socket write (transport.<proto>.writes counts the writes started), for TCP,
// TLS, WS and WSS; WebSocket control frames (pong, Close) stay whole and in order among them.
// The sends run inside one handler on the shard (Harness::run_on), so the count is exact.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <boost/asio/write.hpp>

#include "../src/cork_stream.hpp"
#include "test_support.hpp"

namespace wimpu::transport::test {
namespace {

struct Fixture {
  explicit Fixture(Protocol p) {
    ListenerConfig l;
    l.protocol = p;
    if (is_secure(p)) {
      l.tls.cert_file = cert.cert_file();
      l.tls.key_file = cert.key_file();
    }
    config.listeners = {l};
  }
  TestCert cert;
  TransportConfig config;
};

std::string counter_name(Protocol p, const char* event) {
  return "transport." + std::string(to_string(p)) + "." + event;
}

// Five replies of different sizes, one of them not UTF-8 (a binary frame, RFC 7118 §4.2).
std::vector<std::string> replies(const std::string& tag) {
  return {sip_response(200, tag + "-1"), sip_request("MESSAGE", tag + "-2", std::string(300, 'a')),
          sip_request("MESSAGE", tag + "-3", std::string("\xff\xfe\x01", 3)),
          sip_request("MESSAGE", tag + "-4", std::string(5000, 'b')), sip_response(486, tag + "-5")};
}

// Sends `msgs` on `flow` from inside one handler on shard 0; the writes that took.
std::uint64_t send_in_one_turn(Harness& h, Protocol p, FlowId flow,
                               const std::vector<std::string>& msgs) {
  const auto writes = counter_value(counter_name(p, "writes"));
  const auto out = counter_value(counter_name(p, "messages_out"));
  h.run_on(0, [&] {
    for (const std::string& m : msgs) {
      EXPECT_TRUE(h.transport().send(flow, m).has_value());
    }
    return 0;
  });
  // The deferred flush was posted from inside run_on's task; Asio queues such a post privately
  // until that task returns, and run_on may return to us first. A second barrier is posted only
  // after the first ran, hence after the flush.
  h.barrier();
  h.barrier();
  EXPECT_EQ(counter_value(counter_name(p, "messages_out")), out + msgs.size());
  return counter_value(counter_name(p, "writes")) - writes;
}

void ws_sends_of_one_turn_leave_in_one_write(Protocol p) {
  Fixture s(p);
  Harness h(s.config);
  WsClient client(is_secure(p), is_secure(p) ? s.cert.cert_file() : std::string{});
  ASSERT_TRUE(client.connect(h.endpoint(0)).upgraded);
  ASSERT_TRUE(client.send(sip_request("REGISTER", "one-turn"), false));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  const auto msgs = replies("ws");
  EXPECT_EQ(send_in_one_turn(h, p, msg->flow, msgs), 1u);
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    bool binary = false;
    EXPECT_EQ(client.read(kWait, &binary), msgs[i]) << i;
    EXPECT_EQ(binary, i == 2) << i;  // RFC 7118 §4.2: only the non-UTF-8 one is binary
  }
}

TEST(Coalesce, WsSendsOfOneTurnLeaveInOneWrite) {
  ws_sends_of_one_turn_leave_in_one_write(Protocol::kWs);
}

TEST(Coalesce, WssSendsOfOneTurnLeaveInOneWrite) {
  ws_sends_of_one_turn_leave_in_one_write(Protocol::kWss);
}

void stream_sends_of_one_turn_leave_in_one_write(Protocol p) {
  Fixture s(p);
  Harness h(s.config);
  StreamClient client(is_secure(p), is_secure(p) ? s.cert.cert_file() : std::string{},
                      is_secure(p) ? "localhost" : std::string{});
  ASSERT_TRUE(client.connect(h.endpoint(0)));
  ASSERT_TRUE(client.write(sip_request("REGISTER", "one-turn")));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  const auto msgs = replies("tcp");
  EXPECT_EQ(send_in_one_turn(h, p, msg->flow, msgs), 1u);  // one writev
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(client.read_message(), msgs[i]) << i;
  }
}

TEST(Coalesce, TcpSendsOfOneTurnLeaveInOneGatherWrite) {
  stream_sends_of_one_turn_leave_in_one_write(Protocol::kTcp);
}

TEST(Coalesce, TlsSendsOfOneTurnLeaveInOneWrite) {
  stream_sends_of_one_turn_leave_in_one_write(Protocol::kTls);
}

// Answers sent from inside on_message, for several requests that arrive in one segment, leave
// together: fewer writes than answers (the input batch ends when Beast reads the socket again).
TEST(Coalesce, AnswersToRequestsOfOneSegmentShareWrites) {
  Fixture s(Protocol::kTcp);
  Harness h(s.config);
  h.sink().on_message_hook = [&h](const InboundMessage& m) {
    const auto id = m.data.substr(m.data.find("Call-ID: ") + 9, 2);
    EXPECT_TRUE(h.transport().send(m.flow, sip_response(200, id)).has_value());
  };
  StreamClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)));
  const auto writes = counter_value("transport.tcp.writes");
  std::string segment;
  for (int i = 10; i < 18; ++i) {
    segment += sip_request("REGISTER", std::to_string(i));
  }
  ASSERT_TRUE(client.write(segment));
  for (int i = 10; i < 18; ++i) {
    EXPECT_EQ(client.read_message(), sip_response(200, std::to_string(i)));
  }
  // 8 answers; one segment is usually one read, hence one write; never one write per answer
  // unless the kernel split the segment into 8 reads.
  EXPECT_LT(counter_value("transport.tcp.writes") - writes, 8u);
}

// A large message among small ones: every frame arrives whole and in order (the 16 and 64-bit
// payload lengths of RFC 6455 §5.2), over TLS records too; a write takes at most ~64 KiB.
void large_and_small(Protocol p) {
  Fixture s(p);
  s.config.limits.max_ws_message_bytes = 256 * 1024;
  Harness h(s.config);
  WsClient client(is_secure(p), is_secure(p) ? s.cert.cert_file() : std::string{});
  ASSERT_TRUE(client.connect(h.endpoint(0)).upgraded);
  ASSERT_TRUE(client.send(sip_request("REGISTER", "large"), false));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  const std::vector<std::string> msgs = {
      sip_response(200, "s1"), sip_request("MESSAGE", "l1", std::string(100000, 'x')),
      sip_response(200, "s2"), sip_request("MESSAGE", "m1", std::string(126 - 80, 'y')),
      sip_request("MESSAGE", "l2", std::string(70000, 'z')), sip_response(200, "s3")};
  const auto writes = counter_value(counter_name(p, "writes"));
  send_in_one_turn(h, p, msg->flow, msgs);
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(client.read(), msgs[i]) << i;
  }
  // Counted once everything arrived: a write after the first starts when the first completes.
  const auto used = counter_value(counter_name(p, "writes")) - writes;
  EXPECT_GE(used, 2u);
  EXPECT_LE(used, 3u);
}

// Requests sent back to back arrive in the server's socket together: they are read in chunks
// larger than Beast's 1,536 bytes and handed to Beast from the transport's read buffer
// (CorkStream). Every message arrives whole and in order: frames that straddle a 1,536-byte or a
// 16 KiB read, a message larger than the read buffer, and a quiet connection afterwards.
void burst_of_requests(Protocol p) {
  Fixture s(p);
  s.config.limits.max_ws_message_bytes = 256 * 1024;
  Harness h(s.config);
  WsClient client(is_secure(p), is_secure(p) ? s.cert.cert_file() : std::string{});
  ASSERT_TRUE(client.connect(h.endpoint(0)).upgraded);
  std::vector<std::string> msgs;
  for (int i = 0; i < 60; ++i) {
    const std::size_t body = i == 30 ? 40000 : static_cast<std::size_t>(100 + (i * 397) % 2500);
    msgs.push_back(sip_request("MESSAGE", "burst-" + std::to_string(i), std::string(body, 'a')));
  }
  for (const std::string& m : msgs) {
    ASSERT_TRUE(client.send(m, false));
  }
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    auto m = h.sink().wait_message();
    ASSERT_TRUE(m) << i;
    EXPECT_EQ(m->data, msgs[i]) << i;
  }
  const std::string last = sip_request("REGISTER", "after-burst");
  ASSERT_TRUE(client.send(last, false));
  auto m = h.sink().wait_message();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->data, last);
}

TEST(Coalesce, WsBurstOfRequestsArrivesWholeAndInOrder) { burst_of_requests(Protocol::kWs); }
TEST(Coalesce, WssBurstOfRequestsArrivesWholeAndInOrder) { burst_of_requests(Protocol::kWss); }

TEST(Coalesce, WsLargeMessageAmongSmallOnes) { large_and_small(Protocol::kWs); }
TEST(Coalesce, WssLargeMessageAmongSmallOnes) { large_and_small(Protocol::kWss); }

// A client ping while replies are queued and in flight: Beast's pong goes through the same
// write path, whole, between data frames; no data frame is corrupted; the echo payload is right.
void ping_among_queued_writes(Protocol p) {
  Fixture s(p);
  Harness h(s.config);
  h.sink().on_message_hook = [&h](const InboundMessage& m) {
    const std::string tag = m.data.substr(m.data.find("Call-ID: ") + 9, 1);
    for (const std::string& r : replies(tag)) {
      EXPECT_TRUE(h.transport().send(m.flow, r).has_value());
    }
  };
  WsClient client(is_secure(p), is_secure(p) ? s.cert.cert_file() : std::string{});
  ASSERT_TRUE(client.connect(h.endpoint(0)).upgraded);
  ASSERT_TRUE(client.send(sip_request("REGISTER", "A"), false));
  ASSERT_TRUE(client.ping("p1"));
  ASSERT_TRUE(client.send(sip_request("REGISTER", "B"), false));
  ASSERT_TRUE(client.ping("p2"));
  for (const std::string tag : {"A", "B"}) {
    for (const std::string& r : replies(tag)) {
      EXPECT_EQ(client.read(), r);
    }
  }
  EXPECT_TRUE(client.wait_pongs(2));
  EXPECT_EQ(client.pongs(), (std::vector<std::string>{"p1", "p2"}));
  // Still usable afterwards.
  ASSERT_TRUE(client.send(sip_request("REGISTER", "C"), false));
  for (const std::string& r : replies("C")) {
    EXPECT_EQ(client.read(), r);
  }
}

TEST(Coalesce, WsPingAmongQueuedWrites) { ping_among_queued_writes(Protocol::kWs); }
TEST(Coalesce, WssPingAmongQueuedWrites) { ping_among_queued_writes(Protocol::kWss); }

// A close while replies are still queued (not yet written): kGoingAway writes them all, then the
// Close frame 1001 (RFC 6455 §7.4.1); kFlushWrites writes them and closes.
void close_with_queued_writes(Protocol p, CloseMode mode) {
  Fixture s(p);
  Harness h(s.config);
  WsClient client(is_secure(p), is_secure(p) ? s.cert.cert_file() : std::string{});
  ASSERT_TRUE(client.connect(h.endpoint(0)).upgraded);
  ASSERT_TRUE(client.send(sip_request("REGISTER", "closing"), false));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  const auto msgs = replies("bye");
  h.run_on(0, [&] {
    for (const std::string& m : msgs) {
      EXPECT_TRUE(h.transport().send(msg->flow, m).has_value());
    }
    h.transport().close(msg->flow, mode);
    // Draining: later sends are refused.
    EXPECT_FALSE(h.transport().send(msg->flow, "late").has_value());
    return 0;
  });
  for (const std::string& m : msgs) {
    EXPECT_EQ(client.read(), m);
  }
  EXPECT_TRUE(client.wait_closed());
  if (mode == CloseMode::kGoingAway) {
    EXPECT_EQ(client.close_code(), 1001);
  }
  EXPECT_EQ(h.sink().wait_close(msg->flow), CloseReason::kLocalClose);
}

TEST(Coalesce, WsGoingAwayWithQueuedWrites) {
  close_with_queued_writes(Protocol::kWs, CloseMode::kGoingAway);
}
TEST(Coalesce, WssGoingAwayWithQueuedWrites) {
  close_with_queued_writes(Protocol::kWss, CloseMode::kGoingAway);
}
TEST(Coalesce, WsFlushWritesWithQueuedWrites) {
  close_with_queued_writes(Protocol::kWs, CloseMode::kFlushWrites);
}

// The client closes while the server still has replies queued: the Close reply is whole, the
// flow ends once (kPeerClosed), nothing is written after the Close.
TEST(Coalesce, WsPeerCloseWithQueuedWrites) {
  Fixture s(Protocol::kWs);
  Harness h(s.config);
  WsClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)).upgraded);
  ASSERT_TRUE(client.send(sip_request("REGISTER", "peer"), false));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  send_in_one_turn(h, Protocol::kWs, msg->flow, replies("peer"));
  client.close();  // reads the replies away while waiting for the server's Close
  EXPECT_EQ(h.sink().wait_close(msg->flow), CloseReason::kPeerClosed);
  h.barrier();
  EXPECT_EQ(h.sink().close_count(msg->flow), 1);
}

// CorkStream's read buffer is taken only for bytes the kernel already holds: a read that waits
// for the peer after one that exactly filled Beast's buffer (a burst ending on its boundary,
// then an idle WIC) holds no 16 KiB buffer while it waits (issue 8 figure 3).
TEST(Coalesce, ReadWaitingForThePeerHoldsNoReadBuffer) {
  namespace asio = boost::asio;
  using detail::Socket;
  asio::io_context io;
  detail::Acceptor acceptor(io.get_executor(),
                            asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  Socket peer(io.get_executor());
  peer.connect(acceptor.local_endpoint());
  detail::CorkStream<Socket> cork(acceptor.accept());

  const std::string burst(64, 'x');
  asio::write(peer, asio::buffer(burst));
  std::string got(burst.size(), '\0');
  std::size_t n = 0;
  while (n < got.size()) {  // fills the reader's buffer exactly: the next read may be a burst
    bool done = false;
    cork.async_read_some(asio::buffer(got.data() + n, got.size() - n),
                         [&](detail::error_code ec, std::size_t k) {
                           EXPECT_FALSE(ec) << ec.message();
                           n += ec ? got.size() : k;
                           done = true;
                         });
    while (!done) {
      io.run_one();
    }
  }
  EXPECT_EQ(got, burst);

  std::string next(16, '\0');
  bool done = false;
  std::size_t k = 0;
  cork.async_read_some(asio::buffer(next), [&](detail::error_code ec, std::size_t m) {
    EXPECT_FALSE(ec) << ec.message();
    k = m;
    done = true;
  });
  io.poll();
  EXPECT_FALSE(done);
  EXPECT_FALSE(cork.holds_read_buffer());  // nothing queued: the read waits in Beast's buffer

  asio::write(peer, asio::buffer(std::string("hello")));
  io.restart();  // poll() stopped the context when nothing was ready
  while (!done) {
    io.run_one();
  }
  EXPECT_EQ(next.substr(0, k), "hello");
  EXPECT_FALSE(cork.holds_read_buffer());
}

}  // namespace
}  // namespace wimpu::transport::test
