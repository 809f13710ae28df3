// WebSocket (RFC 7118) over real loopback sockets: a Beast client sends SIP in text and binary
// frames and reads the reply on the same connection; handshake refusals; outgoing WS.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "test_support.hpp"

namespace wimpu::transport::test {
namespace {

struct WsSetup {
  explicit WsSetup(Protocol p, TestCert* cert = nullptr) {
    ListenerConfig l;
    l.protocol = p;
    if (cert != nullptr) {
      l.tls.cert_file = cert->cert_file();
      l.tls.key_file = cert->key_file();
      config.tls_client.ca_file = cert->cert_file();
    }
    config.listeners = {l};
  }
  TransportConfig config;
};

// What the hook saw (it runs on a shard thread).
struct Seen {
  std::mutex mutex;
  std::vector<std::pair<Protocol, Endpoint>> requests;
};

// An allow-list hook as the eP-CSCF would install (RFC 7118 App. A.1).
WsHandshakeHook origin_hook(Seen* seen = nullptr) {
  return [seen](const WsHandshakeRequest& r) {
    if (seen != nullptr) {
      std::lock_guard lock(seen->mutex);
      seen->requests.emplace_back(r.protocol, r.remote);
    }
    if (r.origin == "https://evil.example") {
      return WsHandshakeDecision::forbidden();
    }
    if (r.target == "/needs-auth" && r.cookie.find("session=") == std::string_view::npos) {
      return WsHandshakeDecision::unauthorized("Bearer realm=\"wimpu\"");
    }
    return WsHandshakeDecision::accept();
  };
}

void echo_replies(Harness& h) {
  h.sink().on_message_hook = [&h](const InboundMessage& msg) {
    if (!msg.data.starts_with("SIP/2.0")) {
      EXPECT_TRUE(h.transport().send(msg.flow, "SIP/2.0 200 OK\r\nX-Echo: " +
                                                   std::to_string(msg.data.size()) + "\r\n\r\n")
                      .has_value());
    }
  };
}

void text_and_binary_round_trip(Harness& h, WsClient& client, Protocol p) {
  const auto hs = client.connect(h.endpoint(0), "/ws?user=1", "sip", "https://wic.example",
                                 "session=abc");
  ASSERT_TRUE(hs.upgraded);
  EXPECT_EQ(hs.status, 101);
  EXPECT_EQ(hs.subprotocol, "sip");  // RFC 7118 §4.1: echoed in the 101

  const std::string text = sip_request_without_length("REGISTER", "ws-text");  // §5: no C-L
  std::string binary = sip_request("MESSAGE", "ws-bin", std::string("\xff\xfe body", 7));
  ASSERT_TRUE(client.send(text, false));
  auto m1 = h.sink().wait_message();
  ASSERT_TRUE(m1);
  EXPECT_EQ(m1->data, text);
  EXPECT_EQ(m1->protocol, p);
  EXPECT_EQ(m1->remote, client.local_endpoint());
  ASSERT_TRUE(m1->ws);
  EXPECT_EQ(m1->ws->origin, "https://wic.example");
  EXPECT_EQ(m1->ws->target, "/ws?user=1");
  EXPECT_EQ(m1->ws->cookie, "session=abc");
  bool was_binary = true;
  auto r1 = client.read(kWait, &was_binary);
  ASSERT_TRUE(r1);
  EXPECT_EQ(*r1, "SIP/2.0 200 OK\r\nX-Echo: " + std::to_string(text.size()) + "\r\n\r\n");
  EXPECT_FALSE(was_binary);  // valid UTF-8 goes as text

  ASSERT_TRUE(client.send(binary, true));
  auto m2 = h.sink().wait_message();
  ASSERT_TRUE(m2);
  EXPECT_EQ(m2->data, binary);  // RFC 7118 §4.2: binary frames accepted
  EXPECT_EQ(m2->flow, m1->flow);
  EXPECT_TRUE(client.read());

  // Non-UTF-8 from us must go in a binary frame (§4.2).
  ASSERT_TRUE(h.transport().send(m1->flow, "SIP/2.0 200 OK\r\nX: \xff\r\n\r\n").has_value());
  auto r3 = client.read(kWait, &was_binary);
  ASSERT_TRUE(r3);
  EXPECT_TRUE(was_binary);

  // The UTF-8 check skips ASCII 8 octets at a time: sequences before, across and after such a
  // word, and at the very end. RFC 3629: overlong forms, surrogates and truncated sequences are
  // not UTF-8. The client's Beast fails a text frame that is not UTF-8 (RFC 6455 §8.1).
  const std::string head = "SIP/2.0 200 OK\r\nX-Long-Header: ";
  const std::vector<std::pair<std::string, bool>> cases = {
      {head + "caf\xc3\xa9 ok\r\n\r\n", false},         // 2 octets (U+00E9)
      {head + "abcdefg\xe2\x82\xac\r\n\r\n", false},    // 3 octets (U+20AC) across a word
      {head + "\xf0\x9f\x98\x80\r\n\r\n", false},       // 4 octets (U+1F600)
      {head + "abcdefghijk\xff\r\n\r\n", true},           // invalid octet after ASCII words
      {head + "\xc0\xaf overlong\r\n\r\n", true},        // overlong '/'
      {head + "\xed\xa0\x80 surrogate\r\n\r\n", true},  // U+D800
      {head + "\r\n\r\ntruncated \xe2\x82", true},       // sequence cut at the end
  };
  for (const auto& [message, binary_expected] : cases) {
    ASSERT_TRUE(h.transport().send(m1->flow, message).has_value());
    auto r = client.read(kWait, &was_binary);
    ASSERT_TRUE(r) << message;
    EXPECT_EQ(*r, message);
    EXPECT_EQ(was_binary, binary_expected) << message;
  }
}

TEST(Ws, TextAndBinaryFramesRoundTrip) {
  WsSetup s(Protocol::kWs);
  Harness h(s.config, 1, origin_hook());
  echo_replies(h);
  WsClient client;
  text_and_binary_round_trip(h, client, Protocol::kWs);
}

TEST(Wss, TextAndBinaryFramesRoundTrip) {
  TestCert cert;
  WsSetup s(Protocol::kWss, &cert);
  Harness h(s.config, 1, origin_hook());
  echo_replies(h);
  WsClient client(true, cert.cert_file());
  text_and_binary_round_trip(h, client, Protocol::kWss);
}

// TlsStream under Beast: WebSocket messages over several TLS records each way (the header and
// the payload of one frame leave as one record).
TEST(Wss, LargeMessagesCrossManyRecordsBothWays) {
  TestCert cert;
  WsSetup s(Protocol::kWss, &cert);
  Harness h(s.config, 1, origin_hook());
  WsClient client(true, cert.cert_file());
  ASSERT_TRUE(client.connect(h.endpoint(0)).upgraded);
  const std::string big = sip_request("MESSAGE", "big1", std::string(50000, 'x'));
  ASSERT_TRUE(client.send(big, false));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->data, big);
  const std::string back1 = sip_request("MESSAGE", "back1", std::string(40000, 'y'));
  const std::string back2 = sip_request("MESSAGE", "back2", std::string(30, 'z'));
  ASSERT_TRUE(h.transport().send(msg->flow, back1));
  ASSERT_TRUE(h.transport().send(msg->flow, back2));
  EXPECT_EQ(client.read(), back1);
  EXPECT_EQ(client.read(), back2);
}

TEST(Ws, HandshakeWithoutSipSubprotocolIsRefusedWith400) {
  WsSetup s(Protocol::kWs);
  Harness h(s.config, 1, origin_hook());
  const auto before = counter_value("transport.ws.handshake_no_sip_subprotocol");
  for (const std::string proto : {"", "chat", "sip2, xsip"}) {
    WsClient client;
    const auto hs = client.connect(h.endpoint(0), "/ws", proto);
    EXPECT_FALSE(hs.upgraded) << proto;
    EXPECT_EQ(hs.status, 400) << proto;
  }
  EXPECT_EQ(counter_value("transport.ws.handshake_no_sip_subprotocol"), before + 3);
  // "sip" among other offers is fine.
  WsClient ok;
  const auto hs = ok.connect(h.endpoint(0), "/ws", "chat, sip");
  EXPECT_TRUE(hs.upgraded);
  EXPECT_EQ(hs.subprotocol, "sip");
}

TEST(Ws, HookRefusesOriginWith403AndMissingCookieWith401) {
  WsSetup s(Protocol::kWs);
  Seen seen;
  Harness h(s.config, 1, origin_hook(&seen));
  const auto before = counter_value("transport.ws.handshake_refused_by_hook");
  WsClient evil;
  const auto hs = evil.connect(h.endpoint(0), "/ws", "sip", "https://evil.example");
  EXPECT_FALSE(hs.upgraded);
  EXPECT_EQ(hs.status, 403);
  WsClient anonymous;
  const auto hs2 = anonymous.connect(h.endpoint(0), "/needs-auth");
  EXPECT_FALSE(hs2.upgraded);
  EXPECT_EQ(hs2.status, 401);
  EXPECT_EQ(hs2.www_authenticate, "Bearer realm=\"wimpu\"");
  EXPECT_EQ(counter_value("transport.ws.handshake_refused_by_hook"), before + 2);
  {
    std::lock_guard lock(seen.mutex);
    ASSERT_EQ(seen.requests.size(), 2U);
    EXPECT_EQ(seen.requests[0].first, Protocol::kWs);
    EXPECT_EQ(seen.requests[0].second, evil.local_endpoint());
  }
  // Refused connections never became flows.
  h.barrier();
  EXPECT_FALSE(h.sink().wait_any_close(0ms));
}

TEST(Wss, HookRefusesOriginWith403) {
  TestCert cert;
  WsSetup s(Protocol::kWss, &cert);
  Harness h(s.config, 1, origin_hook());
  WsClient evil(true, cert.cert_file());
  const auto hs = evil.connect(h.endpoint(0), "/ws", "sip", "https://evil.example");
  EXPECT_FALSE(hs.upgraded);
  EXPECT_EQ(hs.status, 403);
}

TEST(Ws, ClientCloseIsReportedOnce) {
  WsSetup s(Protocol::kWs);
  Harness h(s.config);
  WsClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)).upgraded);
  ASSERT_TRUE(client.send(sip_request("REGISTER", "c"), false));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  client.close();
  EXPECT_EQ(h.sink().wait_close(msg->flow), CloseReason::kPeerClosed);
  h.barrier();
  EXPECT_EQ(h.sink().close_count(msg->flow), 1);
  EXPECT_FALSE(h.transport().is_live(msg->flow));
}

TEST(Ws, CloseAfterFlushDeliversTheLastMessage) {
  WsSetup s(Protocol::kWs);
  Harness h(s.config);
  h.sink().on_message_hook = [&h](const InboundMessage& msg) {
    EXPECT_TRUE(h.transport().send(msg.flow, sip_response(403, "last")).has_value());
    h.transport().close(msg.flow, CloseMode::kFlushWrites);
  };
  WsClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)).upgraded);
  ASSERT_TRUE(client.send(sip_request("REGISTER", "last"), false));
  EXPECT_EQ(client.read(), sip_response(403, "last"));
  EXPECT_TRUE(client.wait_closed());
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  EXPECT_EQ(h.sink().wait_close(msg->flow), CloseReason::kLocalClose);
}

// Issue 7 drain: a WS/WSS flow closed with kGoingAway ends with a Close frame 1001 (RFC 6455
// §7.4.1), not a bare TCP close (1006 in the browser); what was queued before still arrives.
// kPolicyClose (an admin kick) does the same with 1008.
void closing_handshake_sends(Protocol p, CloseMode mode, int code, const std::string& counter) {
  TestCert cert;
  WsSetup s(p, is_secure(p) ? &cert : nullptr);
  Harness h(s.config);
  h.sink().on_message_hook = [&h, mode](const InboundMessage& msg) {
    EXPECT_TRUE(h.transport().send(msg.flow, sip_response(200, "bye")).has_value());
    h.transport().close(msg.flow, mode);
  };
  const std::string name = "transport." + std::string(to_string(p)) + "." + counter;
  const auto before = counter_value(name);
  WsClient client(is_secure(p), is_secure(p) ? cert.cert_file() : std::string{});
  ASSERT_TRUE(client.connect(h.endpoint(0)).upgraded);
  ASSERT_TRUE(client.send(sip_request("REGISTER", "bye"), false));
  EXPECT_EQ(client.read(), sip_response(200, "bye"));
  EXPECT_TRUE(client.wait_closed());
  EXPECT_EQ(client.close_code(), code);
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  EXPECT_EQ(h.sink().wait_close(msg->flow), CloseReason::kLocalClose);
  EXPECT_EQ(counter_value(name), before + 1);
}

TEST(Ws, GoingAwaySendsCloseFrame1001) {
  closing_handshake_sends(Protocol::kWs, CloseMode::kGoingAway, 1001, "going_away_sent");
}
TEST(Wss, GoingAwaySendsCloseFrame1001) {
  closing_handshake_sends(Protocol::kWss, CloseMode::kGoingAway, 1001, "going_away_sent");
}
TEST(Ws, PolicyCloseSendsCloseFrame1008) {
  closing_handshake_sends(Protocol::kWs, CloseMode::kPolicyClose, 1008, "policy_close_sent");
}
TEST(Wss, PolicyCloseSendsCloseFrame1008) {
  closing_handshake_sends(Protocol::kWss, CloseMode::kPolicyClose, 1008, "policy_close_sent");
}

// A draining stop (wimpud SIGTERM): every WebSocket peer gets 1001, every flow is reported
// closed with kShutdown, and stop() returns once the peers answered.
TEST(Ws, StopWithGoingAwayClosesEveryFlowWith1001) {
  WsSetup s(Protocol::kWs);
  s.config.timers.ws_close_timeout = 30s;  // the peers answer: stop() must not need it
  s.config.timers.handshake_timeout = 30s;
  Harness h(s.config, 2);
  WsClient a;
  WsClient b;
  ASSERT_TRUE(a.connect(h.endpoint(0)).upgraded);
  ASSERT_TRUE(b.connect(h.endpoint(0)).upgraded);
  ASSERT_TRUE(a.send(sip_request("REGISTER", "a"), false));
  ASSERT_TRUE(b.send(sip_request("REGISTER", "b"), false));
  auto ma = h.sink().wait_message();
  auto mb = h.sink().wait_message();
  ASSERT_TRUE(ma && mb);
  // stop() blocks until the clients answer; they run on this thread.
  auto stopped = std::async(std::launch::async,
                            [&h] { h.transport().stop(CloseMode::kGoingAway); });
  EXPECT_TRUE(a.wait_closed(10s));
  EXPECT_TRUE(b.wait_closed(10s));
  EXPECT_EQ(stopped.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(a.close_code(), 1001);
  EXPECT_EQ(b.close_code(), 1001);
  EXPECT_EQ(h.sink().wait_close(ma->flow), CloseReason::kShutdown);
  EXPECT_EQ(h.sink().wait_close(mb->flow), CloseReason::kShutdown);
}

// A peer that never answers the Close frame: the TCP connection ends after ws_close_timeout.
TEST(Ws, GoingAwayWithoutAnAnswerClosesAfterTheCloseTimeout) {
  WsSetup s(Protocol::kWs);
  s.config.timers.ws_close_timeout = 50ms;
  Harness h(s.config);
  WsClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)).upgraded);
  ASSERT_TRUE(client.send(sip_request("REGISTER", "mute"), false));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  h.transport().close(msg->flow, CloseMode::kGoingAway);
  // The client does not read, so it never answers; the flow still ends.
  EXPECT_EQ(h.sink().wait_close(msg->flow), CloseReason::kLocalClose);
}

TEST(Ws, UnansweredPingClosesTheFlowOnce) {
  WsSetup s(Protocol::kWs);
  s.config.timers.ws_ping_interval = 30ms;
  s.config.timers.ws_pong_timeout = 60ms;
  Harness h(s.config);
  const auto before = counter_value("transport.ws.pong_timeout");
  WsClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)).upgraded);
  ASSERT_TRUE(client.send(sip_request("REGISTER", "p"), false));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  // The client never reads, so Beast never answers the server's pings.
  EXPECT_EQ(h.sink().wait_close(msg->flow), CloseReason::kKeepAliveTimeout);
  h.barrier();
  EXPECT_EQ(h.sink().close_count(msg->flow), 1);
  EXPECT_EQ(counter_value("transport.ws.pong_timeout"), before + 1);
}

// Many flows on one shard's DeadlineQueue: each ends once, at its own deadline and for its own
// reason (pings sent, pongs missing; a TCP connection that never sends its upgrade request).
TEST(Ws, ManyFlowsEachEndAtTheirOwnDeadline) {
  WsSetup s(Protocol::kWs);
  s.config.timers.ws_ping_interval = 30ms;
  s.config.timers.ws_pong_timeout = 60ms;
  s.config.timers.handshake_timeout = 150ms;
  Harness h(s.config);
  const auto pong_before = counter_value("transport.ws.pong_timeout");
  const auto handshake_before = counter_value("transport.ws.handshake_timeout");
  constexpr int kClients = 12;
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<WsClient>());
    ASSERT_TRUE(clients.back()->connect(h.endpoint(0)).upgraded);  // never reads: no pongs
  }
  StreamClient silent;
  ASSERT_TRUE(silent.connect(h.endpoint(0)));
  std::vector<FlowId> closed;
  for (int i = 0; i < kClients; ++i) {
    auto c = h.sink().wait_any_close();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->reason, CloseReason::kKeepAliveTimeout);
    EXPECT_EQ(std::count(closed.begin(), closed.end(), c->flow), 0);
    closed.push_back(c->flow);
  }
  EXPECT_TRUE(silent.wait_closed());  // the handshake deadline (not reported: never handed out)
  h.barrier();
  EXPECT_EQ(counter_value("transport.ws.pong_timeout"), pong_before + kClients);
  EXPECT_EQ(counter_value("transport.ws.handshake_timeout"), handshake_before + 1);
  EXPECT_EQ(h.run_on(0, [&h] { return h.transport().live_flows_on_shard(0); }), 0u);
}

TEST(Ws, AnsweredPingsKeepTheFlow) {
  WsSetup s(Protocol::kWs);
  s.config.timers.ws_ping_interval = 20ms;
  s.config.timers.ws_pong_timeout = 2s;
  Harness h(s.config);
  WsClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)).upgraded);
  ASSERT_TRUE(client.send(sip_request("REGISTER", "k"), false));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  ASSERT_TRUE(client.answer_pings(5));  // a pong after each, sent by Beast while reading
  EXPECT_TRUE(h.transport().is_live(msg->flow));
}

TEST(Ws, OversizeMessageClosesTheFlow) {
  WsSetup s(Protocol::kWs);
  s.config.limits.max_ws_message_bytes = 1024;
  Harness h(s.config);
  const auto before = counter_value("transport.ws.message_too_large");
  WsClient client;
  ASSERT_TRUE(client.connect(h.endpoint(0)).upgraded);
  ASSERT_TRUE(client.send(sip_request("REGISTER", "small"), false));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  client.send(sip_request("MESSAGE", "big", std::string(2000, 'x')), false);
  EXPECT_EQ(h.sink().wait_close(msg->flow), CloseReason::kMessageTooLarge);
  EXPECT_EQ(counter_value("transport.ws.message_too_large"), before + 1);
}

TEST(Ws, OutgoingConnectionNegotiatesSip) {
  TestCert cert;
  for (Protocol p : {Protocol::kWs, Protocol::kWss}) {
    WsSetup s(p, &cert);
    Harness h(s.config, 1, origin_hook());
    Destination d;
    d.protocol = p;
    d.remote = h.endpoint(0);
    d.host = "localhost";
    d.ws_target = "/core";
    auto flow =
        h.run_on(0, [&] { return h.transport().send_to(d, sip_request("OPTIONS", "out")); });
    ASSERT_TRUE(flow.has_value());
    auto msg = h.sink().wait_message();
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->protocol, p);
    ASSERT_TRUE(msg->ws);
    EXPECT_EQ(msg->ws->target, "/core");
    ASSERT_TRUE(h.transport().send(msg->flow, sip_response(200, "out")).has_value());
    auto reply = h.sink().wait_message();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->flow, *flow);
    EXPECT_EQ(reply->data, sip_response(200, "out"));
  }
}

}  // namespace
}  // namespace wimpu::transport::test
