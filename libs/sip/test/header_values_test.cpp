// Typed accessors for headers parsed on request (header_values.hpp).
#include <gtest/gtest.h>

#include <string>

#include "wimpu/sip/header_values.hpp"
#include "wimpu/sip/message.hpp"

namespace wimpu::sip {
namespace {

Message with_headers(std::string_view extra) {
  std::string text =
      "REGISTER sip:ims.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/TCP 192.0.2.5;branch=z9hG4bK1\r\n"
      "To: <sip:wic@wwsf.example.com>\r\nFrom: <sip:wic@wwsf.example.com>;tag=1\r\n"
      "Call-ID: c1\r\nCSeq: 1 REGISTER\r\n";
  text += extra;
  text += "Content-Length: 0\r\n\r\n";
  auto m = Message::parse(text, ParseOptions::stream());
  EXPECT_TRUE(m) << text;
  return m ? std::move(*m) : Message();
}

TEST(HeaderValues, NameAddrListsAcrossLines) {
  const Message m = with_headers(
      "P-Associated-URI: <sip:+15550001234@ims.example.com>, <tel:+15550001234>\r\n"
      "Path: <sip:tok1@epcscf.example.com;lr;ob>\r\n"
      "Path: <sip:icscf.example.com;lr>\r\n"
      "Service-Route: <sip:orig@scscf.example.com;lr>\r\n"
      "P-Asserted-Identity: \"Alice\" <sip:alice@example.com>, <tel:+15550000042>\r\n"
      "P-Called-Party-ID: <sip:+15550001234@ims.example.com>\r\n");
  auto pau = name_addr_values(m, HeaderId::kPAssociatedUri);
  ASSERT_TRUE(pau);
  ASSERT_EQ(pau->size(), 2U);
  EXPECT_EQ((*pau)[1].uri.scheme, UriScheme::kTel);
  auto first = first_name_addr(m, HeaderId::kPAssociatedUri);
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->uri.user, "+15550001234");
  auto path = name_addr_values(m, HeaderId::kPath);
  ASSERT_TRUE(path);
  ASSERT_EQ(path->size(), 2U);
  EXPECT_TRUE((*path)[0].uri.has_param("ob"));
  EXPECT_NE((*path)[0].header_index, (*path)[1].header_index);
  auto sr = name_addr_values(m, HeaderId::kServiceRoute);
  ASSERT_TRUE(sr);
  EXPECT_EQ(sr->size(), 1U);
  auto pai = name_addr_values(m, HeaderId::kPAssertedIdentity);
  ASSERT_TRUE(pai);
  EXPECT_EQ(pai->size(), 2U);
  auto cpid = first_name_addr(m, HeaderId::kPCalledPartyId);
  ASSERT_TRUE(cpid && *cpid);
  EXPECT_EQ((*cpid)->uri.user, "+15550001234");
  auto none = first_name_addr(m, HeaderId::kPPreferredIdentity);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST(HeaderValues, BadNameAddrReportsHeader) {
  const Message m = with_headers("Path: sip:no-brackets.example.com;lr\r\n");
  auto path = name_addr_values(m, HeaderId::kPath);
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().code, ParseErrorCode::kBadNameAddr);
  EXPECT_EQ(path.error().header, "Path");
  EXPECT_EQ(m.bytes().substr(path.error().offset, 3), "sip");
}

TEST(HeaderValues, OptionTags) {
  const Message m = with_headers("Supported: path, gruu,outbound\r\nk: 100rel\r\nRequire: \r\n");
  auto tags = option_tags(m, HeaderId::kSupported);
  ASSERT_TRUE(tags);
  ASSERT_EQ(tags->size(), 4U);
  EXPECT_EQ((*tags)[3], "100rel");
  EXPECT_TRUE(*has_option_tag(m, HeaderId::kSupported, "GRUU"));
  EXPECT_FALSE(*has_option_tag(m, HeaderId::kSupported, "timer"));
  auto req = option_tags(m, HeaderId::kRequire);
  ASSERT_TRUE(req);
  EXPECT_TRUE(req->empty());
  const Message bad = with_headers("Proxy-Require: a b\r\n");
  EXPECT_FALSE(option_tags(bad, HeaderId::kProxyRequire));
  EXPECT_FALSE(has_option_tag(bad, HeaderId::kProxyRequire, "a"));
}

TEST(HeaderValues, DeltaSeconds) {
  const Message m = with_headers(
      "Expires: 100000000000000000000\r\nMin-Expires: 60\r\nFlow-Timer: 120\r\n");
  EXPECT_EQ(**delta_seconds(m, HeaderId::kExpires), 0xffffffffU);  // clamped
  EXPECT_EQ(**delta_seconds(m, HeaderId::kMinExpires), 60U);
  EXPECT_EQ(**delta_seconds(m, HeaderId::kFlowTimer), 120U);
  EXPECT_FALSE(*delta_seconds(m, HeaderId::kSessionExpires));
  EXPECT_FALSE(delta_seconds(with_headers("Expires: soon\r\n"), HeaderId::kExpires));
}

TEST(HeaderValues, ContactParams) {
  const Message m = with_headers(
      "Contact: <sip:a@x.invalid;transport=ws>;expires=600;q=0.7;reg-id=2;"
      "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\", "
      "<sip:b@y.invalid>;q=1.0;expires=bad\r\n");
  ASSERT_EQ(m.contacts().size(), 2U);
  const NameAddr& a = m.contacts()[0];
  EXPECT_EQ(contact_expires(a), 600U);
  EXPECT_EQ(contact_q(a), 700);
  EXPECT_EQ(contact_reg_id(a), 2U);
  EXPECT_EQ(contact_instance(a), "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>");
  const NameAddr& b = m.contacts()[1];
  EXPECT_EQ(contact_q(b), 1000);
  EXPECT_FALSE(contact_expires(b));
  EXPECT_FALSE(contact_reg_id(b));
  EXPECT_EQ(contact_instance(b), "");
}

// contact_params() agrees with the three single accessors (first occurrence, bad values, absent).
TEST(HeaderValues, ContactParamsInOneWalk) {
  const Message m = with_headers(
      "Contact: <sip:a@x.invalid;transport=ws>;EXPIRES=600;q=0.7;reg-id=2;expires=5;"
      "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\";reg-id=3, "
      "<sip:b@y.invalid>;q=1.0;expires=bad;+sip.instance, <sip:c@z.invalid>;reg-id;"
      "+Sip.Instance=\"<urn:a\\\"b>\"\r\n");
  ASSERT_EQ(m.contacts().size(), 3U);
  for (const NameAddr& c : m.contacts()) {
    const ContactParams p = contact_params(c);
    EXPECT_EQ(p.expires, contact_expires(c));
    EXPECT_EQ(p.instance, contact_instance(c));
    EXPECT_EQ(p.reg_id, contact_reg_id(c));
  }
  const ContactParams a = contact_params(m.contacts()[0]);
  EXPECT_EQ(a.expires, 600U);
  EXPECT_EQ(a.reg_id, 2U);
  EXPECT_EQ(a.instance, "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>");
  const ContactParams b = contact_params(m.contacts()[1]);
  EXPECT_FALSE(b.expires);
  EXPECT_FALSE(b.reg_id);
  EXPECT_EQ(b.instance, "");
  std::string others;
  EXPECT_EQ(contact_params(m.contacts()[0], &others).reg_id, 2U);
  EXPECT_EQ(others,
            ";q=0.7;reg-id=2;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\";"
            "reg-id=3");  // every expires left out, the rest as received and in order
  others = "x";
  (void)contact_params(m.contacts()[1], &others);
  EXPECT_EQ(others, "x;q=1.0;+sip.instance");  // appended to, valueless param kept as such
  const ContactParams c = contact_params(m.contacts()[2]);
  EXPECT_FALSE(c.reg_id);
  EXPECT_EQ(c.instance, "<urn:a\\\"b>");  // quoted-pair kept as received
}

// quoted-string scanning (RFC 3261 §25.1) 8 octets at a time: every special octet (DQUOTE,
// quoted-pair, folding, CTL, DEL) at every offset of a long value, so it falls in each position
// of a block and across block boundaries.
TEST(HeaderValues, QuotedParamValuesAtEveryOffset) {
  for (std::size_t at = 0; at < 20; ++at) {
    const std::string pad(at, 'x');
    const std::string tail(19 - at, 'y');
    auto parses = [&](std::string_view inner) {
      const std::string c = "Contact: <sip:a@x.invalid>;+sip.instance=\"" + pad + std::string(inner) +
                            tail + "\";reg-id=1\r\n";
      std::string text =
          "REGISTER sip:ims.example.com SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.5;branch=z9hG4bK1\r\n"
          "To: <sip:wic@w.example>\r\nFrom: <sip:wic@w.example>;tag=1\r\nCall-ID: c1\r\n"
          "CSeq: 1 REGISTER\r\n" + c + "Content-Length: 0\r\n\r\n";
      auto m = Message::parse(text, ParseOptions::stream());
      if (!m || m->contacts().size() != 1) {
        return std::string("<invalid>");
      }
      EXPECT_EQ(contact_reg_id(m->contacts()[0]), 1U) << inner << " at " << at;
      return std::string(contact_instance(m->contacts()[0]));
    };
    EXPECT_EQ(parses("<urn:uuid:1>"), pad + "<urn:uuid:1>" + tail);
    EXPECT_EQ(parses("a\\\"b"), pad + "a\\\"b" + tail) << at;   // quoted-pair DQUOTE
    EXPECT_EQ(parses("a\\\\b"), pad + "a\\\\b" + tail) << at;  // quoted-pair backslash
    EXPECT_EQ(parses("a\tb"), pad + "a\tb" + tail) << at;          // HT is qdtext
    EXPECT_EQ(parses("\xc3\xa9"), pad + "\xc3\xa9" + tail) << at;  // UTF8-NONASCII
    EXPECT_EQ(parses("a\r\n b"), pad + "a\r\n b" + tail) << at;   // folding inside the quotes
    EXPECT_EQ(parses(std::string_view("a\0b", 3)), "<invalid>") << at;  // CTL
    EXPECT_EQ(parses("a\x7f" "b"), "<invalid>") << at;             // DEL
    EXPECT_EQ(parses("a\x01" "b"), "<invalid>") << at;
    EXPECT_EQ(parses("a\\\r\n b"), "<invalid>") << at;  // quoted-pair of CR
    EXPECT_EQ(parses("a\"b"), "<invalid>") << at;          // DQUOTE ends it early: junk follows
  }
}

TEST(HeaderValues, BearerTokenBothForms) {
  // RFC 8898 §2.3 token68 form and TS 24.371 access_token= form.
  const Message a = with_headers("Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2ln\r\n");
  EXPECT_EQ(**bearer_token(a), "eyJhbGciOi.eyJzdWIi.c2ln");
  const Message b = with_headers("Authorization: Bearer access_token=\"eyJhbGciOi.eyJzdWIi.c2ln\"\r\n");
  EXPECT_EQ(**bearer_token(b), "eyJhbGciOi.eyJzdWIi.c2ln");
  const Message padded = with_headers("Authorization: Bearer dGVzdA==\r\n");
  EXPECT_EQ(**bearer_token(padded), "dGVzdA==");
  const Message digest = with_headers(
      "Authorization: Digest username=\"alice\", realm=\"ims.example.com\", nonce=\"abc\", "
      "uri=\"sip:ims.example.com\", response=\"0123\"\r\n");
  EXPECT_FALSE(*bearer_token(digest));
  auto auth = auth_values(digest, HeaderId::kAuthorization);
  ASSERT_TRUE(auth);
  EXPECT_EQ((*auth)[0].scheme, "Digest");
  EXPECT_EQ((*auth)[0].param("REALM"), "\"ims.example.com\"");
  const Message bad = with_headers("Authorization: Bearer a b\r\n");
  EXPECT_FALSE(bearer_token(bad));
}

TEST(HeaderValues, WwwAuthenticateBearerChallenge) {
  // RFC 8898 §4 challenge parameters.
  auto v = parse_auth_value(
      "Bearer realm=\"ims.example.com\", scope=\"sip:register\", "
      "authz_server=\"https://wwsf.example.com\", error=\"invalid_token\"");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->param("authz_server"), "\"https://wwsf.example.com\"");
  EXPECT_EQ(v->param("error"), "\"invalid_token\"");
  EXPECT_EQ(v->bearer_token(), "");
}

TEST(HeaderValues, Reason) {
  const Message m = with_headers(
      "Reason: SIP ;cause=200 ;text=\"Call completed elsewhere\", Q.850;cause=16\r\n");
  auto r = reason_values(m);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 2U);
  EXPECT_EQ((*r)[0].protocol, "SIP");
  EXPECT_EQ((*r)[0].cause, 200);
  EXPECT_EQ((*r)[0].text, "\"Call completed elsewhere\"");
  EXPECT_EQ((*r)[1].protocol, "Q.850");
  EXPECT_EQ((*r)[1].cause, 16);
  EXPECT_FALSE(reason_values(with_headers("Reason: SIP;cause=x\r\n")));
}

TEST(HeaderValues, RetryAfter) {
  // Views point into the Message: keep it alive while using the result.
  const Message m = with_headers("Retry-After: 18000 (in a meeting) ;duration=3600\r\n");
  auto r = retry_after(m);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->seconds, 18000U);
  EXPECT_EQ((*r)->comment, "(in a meeting)");
  EXPECT_EQ((*r)->duration, 3600U);
  const Message m2 = with_headers("Retry-After: 949302838503028349304023988\r\n");
  auto big = retry_after(m2);
  ASSERT_TRUE(big && *big);
  EXPECT_EQ((*big)->seconds, 0xffffffffU);  // RFC 4475 §3.1.2.5: clamp, do not crash
  EXPECT_FALSE(retry_after(with_headers("Retry-After: (x)\r\n")));
}

TEST(HeaderValues, ContentTypeAndUserAgent) {
  const Message m = with_headers(
      "Content-Type: multipart/mixed ; boundary=abc\r\nUser-Agent: JsSIP 3.10.1\r\n");
  auto ct = content_type(m);
  ASSERT_TRUE(ct && *ct);
  EXPECT_EQ((*ct)->type, "multipart");
  EXPECT_EQ((*ct)->subtype, "mixed");
  EXPECT_EQ((*ct)->params.value("boundary"), "abc");
  EXPECT_EQ(user_agent(m), "JsSIP 3.10.1");
  EXPECT_FALSE(content_type(with_headers("Content-Type: text\r\n")));
}

}  // namespace
}  // namespace wimpu::sip
