// MessageEditor: byte-exact output of the proxy edits (RFC 3261 §16.6, §16.7).
#include <gtest/gtest.h>

#include <string>

#include "wimpu/sip/editor.hpp"
#include "wimpu/sip/header_values.hpp"
#include "wimpu/sip/message.hpp"

namespace wimpu::sip {
namespace {

constexpr std::string_view kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
    "Route: <sip:p3.example.com;lr>\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "P-Preferred-Identity: <sip:alice@atlanta.example.com>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

Message parse(std::string_view text) {
  auto m = Message::parse(text, ParseOptions::stream());
  EXPECT_TRUE(m) << (m ? "" : to_string(m.error().code));
  return m ? std::move(*m) : Message();
}

std::string replace(std::string s, std::string_view from, std::string_view to) {
  const auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

TEST(Editor, NoEditsIsIdentity) {
  const Message m = parse(kInvite);
  MessageEditor ed(m);
  EXPECT_EQ(ed.to_string(), kInvite);
}

TEST(Editor, ProxyForwardingEditsByteExact) {
  const Message m = parse(kInvite);
  MessageEditor ed(m);
  ASSERT_TRUE(ed.set_request_uri("sip:bob@192.0.2.4:5062;transport=tcp"));
  ASSERT_TRUE(ed.decrement_max_forwards());
  ASSERT_TRUE(ed.pop_route());
  ASSERT_TRUE(ed.push_record_route("<sip:proxy.example.com;lr>"));
  ASSERT_TRUE(ed.push_via("SIP/2.0/TCP proxy.example.com;branch=z9hG4bK0.a1"));
  ASSERT_TRUE(ed.remove_headers(HeaderId::kPPreferredIdentity));
  ASSERT_TRUE(ed.add_header(HeaderId::kPAssertedIdentity, "<sip:alice@atlanta.example.com>"));
  const std::string expected =
      "INVITE sip:bob@192.0.2.4:5062;transport=tcp SIP/2.0\r\n"
      "Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bK0.a1\r\n"
      "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
      "Record-Route: <sip:proxy.example.com;lr>\r\n"
      "Max-Forwards: 69\r\n"
      "Route: <sip:p2.example.com;lr>\r\n"
      "Route: <sip:p3.example.com;lr>\r\n"
      "To: Bob <sip:bob@biloxi.example.com>\r\n"
      "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
      "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
      "CSeq: 314159 INVITE\r\n"
      "Content-Type: application/sdp\r\n"
      "Content-Length: 4\r\n"
      "P-Asserted-Identity: <sip:alice@atlanta.example.com>\r\n"
      "\r\n"
      "v=0\n";
  EXPECT_EQ(ed.to_string(), expected);
  // The output is a valid message with the edits visible.
  const Message out = parse(expected);
  EXPECT_EQ(out.top_via().branch, "z9hG4bK0.a1");
  EXPECT_EQ(out.routes().size(), 2U);
  EXPECT_EQ(out.max_forwards(), 69);
}

TEST(Editor, PopEveryRouteValueRemovesTheLines) {
  const Message m = parse(kInvite);
  MessageEditor ed(m);
  ASSERT_TRUE(ed.pop_route());
  ASSERT_TRUE(ed.pop_route());
  ASSERT_TRUE(ed.pop_route());
  EXPECT_EQ(ed.pop_route().error(), EditError::kNotFound);
  std::string expected(kInvite);
  expected = replace(expected,
                     "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
                     "Route: <sip:p3.example.com;lr>\r\n",
                     "");
  EXPECT_EQ(ed.to_string(), expected);
}

TEST(Editor, RemoveLastRouteForStrictRouteFixup) {
  // RFC 3261 §16.4: the R-URI becomes the last Route value, which is removed; the old R-URI is
  // appended as a Route.
  const Message m = parse(kInvite);
  MessageEditor ed(m);
  ASSERT_TRUE(ed.set_request_uri("sip:p3.example.com;lr"));
  ASSERT_TRUE(ed.remove_route(2));
  ASSERT_TRUE(ed.remove_route(1));
  ASSERT_TRUE(ed.append_route("<sip:bob@biloxi.example.com>"));
  const std::string out = ed.to_string();
  EXPECT_NE(out.find("Route: <sip:p1.example.com;lr>\r\nRoute: <sip:bob@biloxi.example.com>\r\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(ed.remove_route(2).error(), EditError::kNotFound);
  EXPECT_EQ(ed.remove_route(9).error(), EditError::kNotFound);
}

TEST(Editor, MiddleValueOfAListLine) {
  const std::string_view text =
      "OPTIONS sip:a@example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1 , SIP/2.0/UDP b.example.com;branch=z9hG4bK2,"
      "SIP/2.0/UDP c.example.com;branch=z9hG4bK3\r\n"
      "To: <sip:a@example.com>\r\nFrom: <sip:b@example.com>;tag=1\r\nCall-ID: x\r\n"
      "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  const Message m = parse(text);
  ASSERT_EQ(m.vias().size(), 3U);
  MessageEditor ed(m);
  ASSERT_TRUE(ed.pop_via());
  std::string expected = replace(std::string(text), "SIP/2.0/UDP a.example.com;branch=z9hG4bK1 , ", "");
  EXPECT_EQ(ed.to_string(), expected);
  ASSERT_TRUE(ed.pop_via());
  ASSERT_TRUE(ed.pop_via());
  EXPECT_EQ(ed.pop_via().error(), EditError::kNotFound);
  expected = replace(std::string(text),
                     "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1 , SIP/2.0/UDP "
                     "b.example.com;branch=z9hG4bK2,SIP/2.0/UDP c.example.com;branch=z9hG4bK3\r\n",
                     "");
  EXPECT_EQ(ed.to_string(), expected);
}

TEST(Editor, ResponsePopViaAndConflicts) {
  const std::string_view text =
      "SIP/2.0 180 Ringing\r\n"
      "v: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK0.a1\r\n"
      "v: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
      "To: <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
      "From: <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
      "Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\nl: 0\r\n\r\n";
  const Message m = parse(text);
  MessageEditor ed(m);
  EXPECT_EQ(ed.set_request_uri("sip:x@y").error(), EditError::kNotARequest);
  EXPECT_EQ(ed.pop_route().error(), EditError::kNotARequest);
  ASSERT_TRUE(ed.pop_via());
  EXPECT_EQ(ed.to_string(),
            replace(std::string(text), "v: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK0.a1\r\n", ""));
  // Removing all Via lines absorbs the earlier pop (pure removals covering pure removals).
  ASSERT_TRUE(ed.remove_headers("Via"));
  EXPECT_EQ(ed.to_string().find("v: "), std::string::npos);
  // Two replacements of the same bytes conflict.
  MessageEditor twice(m);
  ASSERT_TRUE(twice.replace_header(HeaderId::kCallId, "a"));
  EXPECT_EQ(twice.replace_header(HeaderId::kCallId, "b").error(), EditError::kConflict);
  EXPECT_EQ(ed.add_header("X-Bad", "a\r\nInjected: 1").error(), EditError::kInvalidText);
  EXPECT_EQ(ed.push_via("").error(), EditError::kInvalidText);
}

TEST(Editor, MaxForwardsInsertedWhenAbsentAndZeroRefused) {
  const std::string_view text =
      "OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a.example.com\r\n"
      "To: <sip:a@example.com>\r\nFrom: <sip:b@example.com>;tag=1\r\nCall-ID: x\r\n"
      "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  const Message m = parse(text);
  MessageEditor ed(m);
  ASSERT_TRUE(ed.decrement_max_forwards());
  EXPECT_EQ(ed.to_string(), replace(std::string(text), "Via: SIP/2.0/UDP a.example.com\r\n",
                                    "Via: SIP/2.0/UDP a.example.com\r\nMax-Forwards: 70\r\n"));
  const Message zero = parse(replace(std::string(text), "Call-ID", "Max-Forwards: 0\r\nCall-ID"));
  MessageEditor ed0(zero);
  EXPECT_EQ(ed0.decrement_max_forwards().error(), EditError::kNotFound);
}

TEST(Editor, SetBodyFixesContentLengthAndType) {
  const Message m = parse(kInvite);
  MessageEditor ed(m);
  ASSERT_TRUE(ed.set_body("text/plain", "hello world"));
  const std::string out = ed.to_string();
  EXPECT_NE(out.find("Content-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world"),
            std::string::npos)
      << out;
  EXPECT_EQ(parse(out).body(), "hello world");

  MessageEditor empty(m);
  ASSERT_TRUE(empty.set_body({}, {}));
  const std::string e = empty.to_string();
  EXPECT_EQ(e.find("Content-Type"), std::string::npos);
  EXPECT_NE(e.find("Content-Length: 0\r\n\r\n"), std::string::npos);
  EXPECT_EQ(parse(e).body(), "");
}

TEST(Editor, ReplaceHeaderKeepsPosition) {
  const Message m = parse(kInvite);
  MessageEditor ed(m);
  ASSERT_TRUE(ed.replace_header(HeaderId::kCallId, "new-call-id"));
  EXPECT_EQ(ed.to_string(), replace(std::string(kInvite),
                                    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com",
                                    "Call-ID: new-call-id"));
}

TEST(Editor, ResetReusesCapacityWithoutAllocating) {
  const Message m = parse(kInvite);
  MessageEditor ed;
  std::string out;
  for (int i = 0; i < 3; ++i) {
    ed.reset(m);
    ASSERT_TRUE(ed.push_via("SIP/2.0/UDP p.example.com;branch=z9hG4bKx"));
    ASSERT_TRUE(ed.pop_route());
    ed.serialize(out);
  }
  EXPECT_EQ(parse(out).vias().size(), 2U);
}

TEST(Editor, DoubleRecordRouteStacksLastOnTop) {
  // RFC 5658: two Record-Route values when the proxy changes transport; the one facing the next
  // hop is pushed last and ends up on top.
  const Message m = parse(kInvite);
  MessageEditor ed(m);
  ASSERT_TRUE(ed.push_record_route("<sip:p.example.com;transport=ws;lr>"));
  ASSERT_TRUE(ed.push_record_route("<sip:p.example.com;transport=udp;lr>"));
  const Message out = parse(ed.to_string());
  ASSERT_EQ(out.record_routes().size(), 2U);
  EXPECT_EQ(out.record_routes()[0].uri.transport(), "udp");
  EXPECT_EQ(out.record_routes()[1].uri.transport(), "ws");
}

}  // namespace
}  // namespace wimpu::sip
