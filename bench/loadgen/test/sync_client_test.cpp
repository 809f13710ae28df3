// SyncWsSipClient: the blocking one-WIC client that integration tests use.
#include "wimpu/loadgen/sync_client.hpp"

#include <gtest/gtest.h>

#include "sip_responder.hpp"
#include "wimpu/loadgen/wic_messages.hpp"
#include "wimpu/sip/header_values.hpp"

namespace wimpu::loadgen {
namespace {

using namespace std::chrono_literals;
using test::ResponderOptions;
using test::SipResponder;

WsClientConfig config_for(const SipResponder& r, std::string origin) {
  WsClientConfig c;
  c.url = *parse_ws_url(r.url());
  c.origin = std::move(origin);
  return c;
}

std::string a_register(WicIdentity& id, std::string_view auth) {
  RegisterParams p;
  p.request_uri = "sip:ims.test";
  p.aor = "sip:wic@wwsf.test";
  p.branch = "z9hG4bKsync.0.1";
  p.from_tag = "f1";
  p.authorization = auth;
  std::string out;
  build_register(id, p, out);
  return out;
}

TEST(SyncClient, RegistersAndReadsTheAnswer) {
  SipResponder r(ResponderOptions{});
  SyncWsSipClient client(config_for(r, "https://wwsf.test"));
  auto connected = client.connect();
  ASSERT_TRUE(connected) << connected.error().detail;
  EXPECT_TRUE(client.is_open());
  EXPECT_EQ(client.handshake_status(), 101);
  EXPECT_NE(client.local_endpoint().port(), 0);

  Rng rng(5);
  WicIdentity id = WicIdentity::random(rng);
  ASSERT_TRUE(client.send(a_register(id, bearer_authorization("tok-sync"))));
  auto resp = client.receive();
  ASSERT_TRUE(resp) << resp.error().detail;
  EXPECT_EQ(resp->status_code(), 200);
  EXPECT_EQ(resp->top_via().branch, "z9hG4bKsync.0.1");
  auto pau = sip::first_name_addr(*resp, sip::HeaderId::kPAssociatedUri);
  ASSERT_TRUE(pau);
  ASSERT_TRUE(pau->has_value());
  EXPECT_EQ((*pau)->uri.user, "+15550001");
  EXPECT_EQ(r.counts().bearer_tokens.at("tok-sync"), 1u);

  // Nothing else arrives: receive() times out with kTimeout.
  auto none = client.receive(50ms);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, ErrorKind::kTimeout);

  client.close();
  EXPECT_FALSE(client.is_open());
  EXPECT_FALSE(client.send("x"));
}

TEST(SyncClient, RefusedOriginGives403BeforeAnySip) {
  ResponderOptions ro;
  ro.required_origin = "https://good.test";
  SipResponder r(ro);
  SyncWsSipClient client(config_for(r, "https://evil.test"));
  auto connected = client.connect();
  ASSERT_FALSE(connected);
  EXPECT_EQ(connected.error().kind, ErrorKind::kHandshake);
  EXPECT_EQ(client.handshake_status(), 403);
  EXPECT_EQ(r.counts().registers, 0u);

  // The same client object can connect again (here with the right Origin it would pass; the
  // responder still refuses this one) and reports again.
  auto again = client.connect();
  ASSERT_FALSE(again);
  EXPECT_EQ(r.counts().handshakes_refused, 2u);
}

TEST(SyncClient, ReceivesServerInitiatedRequests) {
  ResponderOptions ro;
  ro.place_call = true;
  SipResponder r(ro);
  SyncWsSipClient client(config_for(r, {}));
  ASSERT_TRUE(client.connect());
  Rng rng(9);
  WicIdentity id = WicIdentity::random(rng);
  ASSERT_TRUE(client.send(a_register(id, {})));
  auto ok = client.receive();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status_code(), 200);
  auto invite = client.receive();
  ASSERT_TRUE(invite) << invite.error().detail;
  ASSERT_TRUE(invite->is_request());
  EXPECT_EQ(invite->method(), sip::Method::kInvite);
  EXPECT_EQ(invite->request_uri().user, id.contact_user);

  // Play the WIC by hand with the shared builders: 180, 200 + SDP; then ACK and BYE arrive.
  std::string out;
  build_uas_response(*invite, 180, "wic1", id.contact_uri(), {}, out);
  client.send(out);
  build_uas_response(*invite, 200, "wic1", id.contact_uri(), answer_sdp(1), out);
  client.send(out);
  auto ack = client.receive();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->method(), sip::Method::kAck);
  EXPECT_EQ(ack->to_tag(), "wic1");
  auto bye = client.receive();
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->method(), sip::Method::kBye);
  build_uas_response(*bye, 200, {}, {}, {}, out);
  client.send(out);
  ASSERT_TRUE(r.wait_for([](const test::ResponderCounts& c) { return c.got_200_bye == 1; }, 5s));
  EXPECT_EQ(r.counts().got_180, 1u);
  EXPECT_EQ(r.counts().got_200_invite_with_sdp, 1u);
}

TEST(SyncClient, ConnectToNothingFails) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = a.local_endpoint().port();
  a.close();
  WsClientConfig c;
  c.url = *parse_ws_url("ws://127.0.0.1:" + std::to_string(port) + "/");
  SyncWsSipClient client(c);
  auto connected = client.connect(2s);
  ASSERT_FALSE(connected);
  EXPECT_EQ(connected.error().kind, ErrorKind::kConnect);
}

}  // namespace
}  // namespace wimpu::loadgen
