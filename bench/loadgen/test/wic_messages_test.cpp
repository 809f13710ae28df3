#include "wimpu/loadgen/wic_messages.hpp"

#include <gtest/gtest.h>

#include "wimpu/loadgen/url.hpp"
#include "wimpu/sip/header_values.hpp"

namespace wimpu::loadgen {
namespace {

TEST(WicMessages, RegisterLooksLikeAWic) {
  Rng rng(7);
  WicIdentity id = WicIdentity::random(rng);
  RegisterParams p;
  p.request_uri = "sip:ims.example";
  p.aor = "sip:wic@wwsf.example";
  p.branch = "z9hG4bKabc.0.1";
  p.from_tag = "ft1";
  p.expires = 600;
  const std::string auth = bearer_authorization("eyJ.tok.sig");
  p.authorization = auth;
  p.user_agent = "wimpu-loadgen";
  std::string out;
  build_register(id, p, out);
  EXPECT_EQ(id.cseq, 1u);

  auto msg = sip::Message::parse(out, sip::ParseOptions::websocket());
  ASSERT_TRUE(msg) << out;
  EXPECT_EQ(msg->method(), sip::Method::kRegister);
  EXPECT_EQ(msg->request_uri().host, "ims.example");
  const sip::Via& via = msg->top_via();
  EXPECT_EQ(via.transport, sip::Transport::kWss);
  EXPECT_TRUE(via.host.ends_with(".invalid"));
  EXPECT_EQ(via.branch, "z9hG4bKabc.0.1");
  EXPECT_EQ(msg->from().uri.text, "sip:wic@wwsf.example");
  EXPECT_EQ(msg->from_tag(), "ft1");
  EXPECT_EQ(msg->to().uri.text, "sip:wic@wwsf.example");
  EXPECT_TRUE(msg->to_tag().empty());
  EXPECT_EQ(msg->call_id(), id.call_id);
  EXPECT_EQ(msg->cseq().number, 1u);
  ASSERT_EQ(msg->contacts().size(), 1u);
  const sip::NameAddr& c = msg->contacts()[0];
  EXPECT_TRUE(c.uri.host.ends_with(".invalid"));
  EXPECT_EQ(c.uri.params.value("transport"), "ws");
  EXPECT_EQ(sip::contact_instance(c), "<" + id.instance + ">");
  EXPECT_TRUE(id.instance.starts_with("urn:uuid:"));
  EXPECT_EQ(id.instance.size(), 9u + 36u);
  EXPECT_EQ(sip::contact_reg_id(c), 1u);
  EXPECT_EQ(sip::contact_expires(c), 600u);
  for (const char* tag : {"path", "outbound", "gruu"}) {
    auto has = sip::has_option_tag(*msg, sip::HeaderId::kSupported, tag);
    ASSERT_TRUE(has);
    EXPECT_TRUE(*has) << tag;
  }
  auto token = sip::bearer_token(*msg);
  ASSERT_TRUE(token);
  ASSERT_TRUE(token->has_value());
  EXPECT_EQ(**token, "eyJ.tok.sig");
  EXPECT_EQ(msg->content_length(), 0u);

  // The next REGISTER of the same WIC keeps its Call-ID and increments CSeq (RFC 3261 §10.2).
  build_register(id, p, out);
  auto again = sip::Message::parse(out, sip::ParseOptions::websocket());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->call_id(), id.call_id);
  EXPECT_EQ(again->cseq().number, 2u);
}

TEST(WicMessages, AccessTokenFormAndProxyAuthorization) {
  EXPECT_EQ(bearer_authorization("t1", true), "Bearer access_token=\"t1\"");
  Rng rng(1);
  WicIdentity id = WicIdentity::random(rng);
  RegisterParams p;
  p.request_uri = "sip:a";
  p.aor = "sip:u@a";
  p.branch = "z9hG4bK1.0.1";
  p.from_tag = "x";
  p.authorization = "Digest username=\"u\"";
  p.authorization_header = "Proxy-Authorization";
  std::string out;
  build_register(id, p, out);
  EXPECT_NE(out.find("\r\nProxy-Authorization: Digest username=\"u\"\r\n"), std::string::npos);
  EXPECT_EQ(out.find("User-Agent"), std::string::npos);
}

TEST(WicMessages, UasResponsesToInvite) {
  const std::string invite =
      "INVITE sip:abc@xyz.invalid;transport=ws SIP/2.0\r\n"
      "Via: SIP/2.0/WSS proxy.example;branch=z9hG4bKinv1\r\n"
      "Record-Route: <sip:pcscf.example;lr>\r\n"
      "Record-Route: <sip:scscf.example;lr>\r\n"
      "From: <sip:caller@ims.example>;tag=c1\r\n"
      "To: <sip:+15550001@ims.example>\r\n"
      "Call-ID: call-1\r\n"
      "CSeq: 7 INVITE\r\n"
      "Max-Forwards: 69\r\n"
      "Content-Length: 0\r\n\r\n";
  auto req = sip::Message::parse(invite, sip::ParseOptions::websocket());
  ASSERT_TRUE(req);
  std::string out;
  build_uas_response(*req, 200, "tt1", "<sip:abc@xyz.invalid;transport=ws>", answer_sdp(5), out);
  auto resp = sip::Message::parse(out, sip::ParseOptions::websocket());
  ASSERT_TRUE(resp) << out;
  EXPECT_EQ(resp->status_code(), 200);
  EXPECT_EQ(resp->to_tag(), "tt1");
  EXPECT_EQ(resp->cseq().number, 7u);
  EXPECT_EQ(resp->cseq().method, sip::Method::kInvite);
  ASSERT_EQ(resp->record_routes().size(), 2u);
  EXPECT_EQ(resp->record_routes()[0].uri.host, "pcscf.example");
  ASSERT_EQ(resp->contacts().size(), 1u);
  EXPECT_EQ(resp->header_value(sip::HeaderId::kContentType), "application/sdp");
  EXPECT_TRUE(resp->body().starts_with("v=0\r\n"));

  build_uas_response(*req, 487, "tt1", "<sip:abc@xyz.invalid;transport=ws>", {}, out);
  auto r487 = sip::Message::parse(out, sip::ParseOptions::websocket());
  ASSERT_TRUE(r487);
  EXPECT_EQ(r487->status_code(), 487);
  EXPECT_TRUE(r487->record_routes().empty());
  EXPECT_TRUE(r487->contacts().empty());
}

TEST(WicMessages, BranchRoundTrip) {
  std::string b;
  make_branch(BranchFields{0x1234567890ULL, 3, 99}, b);
  EXPECT_EQ(b, "z9hG4bK1234567890.3.99");
  BranchFields f;
  ASSERT_TRUE(parse_branch(b, f));
  EXPECT_EQ(f.generation, 0x1234567890ULL);
  EXPECT_EQ(f.slot, 3u);
  EXPECT_EQ(f.seq, 99u);
  EXPECT_FALSE(parse_branch("z9hG4bKfoo", f));
  EXPECT_FALSE(parse_branch("z9hG4bK1.2", f));
  EXPECT_FALSE(parse_branch("z9hG4bKx.2.3", f));
  EXPECT_FALSE(parse_branch("abc.1.2", f));
}

TEST(WicMessages, RngUuidIsVersion4) {
  Rng rng(3);
  for (int i = 0; i < 100; ++i) {
    const std::string u = rng.uuid_v4();
    ASSERT_EQ(u.size(), 36u);
    EXPECT_EQ(u[8], '-');
    EXPECT_EQ(u[14], '4');
    EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b') << u;
  }
}

TEST(Url, ParsesWsAndWss) {
  auto a = parse_ws_url("ws://127.0.0.1:5066/sip?x=1");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->tls);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 5066);
  EXPECT_EQ(a->target, "/sip?x=1");
  EXPECT_EQ(a->host_header(), "127.0.0.1:5066");
  auto b = parse_ws_url("wss://[::1]/");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->tls);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 443);
  EXPECT_EQ(b->host_header(), "[::1]");
  auto c = parse_ws_url("wss://example.com");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->target, "/");
  EXPECT_FALSE(parse_ws_url("http://x"));
  EXPECT_FALSE(parse_ws_url("ws://:80/"));
  EXPECT_FALSE(parse_ws_url("ws://x:0/"));
  EXPECT_FALSE(parse_ws_url("ws://x:99999/"));
  EXPECT_FALSE(parse_ws_url("ws://x/#frag"));
}

}  // namespace
}  // namespace wimpu::loadgen
