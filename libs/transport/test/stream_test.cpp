// UDP, TCP and TLS over real loopback sockets (IPv4 and IPv6), ephemeral ports.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace wimpu::transport::test {
namespace {

ListenerConfig listener(Protocol p, const std::string& address = "127.0.0.1") {
  ListenerConfig l;
  l.protocol = p;
  l.address = address;
  return l;
}

TEST(Udp, RoundTripV4AndV6) {
  TransportConfig cfg;
  cfg.listeners = {listener(Protocol::kUdp), listener(Protocol::kUdp, "::1")};
  Harness h(cfg);
  answer_requests(h);
  ASSERT_NE(h.endpoint(0).port, 0);
  for (int family = 0; family < 2; ++family) {
    UdpClient client(family == 1);
    ASSERT_TRUE(client.send(h.endpoint(static_cast<ListenerId>(family)),
                            sip_request("OPTIONS", "udp" + std::to_string(family))));
    auto msg = h.sink().wait_message();
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->protocol, Protocol::kUdp);
    EXPECT_EQ(msg->remote, client.local_endpoint());
    EXPECT_EQ(msg->local, h.endpoint(static_cast<ListenerId>(family)));
    EXPECT_EQ(msg->listener, family);
    EXPECT_FALSE(msg->flow.valid());
    Endpoint from;
    auto reply = client.receive(kWait, &from);
    ASSERT_TRUE(reply);
    EXPECT_TRUE(reply->starts_with("SIP/2.0 200"));
    EXPECT_EQ(from, h.endpoint(static_cast<ListenerId>(family)));  // RFC 3261 §18.2.2
  }
}

TEST(Udp, CrlfKeepAliveDatagramIsNotDelivered) {
  TransportConfig cfg;
  cfg.listeners = {listener(Protocol::kUdp)};
  Harness h(cfg);
  const auto before = counter_value("transport.udp_keepalive_ignored");
  UdpClient client;
  client.send(h.endpoint(0), "\r\n\r\n");
  client.send(h.endpoint(0), sip_request("OPTIONS", "after-keepalive"));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  EXPECT_NE(msg->data.find("after-keepalive"), std::string::npos);
  EXPECT_EQ(counter_value("transport.udp_keepalive_ignored"), before + 1);
}

TEST(Udp, FlowOnDemandCarriesLaterDatagramsAndSends) {
  TransportConfig cfg;
  cfg.listeners = {listener(Protocol::kUdp)};
  Harness h(cfg);
  UdpClient client;
  client.send(h.endpoint(0), sip_request("REGISTER", "r1"));
  auto first = h.sink().wait_message();
  ASSERT_TRUE(first);
  auto flow = h.run_on(first->shard, [&] {
    return h.transport().udp_flow(first->listener, first->remote);
  });
  ASSERT_TRUE(flow.has_value());
  auto again = h.run_on(first->shard, [&] {
    return h.transport().udp_flow(first->listener, first->remote);
  });
  EXPECT_EQ(*again, *flow);  // one flow per 5-tuple
  EXPECT_TRUE(h.transport().is_live(*flow));
  client.send(h.endpoint(0), sip_request("OPTIONS", "r2"));
  auto second = h.sink().wait_message();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->flow, *flow);
  ASSERT_TRUE(h.transport().send(*flow, sip_response(200, "r2")).has_value());
  EXPECT_TRUE(client.receive());
  h.transport().close(*flow);
  EXPECT_EQ(h.sink().wait_close(*flow), CloseReason::kLocalClose);
  EXPECT_EQ(h.transport().send(*flow, "x").error(), SendError::kFlowDead);
}

TEST(Udp, FlowEndsAfterIdleTimeout) {
  TransportConfig cfg;
  cfg.listeners = {listener(Protocol::kUdp)};
  cfg.timers.udp_flow_idle_timeout = 50ms;
  Harness h(cfg);
  auto flow = h.run_on(0, [&] { return h.transport().udp_flow(0, {{}, 9}); });
  ASSERT_TRUE(flow.has_value());
  EXPECT_EQ(h.sink().wait_close(*flow), CloseReason::kIdleTimeout);
}

TEST(Tcp, FramingSeveralMessagesInOneSegmentAndOneSplitAcrossMany) {
  TransportConfig cfg;
  cfg.listeners = {listener(Protocol::kTcp)};
  Harness h(cfg);
  StreamClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)));
  const std::string a = sip_request("INVITE", "a", "v=0\r\n");
  const std::string b = sip_request("OPTIONS", "b");
  const std::string c = sip_request("MESSAGE", "c", std::string(3000, 'x'));
  ASSERT_TRUE(client.write(a + b));
  for (std::size_t i = 0; i < c.size(); i += 7) {
    ASSERT_TRUE(client.write(std::string_view(c).substr(i, 7)));
  }
  std::vector<std::string> got;
  FlowId flow;
  for (int i = 0; i < 3; ++i) {
    auto msg = h.sink().wait_message();
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->protocol, Protocol::kTcp);
    EXPECT_EQ(msg->remote, client.local_endpoint());
    if (i > 0) {
      EXPECT_EQ(msg->flow, flow);  // all on one connection
    }
    flow = msg->flow;
    got.push_back(msg->data);
  }
  EXPECT_EQ(got, (std::vector<std::string>{a, b, c}));
}

TEST(Tcp, ReplyOnTheSameConnection) {
  TransportConfig cfg;
  cfg.listeners = {listener(Protocol::kTcp), listener(Protocol::kTcp, "::1")};
  Harness h(cfg);
  answer_requests(h);
  for (ListenerId l = 0; l < 2; ++l) {
    StreamClient client;
    ASSERT_TRUE(client.connect(h.endpoint(l)));
    ASSERT_TRUE(client.write(sip_request("OPTIONS", "reply" + std::to_string(l))));
    auto reply = client.read_message();
    ASSERT_TRUE(reply);
    EXPECT_EQ(*reply, sip_response(200, "reply" + std::to_string(l)));
  }
}

TEST(Tcp, CrlfCrlfPingIsAnsweredWithCrlfPong) {
  TransportConfig cfg;
  cfg.listeners = {listener(Protocol::kTcp)};
  Harness h(cfg);
  answer_requests(h);
  const auto before = counter_value("transport.tcp.keepalive_ping");
  StreamClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)));
  ASSERT_TRUE(client.write("\r\n\r\n"));
  EXPECT_EQ(client.read_bytes(2), "\r\n");  // RFC 5626 §3.5.1
  // The connection still frames messages after a ping.
  ASSERT_TRUE(client.write("\r\n\r\n" + sip_request("OPTIONS", "p")));
  EXPECT_EQ(client.read_bytes(2), "\r\n");
  EXPECT_EQ(client.read_message(), sip_response(200, "p"));
  EXPECT_EQ(counter_value("transport.tcp.keepalive_ping"), before + 2);
}

TEST(Tcp, MissingContentLengthClosesAndCounts) {
  TransportConfig cfg;
  cfg.listeners = {listener(Protocol::kTcp)};
  Harness h(cfg);
  const auto before = counter_value("transport.tcp.framing.missing_content_length");
  StreamClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)));
  ASSERT_TRUE(client.write(sip_request("OPTIONS", "ok")));
  auto ok = h.sink().wait_message();
  ASSERT_TRUE(ok);
  ASSERT_TRUE(client.write(sip_request_without_length("OPTIONS", "bad")));
  EXPECT_TRUE(client.wait_closed());
  EXPECT_EQ(h.sink().wait_close(ok->flow), CloseReason::kFramingError);
  EXPECT_EQ(counter_value("transport.tcp.framing.missing_content_length"), before + 1);
  EXPECT_FALSE(h.sink().wait_message(0ms));  // RFC 3261 §18.3: nothing delivered
}

TEST(Tcp, OversizeHeaderAndBodyAreRejected) {
  TransportConfig cfg;
  cfg.listeners = {listener(Protocol::kTcp)};
  cfg.limits.max_header_bytes = 512;
  cfg.limits.max_body_bytes = 100;
  Harness h(cfg);
  const auto header_before = counter_value("transport.tcp.framing.header_too_large");
  const auto body_before = counter_value("transport.tcp.framing.body_too_large");
  {
    StreamClient client;
    ASSERT_TRUE(client.connect(h.endpoint(0)));
    ASSERT_TRUE(client.write("OPTIONS sip:x SIP/2.0\r\nX: " + std::string(600, 'a')));
    EXPECT_TRUE(client.wait_closed());
  }
  {
    StreamClient client;
    ASSERT_TRUE(client.connect(h.endpoint(0)));
    ASSERT_TRUE(client.write(sip_request("MESSAGE", "big", std::string(101, 'b'))));
    EXPECT_TRUE(client.wait_closed());
  }
  for (int i = 0; i < 2; ++i) {
    auto c = h.sink().wait_any_close();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->reason, CloseReason::kMessageTooLarge);
  }
  EXPECT_EQ(counter_value("transport.tcp.framing.header_too_large"), header_before + 1);
  EXPECT_EQ(counter_value("transport.tcp.framing.body_too_large"), body_before + 1);
}

TEST(Tcp, OutgoingConnectOnDemandIsReused) {
  TransportConfig cfg;
  cfg.listeners = {listener(Protocol::kTcp)};
  Harness h(cfg);
  Destination d;
  d.protocol = Protocol::kTcp;
  d.remote = h.endpoint(0);  // ourselves: the listener receives what the client side sends
  auto first = h.run_on(0, [&] { return h.transport().send_to(d, sip_request("OPTIONS", "o1")); });
  auto second =
      h.run_on(0, [&] { return h.transport().send_to(d, sip_request("OPTIONS", "o2")); });
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*first, *second);
  auto m1 = h.sink().wait_message();
  auto m2 = h.sink().wait_message();
  ASSERT_TRUE(m1 && m2);
  EXPECT_NE(m1->data.find("o1"), std::string::npos);
  EXPECT_NE(m2->data.find("o2"), std::string::npos);
  EXPECT_EQ(m1->flow, m2->flow);   // one inbound connection
  EXPECT_NE(m1->flow, *first);     // the accepted side has its own flow
  // A reply on the inbound flow comes back to the outgoing flow.
  ASSERT_TRUE(h.transport().send(m1->flow, sip_response(200, "o1")).has_value());
  auto reply = h.sink().wait_message();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->flow, *first);
  EXPECT_EQ(reply->listener, kAnyListener);
}

TEST(Tcp, ConnectFailureIsReportedAsFlowClosed) {
  TransportConfig cfg;
  cfg.listeners = {listener(Protocol::kTcp)};
  Harness h(cfg);
  // A port nobody listens on: bind one, note it, close it.
  Endpoint dead;
  {
    StreamClient probe;
    ASSERT_TRUE(probe.connect(h.endpoint(0)));
    dead = probe.local_endpoint();
  }
  h.sink().wait_any_close();
  Destination d;
  d.protocol = Protocol::kTcp;
  d.remote = dead;
  auto flow = h.run_on(0, [&] { return h.transport().send_to(d, sip_request("OPTIONS", "x")); });
  ASSERT_TRUE(flow.has_value());
  EXPECT_EQ(h.sink().wait_close(*flow), CloseReason::kConnectFailed);
}

TEST(Tls, RoundTripWithVerifiedCertificate) {
  TestCert cert;
  TransportConfig cfg;
  cfg.listeners = {tls_listener(cert)};
  Harness h(cfg);
  answer_requests(h);
  StreamClient client(true, cert.cert_file(), "localhost");
  ASSERT_TRUE(client.connect(h.endpoint(0)));
  ASSERT_TRUE(client.write(sip_request("OPTIONS", "tls1")));
  EXPECT_EQ(client.read_message(), sip_response(200, "tls1"));
  ASSERT_TRUE(client.write("\r\n\r\n"));
  EXPECT_EQ(client.read_bytes(2), "\r\n");
}

TEST(Tls, OutgoingClientVerifiesTheServerName) {
  TestCert cert;
  TransportConfig cfg;
  cfg.listeners = {tls_listener(cert)};
  cfg.tls_client.ca_file = cert.cert_file();
  cfg.tls_client.verify_peer = true;
  Harness h(cfg);
  Destination good;
  good.protocol = Protocol::kTls;
  good.remote = h.endpoint(0);
  good.host = "localhost";
  auto flow = h.run_on(0, [&] { return h.transport().send_to(good, sip_request("OPTIONS", "t")); });
  ASSERT_TRUE(flow.has_value());
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->protocol, Protocol::kTls);
  EXPECT_NE(msg->data.find("Call-ID: t"), std::string::npos);

  Destination wrong_name = good;
  wrong_name.host = "not-the-server.example";
  const auto before = counter_value("transport.tls.handshake_failed");
  auto bad =
      h.run_on(0, [&] { return h.transport().send_to(wrong_name, sip_request("OPTIONS", "u")); });
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(h.sink().wait_close(*bad), CloseReason::kHandshakeFailed);
  EXPECT_GE(counter_value("transport.tls.handshake_failed"), before + 1);
}

// TlsStream: a message larger than a TLS record (2^14 bytes) arrives in many reads; several
// queued messages leave gathered into records, each write possibly partial.
TEST(Tls, LargeMessagesCrossManyRecordsBothWays) {
  TestCert cert;
  TransportConfig cfg;
  cfg.listeners = {tls_listener(cert)};
  cfg.limits.max_body_bytes = 256 * 1024;
  Harness h(cfg);
  StreamClient client(true, cert.cert_file(), "localhost");
  ASSERT_TRUE(client.connect(h.endpoint(0)));
  const std::string big = sip_request("MESSAGE", "big1", std::string(100000, 'x'));
  ASSERT_TRUE(client.write(big));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->data, big);
  const std::string back1 = sip_request("MESSAGE", "back1", std::string(40000, 'y'));
  const std::string back2 = sip_request("MESSAGE", "back2", std::string(30, 'z'));
  const std::string back3 = sip_request("MESSAGE", "back3", std::string(20000, 'w'));
  ASSERT_TRUE(h.transport().send(msg->flow, back1));
  ASSERT_TRUE(h.transport().send(msg->flow, back2));
  ASSERT_TRUE(h.transport().send(msg->flow, back3));
  EXPECT_EQ(client.read_message(), back1);
  EXPECT_EQ(client.read_message(), back2);
  EXPECT_EQ(client.read_message(), back3);
}

TEST(Transport, SendToOffShardIsRefused) {
  TransportConfig cfg;
  cfg.listeners = {listener(Protocol::kUdp)};
  Harness h(cfg);
  Destination d;
  d.remote = h.endpoint(0);
  EXPECT_EQ(h.transport().send_to(d, "x").error(), SendError::kNotOnShard);
  EXPECT_EQ(h.transport().send(FlowId{}, "x").error(), SendError::kFlowDead);
  EXPECT_EQ(h.transport().send(FlowId{7, 0, 1}, "x").error(), SendError::kFlowDead);
}

TEST(Transport, StartupErrorsAreReported) {
  ShardPool pool(1);
  TransportConfig bad_address;
  bad_address.listeners = {listener(Protocol::kUdp, "not-an-address")};
  EXPECT_FALSE(NetTransport::create(pool, bad_address).has_value());
  TransportConfig no_cert;
  no_cert.listeners = {listener(Protocol::kTls)};
  auto r = NetTransport::create(pool, no_cert);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("cert"), std::string::npos);
}

}  // namespace
}  // namespace wimpu::transport::test
