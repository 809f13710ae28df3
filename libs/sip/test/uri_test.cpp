// URI, name-addr and Via unit tests (RFC 3261 §19.1, §20.10, §20.42; RFC 3966; RFC 5118; RFC 7118).
#include <gtest/gtest.h>

#include <string>

#include "wimpu/sip/name_addr.hpp"
#include "wimpu/sip/uri.hpp"
#include "wimpu/sip/via.hpp"

namespace wimpu::sip {
namespace {

Uri must_parse(std::string_view text) {
  auto u = parse_uri(text);
  EXPECT_TRUE(u) << text;
  return u ? *u : Uri{};
}

TEST(Uri, SipFields) {
  const Uri u = must_parse("sips:alice:secret@Atlanta.example.com:5061;transport=tcp;lr?subject=x&h=");
  EXPECT_EQ(u.scheme, UriScheme::kSips);
  EXPECT_EQ(u.user, "alice");
  EXPECT_TRUE(u.has_password);
  EXPECT_EQ(u.password, "secret");
  EXPECT_EQ(u.host, "Atlanta.example.com");
  EXPECT_EQ(u.host_type, HostType::kDomain);
  EXPECT_EQ(u.port, 5061);
  EXPECT_EQ(u.transport(), "tcp");
  EXPECT_TRUE(u.lr());
  EXPECT_EQ(u.headers, "subject=x&h=");
  EXPECT_EQ(u.host_port(), "Atlanta.example.com:5061");
}

TEST(Uri, HostKinds) {
  EXPECT_EQ(must_parse("sip:192.0.2.4").host_type, HostType::kIPv4);
  EXPECT_EQ(must_parse("sip:[2001:db8::1]:5060").host_type, HostType::kIPv6);
  EXPECT_EQ(must_parse("sip:[::ffff:192.0.2.1]").host_type, HostType::kIPv6);
  EXPECT_EQ(must_parse("sip:example.com.").host_type, HostType::kDomain);
  const Uri ws = must_parse("sip:x2ef9nk6@abc123def.invalid;transport=ws");
  EXPECT_TRUE(ws.is_invalid_host());
  EXPECT_EQ(ws.transport(), "ws");
  EXPECT_FALSE(must_parse("sip:invalid").is_invalid_host());
  EXPECT_TRUE(must_parse("sip:a.INVALID.").is_invalid_host());
}

TEST(Uri, Tel) {
  const Uri t = must_parse("tel:+1-201-555-0123;ext=1234;phone-context=example.com");
  EXPECT_EQ(t.scheme, UriScheme::kTel);
  EXPECT_EQ(t.user, "+1-201-555-0123");
  EXPECT_EQ(t.param("ext"), "1234");
  EXPECT_EQ(t.host_type, HostType::kNone);
}

TEST(Uri, OpaqueSchemes) {
  const Uri u = must_parse("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  EXPECT_EQ(u.scheme, UriScheme::kOther);
  EXPECT_EQ(u.opaque, "uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
}

struct BadUri {
  const char* text;
  std::uint32_t offset;
};

class BadUriTest : public ::testing::TestWithParam<BadUri> {};

TEST_P(BadUriTest, Rejected) {
  auto u = parse_uri(GetParam().text);
  ASSERT_FALSE(u) << GetParam().text;
  EXPECT_EQ(u.error().code, ParseErrorCode::kBadUri);
  EXPECT_EQ(u.error().offset, GetParam().offset) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Uri, BadUriTest,
    ::testing::Values(BadUri{"", 0}, BadUri{"sip", 3}, BadUri{"sip:", 4}, BadUri{"sip:@host", 4},
                      BadUri{"sip:user@", 9}, BadUri{"sip:host:99999", 9},
                      BadUri{"sip:host:", 9}, BadUri{"sip:2001:db8::1", 4},
                      BadUri{"sip:[2001:db8:::1]", 4}, BadUri{"sip:[2001:db8::1", 4},
                      BadUri{"sip:host;", 8}, BadUri{"sip:host;;lr", 8}, BadUri{"sip:host;a=", 8},
                      BadUri{"sip:ho st", 6}, BadUri{"sip:host ", 8}, BadUri{"sip:us%2ger@host", 4},
                      BadUri{"sip:-host.com", 4}, BadUri{"sip:host..com", 4},
                      BadUri{"sip:host?", 9}, BadUri{"sip:host?a", 9}, BadUri{"tel:", 4},
                      BadUri{"tel:+1 555", 6}, BadUri{"1sip:host", 0}, BadUri{"urn:", 4},
                      BadUri{"sip:999.1.1.1", 4}));

// RFC 3261 §19.1.4 examples, equivalent pairs and non-equivalent pairs.
struct UriPair {
  const char* a;
  const char* b;
  bool equal;
};

class UriCompareTest : public ::testing::TestWithParam<UriPair> {};

TEST_P(UriCompareTest, PerRfc3261) {
  const Uri a = must_parse(GetParam().a);
  const Uri b = must_parse(GetParam().b);
  EXPECT_EQ(uri_equal(a, b), GetParam().equal) << GetParam().a << " vs " << GetParam().b;
  EXPECT_EQ(uri_equal(b, a), GetParam().equal) << "symmetry";
}

INSTANTIATE_TEST_SUITE_P(
    Uri, UriCompareTest,
    ::testing::Values(
        UriPair{"sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp", true},
        UriPair{"sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", true},
        UriPair{"sip:carol@chicago.com", "sip:carol@chicago.com;security=on", true},
        UriPair{"sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on", true},
        UriPair{"sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com", true},
        UriPair{"sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                "sip:alice@atlanta.com?priority=urgent&subject=project%20x", true},
        UriPair{"SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP", false},
        UriPair{"sip:bob@biloxi.com", "sip:bob@biloxi.com:5060", false},
        UriPair{"sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp", false},
        UriPair{"sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp", false},
        UriPair{"sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting", false},
        UriPair{"sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4", false},
        UriPair{"sip:alice@atlanta.com", "sips:alice@atlanta.com", false},
        UriPair{"sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off", false},
        UriPair{"tel:+1-201-555-0123", "tel:+12015550123", true},
        UriPair{"tel:+12015550123;ext=1", "tel:+12015550123", false},
        UriPair{"urn:uuid:abc", "URN:uuid:abc", true}));

TEST(Uri, Unescape) {
  std::string out;
  unescape("I%20have%20spaces%zz", out);
  EXPECT_EQ(out, "I have spaces%zz");
  EXPECT_TRUE(escaped_equal("%61bc", "abc"));
  EXPECT_FALSE(escaped_equal("%41bc", "abc"));
  EXPECT_TRUE(escaped_iequal("%41bc", "abc"));
}

// ---- name-addr ----

TEST(NameAddr, Forms) {
  auto a = parse_name_addr("\"Alice \\\"A\\\"\" <sip:alice@example.com;transport=ws>;tag=abc;expires=60");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->bracketed);
  std::string name;
  a->display_name_unquoted(name);
  EXPECT_EQ(name, "Alice \"A\"");
  EXPECT_EQ(a->uri.transport(), "ws");
  EXPECT_EQ(a->tag(), "abc");
  EXPECT_EQ(a->params.value("expires"), "60");

  auto tokens = parse_name_addr("Bob  Smith <sip:bob@example.com>");
  ASSERT_TRUE(tokens);
  EXPECT_EQ(tokens->display_name, "Bob  Smith");

  auto spec = parse_name_addr("sip:carol@example.com;tag=x;user=phone");
  ASSERT_TRUE(spec);
  EXPECT_FALSE(spec->bracketed);
  EXPECT_EQ(spec->uri.text, "sip:carol@example.com");
  EXPECT_EQ(spec->tag(), "x");
  EXPECT_FALSE(spec->uri.has_param("user"));

  auto tel = parse_name_addr("<tel:+15550001234>");
  ASSERT_TRUE(tel);
  EXPECT_EQ(tel->uri.scheme, UriScheme::kTel);
}

TEST(NameAddr, Rejections) {
  const char* bad[] = {
      "",                                   // empty
      "\"unterminated <sip:a@b>",           // quote
      "<sip:a@b",                           // bracket
      "< sip:a@b>",                         // LWS inside <> (RFC 4475 §3.1.2.14)
      "Bell, Alexander <sip:a@b>",          // unquoted comma (§3.1.2.15)
      "sip:a@b?Route=x",                    // '?' outside <> (§3.1.2.13)
      "<sip:a@b>;",                         // empty param
      "<sip:a@b> junk",                     // trailing text
      "<sip:a@b>;tag=\"x",                  // bad quoted param
  };
  for (const char* text : bad) {
    auto r = parse_name_addr(text);
    EXPECT_FALSE(r) << text;
    if (!r) {
      EXPECT_EQ(r.error().code, ParseErrorCode::kBadNameAddr);
    }
  }
  EXPECT_FALSE(parse_name_addr("sip:proxy.example.com;lr", NameAddrForm::kNameAddrOnly));
}

TEST(NameAddr, ListRespectsQuotesAndBrackets) {
  std::vector<std::string> uris;
  std::vector<std::string> names;
  auto r = parse_name_addr_list(
      "\"Doe, John\" <sip:j@a.example.com;x=1,2>, <sip:b@b.example.com?h=a,b> ,sip:c@c.example.com",
      NameAddrForm::kAddrSpecAllowed, [&](const NameAddr& na) {
        uris.emplace_back(na.uri.text);
        names.emplace_back(na.display_name);
      });
  // ',' is not a URI param char, so the first value is rejected: commas inside <> still split
  // nothing, but the URI itself must be valid.
  EXPECT_FALSE(r);
  uris.clear();
  r = parse_name_addr_list("\"Doe, John\" <sip:j@a.example.com>, <sip:b@b.example.com?h=a%2Cb> ,"
                           "sip:c@c.example.com",
                           NameAddrForm::kAddrSpecAllowed,
                           [&](const NameAddr& na) { uris.emplace_back(na.uri.text); });
  ASSERT_TRUE(r);
  ASSERT_EQ(uris.size(), 3U);
  EXPECT_EQ(uris[0], "sip:j@a.example.com");
  EXPECT_EQ(uris[1], "sip:b@b.example.com?h=a%2Cb");
  EXPECT_EQ(uris[2], "sip:c@c.example.com");
  EXPECT_FALSE(parse_name_addr_list("<sip:a@b>,,<sip:c@d>", NameAddrForm::kAddrSpecAllowed,
                                    [](const NameAddr&) {}));
  EXPECT_FALSE(parse_name_addr_list("<sip:a@b>,", NameAddrForm::kAddrSpecAllowed,
                                    [](const NameAddr&) {}));
}

// ---- Via ----

TEST(Via, Fields) {
  auto v = parse_via("SIP/2.0/WSS abc123.invalid;branch=z9hG4bK56sdasks;rport=5060;received=192.0.2.1;ttl=16;maddr=224.2.0.1;x");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->transport, Transport::kWss);
  EXPECT_TRUE(is_reliable(v->transport));
  EXPECT_EQ(v->host, "abc123.invalid");
  EXPECT_FALSE(v->port);
  EXPECT_EQ(v->branch, "z9hG4bK56sdasks");
  EXPECT_TRUE(v->has_magic_cookie());
  EXPECT_TRUE(v->has_rport);
  EXPECT_EQ(v->rport, 5060);
  EXPECT_EQ(v->received, "192.0.2.1");
  EXPECT_EQ(v->ttl, 16);
  EXPECT_EQ(v->maddr, "224.2.0.1");
  EXPECT_TRUE(v->params.has("x"));
  EXPECT_EQ(v->sent_by(), "abc123.invalid");

  auto ws = parse_via("SIP/2.0/ws [2001:db8::1] : 8080 ;branch=z9hG4bKx");
  ASSERT_TRUE(ws);
  EXPECT_EQ(ws->transport, Transport::kWs);
  EXPECT_EQ(ws->port, 8080);
  EXPECT_EQ(ws->sent_by(), "[2001:db8::1] : 8080");
  EXPECT_EQ(to_string(Transport::kWss), "WSS");
  EXPECT_FALSE(is_reliable(Transport::kUdp));
}

TEST(Via, Rejections) {
  const char* bad[] = {
      "SIP/2.0/UDP",                       // no sent-by
      "SIP/2.0/UDPhost",                   // no LWS before sent-by
      "SIP/3.0/UDP host",                  // version
      "SIP/2.0 UDP host",                  // missing '/'
      "SIP/2.0/UDP host:port",             // port
      "SIP/2.0/UDP host;;branch=x",        // empty param (RFC 4475 §3.1.2.1)
      "SIP/2.0/UDP host;rport=abc",        // rport value
      "SIP/2.0/UDP host;ttl=300",          // ttl range
      "SIP/2.0/UDP host (comment)",        // RFC 2543 comment
  };
  for (const char* text : bad) {
    auto r = parse_via(text);
    EXPECT_FALSE(r) << text;
    if (!r) {
      EXPECT_EQ(r.error().code, ParseErrorCode::kBadVia);
    }
  }
}

}  // namespace
}  // namespace wimpu::sip
