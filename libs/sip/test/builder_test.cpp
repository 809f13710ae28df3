// Response builder (RFC 3261 §8.2.6), request builder, CANCEL (§9.1), ACK for non-2xx (§17.1.1.3).
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "wimpu/sip/builder.hpp"
#include "wimpu/sip/message.hpp"

namespace wimpu::sip {
namespace {

constexpr std::string_view kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK0.a1, SIP/2.0/UDP pc33.atlanta.example.com"
    ";branch=z9hG4bK776asdhds;received=192.0.2.1\r\n"
    "Max-Forwards: 69\r\n"
    "Route: <sip:p1.example.com;lr>\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "f: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Timestamp: 54\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

Message parse(std::string_view text) {
  auto m = Message::parse(text, ParseOptions::stream());
  EXPECT_TRUE(m) << (m ? "" : to_string(m.error().code)) << "\n" << text;
  return m ? std::move(*m) : Message();
}

TEST(ResponseBuilder, ByteExact486WithToTag) {
  const Message req = parse(kInvite);
  const std::string out =
      ResponseBuilder(req, 486).to_tag("a6c85cf").header("Retry-After", "30").build();
  EXPECT_EQ(out,
            "SIP/2.0 486 Busy Here\r\n"
            "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK0.a1, SIP/2.0/UDP "
            "pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1\r\n"
            "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
            "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
            "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
            "CSeq: 314159 INVITE\r\n"
            "Retry-After: 30\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
  const Message resp = parse(out);
  EXPECT_EQ(resp.status_code(), 486);
  EXPECT_EQ(resp.vias().size(), 2U);
  EXPECT_EQ(resp.to_tag(), "a6c85cf");
}

TEST(ResponseBuilder, ExtraHeadersKeepCallOrderPastTheInlineOnes) {
  const Message req = parse(kInvite);
  ResponseBuilder b(req, 200);
  std::string expected;
  std::vector<std::string> values;
  values.reserve(20);
  for (int i = 0; i < 20; ++i) {
    values.push_back("v" + std::to_string(i));
  }
  for (int i = 0; i < 20; ++i) {
    b.header("X-H", values[static_cast<std::size_t>(i)]);
    expected += "X-H: " + values[static_cast<std::size_t>(i)] + "\r\n";
  }
  const std::string out = b.build();
  EXPECT_NE(out.find("CSeq: 314159 INVITE\r\n" + expected + "Content-Length: 0\r\n\r\n"),
            std::string::npos)
      << out;
  const Message resp = parse(out);
  EXPECT_EQ(resp.count(HeaderId::kOther), 20U);
}

TEST(ResponseBuilder, TopViaAsStampedReplacesOnlyTheFirstValueOfAFoldedLine) {
  std::string two_lines(kInvite);
  two_lines.insert(two_lines.find("Max-Forwards"), "Via: SIP/2.0/TCP c.example.com;branch=z9hG4bKc\r\n");
  const Message req = parse(two_lines);
  const Message resp = parse(ResponseBuilder(req, 403)
                                 .to_tag("t")
                                 .top_via("SIP/2.0/UDP proxy.example.com;branch=z9hG4bK0.a1"
                                          ";received=192.0.2.9")
                                 .build());
  ASSERT_EQ(resp.vias().size(), 3U);
  EXPECT_EQ(resp.vias()[0].received, "192.0.2.9");  // RFC 3261 §18.2.1 / §8.2.6.2
  EXPECT_EQ(resp.vias()[0].branch, "z9hG4bK0.a1");
  EXPECT_EQ(resp.vias()[1].host, "pc33.atlanta.example.com");
  EXPECT_EQ(resp.vias()[2].host, "c.example.com");
}

TEST(ResponseBuilder, TryingCopiesTimestampAndKeepsExistingTag) {
  const Message req = parse(kInvite);
  const Message trying = parse(ResponseBuilder(req, 100).build());
  EXPECT_EQ(trying.reason_phrase(), "Trying");
  EXPECT_EQ(trying.header_value(HeaderId::kTimestamp), "54");
  EXPECT_TRUE(trying.to_tag().empty());

  std::string in_dialog(kInvite);
  in_dialog.replace(in_dialog.find("Bob <sip:bob@biloxi.example.com>"), 32,
                    "Bob <sip:bob@biloxi.example.com>;tag=existing");
  const Message req2 = parse(in_dialog);
  const Message ok = parse(ResponseBuilder(req2, 200, "Fine").to_tag("new").body("application/sdp",
                                                                                 "v=0\r\n")
                               .build());
  EXPECT_EQ(ok.to_tag(), "existing");
  EXPECT_EQ(ok.reason_phrase(), "Fine");
  EXPECT_EQ(ok.body(), "v=0\r\n");
  EXPECT_EQ(ok.header_value(HeaderId::kContentType), "application/sdp");
  EXPECT_EQ(ok.header_value(HeaderId::kTimestamp), "");
}

TEST(RequestBuilder, RegisterByteExact) {
  const std::string out =
      RequestBuilder(Method::kRegister, "sip:ims.example.com")
          .via("SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bK1.reg;rport")
          .from("<sip:+15550000000@ims.example.com>", "blk1")
          .to("<sip:+15550000000@ims.example.com>")
          .call_id("reg-1@192.0.2.5")
          .cseq(2)
          .contact("<sip:192.0.2.5:5060>;expires=3600")
          .header("Path", "<sip:tok@epcscf.example.com;lr;ob>")
          .header("Require", "path")
          .build();
  EXPECT_EQ(out,
            "REGISTER sip:ims.example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bK1.reg;rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:+15550000000@ims.example.com>;tag=blk1\r\n"
            "To: <sip:+15550000000@ims.example.com>\r\n"
            "Call-ID: reg-1@192.0.2.5\r\n"
            "CSeq: 2 REGISTER\r\n"
            "Contact: <sip:192.0.2.5:5060>;expires=3600\r\n"
            "Path: <sip:tok@epcscf.example.com;lr;ob>\r\n"
            "Require: path\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
  const Message m = parse(out);
  EXPECT_EQ(m.method(), Method::kRegister);
  EXPECT_EQ(m.cseq().number, 2U);
}

TEST(RequestBuilder, RoutesAndBody) {
  const Message m = parse(RequestBuilder("MESSAGE", "sip:bob@example.com")
                              .via("SIP/2.0/TCP a.example.com;branch=z9hG4bK2")
                              .via("SIP/2.0/TCP b.example.com;branch=z9hG4bK1")
                              .route("<sip:p1.example.com;lr>")
                              .route("<sip:p2.example.com;lr>")
                              .from("<sip:alice@example.com>", "t")
                              .to("<sip:bob@example.com>", "u")
                              .call_id("c")
                              .max_forwards(10)
                              .body("text/plain", "hi")
                              .build());
  EXPECT_EQ(m.method(), Method::kMessage);
  EXPECT_EQ(m.vias().size(), 2U);
  EXPECT_EQ(m.routes().size(), 2U);
  EXPECT_EQ(m.max_forwards(), 10);
  EXPECT_EQ(m.to_tag(), "u");
  EXPECT_EQ(m.body(), "hi");
}

TEST(Cancel, PerRfc3261Section9_1) {
  const Message req = parse(kInvite);
  std::string out;
  const std::pair<std::string_view, std::string_view> reason[] = {
      {"Reason", "SIP;cause=200;text=\"Call completed elsewhere\""}};
  build_cancel(req, out, reason);
  EXPECT_EQ(out,
            "CANCEL sip:bob@biloxi.example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK0.a1\r\n"
            "Max-Forwards: 70\r\n"
            "Route: <sip:p1.example.com;lr>\r\n"
            "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
            "To: Bob <sip:bob@biloxi.example.com>\r\n"
            "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
            "CSeq: 314159 CANCEL\r\n"
            "Reason: SIP;cause=200;text=\"Call completed elsewhere\"\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
  const Message cancel = parse(out);
  EXPECT_EQ(cancel.method(), Method::kCancel);
  EXPECT_EQ(cancel.top_via().branch, req.top_via().branch);
}

TEST(Ack, ForNon2xxPerRfc3261Section17_1_1_3) {
  const Message req = parse(kInvite);
  const Message resp = parse(ResponseBuilder(req, 486).to_tag("xyz").build());
  std::string out;
  build_ack_for_non2xx(req, resp, out);
  EXPECT_EQ(out,
            "ACK sip:bob@biloxi.example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK0.a1\r\n"
            "Max-Forwards: 70\r\n"
            "Route: <sip:p1.example.com;lr>\r\n"
            "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
            "To: Bob <sip:bob@biloxi.example.com>;tag=xyz\r\n"
            "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
            "CSeq: 314159 ACK\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
  EXPECT_EQ(parse(out).method(), Method::kAck);
}

TEST(ReasonPhrase, Defaults) {
  EXPECT_EQ(default_reason_phrase(200), "OK");
  EXPECT_EQ(default_reason_phrase(483), "Too Many Hops");
  EXPECT_EQ(default_reason_phrase(430), "Flow Failed");
  EXPECT_EQ(default_reason_phrase(299), "Unknown");
}

}  // namespace
}  // namespace wimpu::sip
