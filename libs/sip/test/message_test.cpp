// Message parsing: framing, header names, eager headers and their errors (table-driven).
#include <gtest/gtest.h>

#include <string>

#include "wimpu/common/counter.hpp"
#include "wimpu/sip/message.hpp"

namespace wimpu::sip {
namespace {

constexpr std::string_view kOptions =
    "OPTIONS sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:bob@example.com>\r\n"
    "From: <sip:alice@example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 63104 OPTIONS\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

std::string with(std::string_view from, std::string_view to) {
  std::string s(kOptions);
  const auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

TEST(Message, ParsesMinimalRequest) {
  auto msg = Message::parse(kOptions, ParseOptions::stream());
  ASSERT_TRUE(msg) << to_string(msg.error().code);
  EXPECT_TRUE(msg->is_request());
  EXPECT_EQ(msg->method(), Method::kOptions);
  EXPECT_EQ(msg->start_line(), "OPTIONS sip:bob@example.com SIP/2.0");
  EXPECT_EQ(msg->top_via().branch, "z9hG4bK776asdhds");
  EXPECT_EQ(msg->top_via().port, 5060);
  EXPECT_EQ(msg->from_tag(), "1928301774");
  EXPECT_EQ(msg->to_tag(), "");
  EXPECT_EQ(msg->max_forwards(), 70);
  EXPECT_EQ(msg->cseq().number, 63104U);
  EXPECT_EQ(msg->headers().size(), 7U);
  EXPECT_EQ(msg->bytes(), kOptions);
  EXPECT_EQ(msg->header_section_end(), kOptions.size() - 2);
  const HeaderField& via = msg->headers()[0];
  EXPECT_EQ(msg->bytes().substr(via.begin, via.end - via.begin),
            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n");
}

TEST(Message, CompactFormsAndCaseInsensitiveNames) {
  const std::string text =
      "MESSAGE sip:bob@example.com SIP/2.0\r\n"
      "v: SIP/2.0/TCP h.example.com;branch=z9hG4bK1\r\n"
      "t: <sip:bob@example.com>\r\nf: <sip:a@example.com>;tag=x\r\ni: cid\r\n"
      "cSEQ: 1 MESSAGE\r\nm: <sip:a@h.example.com>\r\nc: text/plain\r\nk: path\r\n"
      "e: gzip\r\no: reg\r\nu: reg\r\nx: 90\r\ns: hi\r\nr: <sip:c@example.com>\r\n"
      "b: <sip:d@example.com>\r\nj: *;a\r\nd: proxy\r\na: *;b\r\ny: abc\r\nn: <http://x>\r\n"
      "l: 2\r\n\r\nhi";
  auto m = Message::parse(text, ParseOptions::stream());
  ASSERT_TRUE(m) << to_string(m.error().code) << " " << m.error().header;
  EXPECT_EQ(m->call_id(), "cid");
  EXPECT_EQ(m->contacts().size(), 1U);
  EXPECT_EQ(m->body(), "hi");
  const HeaderId expected[] = {
      HeaderId::kVia,          HeaderId::kTo,           HeaderId::kFrom,
      HeaderId::kCallId,       HeaderId::kCSeq,         HeaderId::kContact,
      HeaderId::kContentType,  HeaderId::kSupported,    HeaderId::kContentEncoding,
      HeaderId::kEvent,        HeaderId::kAllowEvents,  HeaderId::kSessionExpires,
      HeaderId::kSubject,      HeaderId::kReferTo,      HeaderId::kReferredBy,
      HeaderId::kRejectContact, HeaderId::kRequestDisposition, HeaderId::kAcceptContact,
      HeaderId::kIdentity,     HeaderId::kIdentityInfo, HeaderId::kContentLength};
  ASSERT_EQ(m->headers().size(), std::size(expected));
  for (std::size_t i = 0; i < std::size(expected); ++i) {
    EXPECT_EQ(m->headers()[i].id, expected[i]) << m->headers()[i].name;
  }
}

TEST(Message, EveryKnownNameMapsBack) {
  for (int i = 1; i < static_cast<int>(HeaderId::kCount_); ++i) {
    const auto id = static_cast<HeaderId>(i);
    const std::string_view name = canonical_name(id);
    ASSERT_FALSE(name.empty());
    EXPECT_EQ(header_id_from_name(name), id) << name;
    std::string upper(name);
    for (char& c : upper) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    EXPECT_EQ(header_id_from_name(upper), id) << upper;
    if (const char c = compact_form(id)) {
      EXPECT_EQ(header_id_from_name(std::string_view(&c, 1)), id);
    }
  }
  EXPECT_EQ(header_id_from_name("X-Unknown"), HeaderId::kOther);
  EXPECT_EQ(header_id_from_name("Call\rID"), HeaderId::kOther);
  EXPECT_EQ(header_id_from_name(""), HeaderId::kOther);
  EXPECT_EQ(header_id_from_name("q"), HeaderId::kOther);
  EXPECT_EQ(header_id_from_name("Vias"), HeaderId::kOther);
}

// The parser compares header names a word at a time (reading past the name into the line):
// every known name in three cases, and near-misses one octet longer or shorter or differing in
// the last octet, must map exactly as header_id_from_name() says.
TEST(Message, ParserMapsEveryKnownNameInAnyCaseAndNoNearMiss) {
  for (int i = 1; i < static_cast<int>(HeaderId::kCount_); ++i) {
    const auto id = static_cast<HeaderId>(i);
    const std::string name(canonical_name(id));
    std::string upper = name;
    std::string lower = name;
    for (std::size_t k = 0; k < name.size(); ++k) {
      upper[k] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[k])));
      lower[k] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[k])));
    }
    std::string last_changed = name;
    last_changed.back() = last_changed.back() == 'x' ? 'y' : 'x';
    const std::string candidates[] = {name,       upper, lower, name + "x",
                                      name.substr(0, name.size() - 1), last_changed};
    for (const std::string& cand : candidates) {
      if (cand.empty()) {
        continue;
      }
      // Appended after Content-Length as an extra line (values that do not parse as the known
      // header's syntax would fail the parse; "1" is not checked for headers parsed lazily).
      const HeaderId expected = header_id_from_name(cand);
      const std::string text =
          with("Content-Length: 0\r\n", "Content-Length: 0\r\nX-Pad: 1\r\n" + cand + ":1\r\n");
      Message m;
      auto r = parse_into(m, text, ParseOptions::stream());
      if (!r) {
        // Only an eagerly parsed header (bad value, or a repeated single one) may fail, and the
        // error names the header it was recognised as.
        EXPECT_NE(expected, HeaderId::kOther) << cand;
        EXPECT_EQ(r.error().header, canonical_name(expected)) << cand;
        continue;
      }
      ASSERT_GE(m.headers().size(), 2U);
      EXPECT_EQ(m.headers().back().id, expected) << cand;
      EXPECT_EQ(m.headers().back().name, cand);
    }
  }
}

TEST(Message, FindByNameAndCount) {
  const std::string text = with("Max-Forwards: 70\r\n",
                                "Max-Forwards: 70\r\nX-Custom: one\r\nx-custom: two\r\n"
                                "Supported: path\r\nk: gruu\r\n");
  auto m = Message::parse(text, ParseOptions::stream());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->find("X-CUSTOM")->value, "one");
  EXPECT_EQ(m->find("k")->value, "path");  // compact name finds the full form too
  EXPECT_EQ(m->count(HeaderId::kSupported), 2U);
  EXPECT_EQ(m->find("Nope"), nullptr);
  EXPECT_EQ(m->header_value(HeaderId::kRoute), "");
}

TEST(Message, FoldingAndBareLf) {
  const std::string text =
      "OPTIONS sip:bob@example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP 192.0.2.1\n ;branch=z9hG4bK1\n"
      "To: <sip:bob@example.com>\nFrom: <sip:a@example.com>\n\t;tag=9\n"
      "Call-ID: c\nCSeq: 1\n  OPTIONS\nContent-Length: 0\n\n";
  auto m = Message::parse(text, ParseOptions::stream());
  ASSERT_TRUE(m) << to_string(m.error().code);
  EXPECT_EQ(m->top_via().branch, "z9hG4bK1");
  EXPECT_EQ(m->from_tag(), "9");
  EXPECT_EQ(m->cseq().method, Method::kOptions);
}

TEST(Message, FramingPerTransport) {
  // Stream: Content-Length mandatory; trailing bytes (the next message) are not part of this one.
  const std::string two = std::string(kOptions) + "INVITE sip:x SIP/2.0\r\n";
  Message m;
  ASSERT_TRUE(parse_into(m, two, ParseOptions::stream()));
  EXPECT_EQ(m.bytes().size(), kOptions.size());
  const std::string no_cl = with("Content-Length: 0\r\n", "");
  auto s = parse_into(m, no_cl, ParseOptions::stream());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ParseErrorCode::kBadContentLength);
  EXPECT_EQ(s.error().header, "Content-Length");
  EXPECT_TRUE(m.empty());
  // Datagram / WebSocket: optional, body runs to the end.
  const std::string ws = no_cl + "body";
  ASSERT_TRUE(parse_into(m, ws, ParseOptions::websocket()));
  EXPECT_EQ(m.body(), "body");
  EXPECT_FALSE(m.content_length());
  // Leading CRLFs (keep-alives) are skipped, offsets stay relative to the input.
  const std::string lead = "\r\n\r\n" + std::string(kOptions);
  ASSERT_TRUE(parse_into(m, lead, ParseOptions::stream()));
  EXPECT_EQ(m.bytes(), kOptions);
  const std::string lead_bad = "\r\n" + with("SIP/2.0\r\n", "SIP/3.0\r\n");
  auto e = parse_into(m, lead_bad, ParseOptions::stream());
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ParseErrorCode::kBadVersion);
  EXPECT_EQ(e.error().offset, 2U + 28U);
  // Size limit.
  ParseOptions small = ParseOptions::stream();
  small.max_size = 100;
  auto big = parse_into(m, kOptions, small);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ParseErrorCode::kMessageTooLarge);
}

TEST(Message, ContactStar) {
  const std::string star = with("Max-Forwards: 70\r\n", "Max-Forwards: 70\r\nContact: *\r\nExpires: 0\r\n");
  auto m = Message::parse(star, ParseOptions::stream());
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->contact_is_star());
  EXPECT_TRUE(m->contacts().empty());
  const std::string mixed =
      with("Max-Forwards: 70\r\n", "Max-Forwards: 70\r\nContact: *\r\nContact: <sip:a@b>\r\n");
  auto bad = Message::parse(mixed, ParseOptions::stream());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ParseErrorCode::kBadNameAddr);
}

TEST(Message, CopyAndMoveKeepViewsValid) {
  Message original;
  ASSERT_TRUE(parse_into(original, kOptions, ParseOptions::stream()));
  Message copy(original);
  EXPECT_EQ(copy.bytes(), original.bytes());
  EXPECT_NE(copy.bytes().data(), original.bytes().data());
  EXPECT_EQ(copy.top_via().branch.data() - copy.bytes().data(),
            original.top_via().branch.data() - original.bytes().data());
  Message moved(std::move(copy));
  EXPECT_EQ(moved.call_id(), "a84b4c76e66710");
  EXPECT_GE(moved.call_id().data(), moved.bytes().data());
  EXPECT_LT(moved.call_id().data(), moved.bytes().data() + moved.bytes().size());
  Message assigned;
  assigned = moved;
  EXPECT_EQ(assigned.from_tag(), "1928301774");
  original = std::move(assigned);
  EXPECT_EQ(original.cseq().number, 63104U);
}

TEST(Message, ParseIntoAdoptsTheBufferWithoutCopying) {
  std::string bytes(kOptions);
  const char* const data = bytes.data();
  Message m;
  ASSERT_TRUE(parse_into(m, std::move(bytes), ParseOptions::stream()));
  EXPECT_EQ(m.bytes().data(), data);  // the received string itself, no copy
  EXPECT_EQ(m.bytes(), kOptions);
  EXPECT_EQ(m.top_via().branch, "z9hG4bK776asdhds");
  // Leading CRLFs (RFC 3261 §7.5) are dropped from the adopted buffer too; error offsets stay
  // relative to the caller's bytes, as with the copying overload.
  Message m2;
  ASSERT_TRUE(parse_into(m2, "\r\n\r\n" + std::string(kOptions), ParseOptions::stream()));
  EXPECT_EQ(m2.bytes(), kOptions);
  EXPECT_EQ(m2.call_id(), "a84b4c76e66710");
  const std::string bad = "\r\n" + with("CSeq: 63104 OPTIONS", "CSeq: x OPTIONS");
  Message v;
  auto by_view = parse_into(v, bad, ParseOptions::stream());
  auto adopted = parse_into(m2, std::string(bad), ParseOptions::stream());
  ASSERT_FALSE(by_view);
  ASSERT_FALSE(adopted);
  EXPECT_EQ(adopted.error().offset, by_view.error().offset);
  EXPECT_EQ(bad.substr(adopted.error().offset, 1), "x");
  EXPECT_TRUE(m2.empty());
  // A reused Message parses again after an error.
  ASSERT_TRUE(parse_into(m2, std::string(kOptions), ParseOptions::stream()));
  EXPECT_EQ(m2.cseq().number, 63104U);
}

TEST(Message, ManyHeaderLinesBeyondTheReservedIndex) {
  std::string text(kOptions);
  std::string extra;
  for (int i = 0; i < 40; ++i) {
    extra += "X-Extra-" + std::to_string(i) + ": v" + std::to_string(i) + "\r\n";
  }
  text.insert(text.find("Content-Length"), extra);
  auto m = Message::parse(text, ParseOptions::stream());
  ASSERT_TRUE(m) << to_string(m.error().code);
  EXPECT_EQ(m->headers().size(), 47U);
  EXPECT_EQ(m->header_value(HeaderId::kCSeq), "63104 OPTIONS");
  EXPECT_EQ(m->find("x-extra-39")->value, "v39");
}

TEST(Message, Response) {
  const std::string text =
      "SIP/2.0 183 Session Progress\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;received=192.0.2.9;rport=5070\r\n"
      "To: <sip:bob@example.com>;tag=t\r\nFrom: <sip:a@example.com>;tag=f\r\n"
      "Call-ID: c\r\nCSeq: 5 INVITE\r\nRecord-Route: <sip:p1;lr>,<sip:p2;lr>\r\n"
      "Content-Length: 0\r\n\r\n";
  auto m = Message::parse(text, ParseOptions::stream());
  ASSERT_TRUE(m) << to_string(m.error().code);
  EXPECT_TRUE(m->is_response());
  EXPECT_EQ(m->status_code(), 183);
  EXPECT_EQ(m->reason_phrase(), "Session Progress");
  EXPECT_EQ(m->cseq().method, Method::kInvite);  // no method check for responses
  EXPECT_EQ(m->top_via().rport, 5070);
  EXPECT_EQ(m->record_routes().size(), 2U);
  EXPECT_EQ(m->record_routes()[1].header_index, m->record_routes()[0].header_index);
}

struct BadMessage {
  const char* name;
  std::string text;
  ParseErrorCode code;
  std::string_view header;
};

void PrintTo(const BadMessage& b, std::ostream* os) { *os << b.name; }

class BadMessageTest : public ::testing::TestWithParam<BadMessage> {};

TEST_P(BadMessageTest, RejectedWithCodeAndHeader) {
  const auto before = common::counter(std::string("sip.parse_error.") +
                                      std::string(to_string(GetParam().code)))
                          .value();
  Message m;
  auto r = parse_into(m, GetParam().text, ParseOptions::stream());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, GetParam().code) << to_string(r.error().code);
  EXPECT_EQ(r.error().header, GetParam().header);
  EXPECT_LE(r.error().offset, GetParam().text.size());
  EXPECT_TRUE(m.empty());
  // Every error path is counted (STYLE.md habit 7).
  EXPECT_EQ(common::counter(std::string("sip.parse_error.") +
                            std::string(to_string(GetParam().code)))
                .value(),
            before + 1);
  // The overload that adopts the bytes rejects the same way, at the same offset.
  Message adopted;
  auto r2 = parse_into(adopted, std::string(GetParam().text), ParseOptions::stream());
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, r.error().code);
  EXPECT_EQ(r2.error().offset, r.error().offset);
  EXPECT_EQ(r2.error().header, r.error().header);
  EXPECT_TRUE(adopted.empty());
}

using E = ParseErrorCode;
INSTANTIATE_TEST_SUITE_P(
    Message, BadMessageTest,
    ::testing::Values(
        BadMessage{"empty", "\r\n\r\n", E::kEmpty, ""},
        BadMessage{"no_lf", "OPTIONS sip:a@b SIP/2.0", E::kBadStartLine, ""},
        BadMessage{"one_token", "OPTIONS\r\n\r\n", E::kBadStartLine, ""},
        BadMessage{"bad_method", with("OPTIONS sip", "OPT@ONS sip"), E::kBadMethod, ""},
        BadMessage{"lowercase_version_ok_but_2_1", with("SIP/2.0\r\n", "SIP/2.1\r\n"),
                   E::kBadVersion, ""},
        BadMessage{"garbage_version", with("SIP/2.0\r\n", "HTTP/1.1\r\n"), E::kBadStartLine, ""},
        BadMessage{"status_2_digits", "SIP/2.0 20 OK\r\n\r\n", E::kBadStatusCode, ""},
        BadMessage{"status_range", "SIP/2.0 700 Nope\r\n\r\n", E::kBadStatusCode, ""},
        BadMessage{"reason_ctl", std::string("SIP/2.0 200 O\x01K\r\n\r\n"), E::kBadReason, ""},
        BadMessage{"no_header_end", "OPTIONS sip:a@b SIP/2.0\r\nVia: x", E::kHeadersUnterminated,
                   ""},
        BadMessage{"no_colon", with("Max-Forwards: 70", "Max-Forwards 70"), E::kBadHeader, ""},
        BadMessage{"leading_ws", with("SIP/2.0\r\n", "SIP/2.0\r\n X: folded start line\r\n"),
                   E::kBadHeader, ""},
        BadMessage{"missing_via", with("Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n",
                                       ""),
                   E::kMissingMandatoryHeader, "Via"},
        BadMessage{"missing_call_id", with("Call-ID: a84b4c76e66710\r\n", ""),
                   E::kMissingMandatoryHeader, "Call-ID"},
        BadMessage{"missing_cseq", with("CSeq: 63104 OPTIONS\r\n", ""),
                   E::kMissingMandatoryHeader, "CSeq"},
        BadMessage{"dup_to", with("To:", "To: <sip:x@y>\r\nTo:"), E::kDuplicateHeader, "To"},
        BadMessage{"dup_call_id", with("Call-ID:", "i: other\r\nCall-ID:"), E::kDuplicateHeader,
                   "Call-ID"},
        BadMessage{"dup_mf", with("Max-Forwards: 70", "Max-Forwards: 70\r\nMax-Forwards: 69"),
                   E::kDuplicateHeader, "Max-Forwards"},
        BadMessage{"bad_via", with("SIP/2.0/UDP 192.0.2.1:5060", "SIP/2.0/UDP"), E::kBadVia, "Via"},
        BadMessage{"empty_via", with("Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds",
                                     "Via:"),
                   E::kBadVia, "Via"},
        BadMessage{"bad_from", with("<sip:alice@example.com>;tag", "<sip:alice@example.com;tag"),
                   E::kBadNameAddr, "From"},
        BadMessage{"route_addr_spec", with("Max-Forwards: 70\r\n",
                                           "Max-Forwards: 70\r\nRoute: sip:p1.example.com\r\n"),
                   E::kBadNameAddr, "Route"},
        BadMessage{"bad_call_id", with("a84b4c76e66710", "a84b 4c76"), E::kBadCallId, "Call-ID"},
        BadMessage{"call_id_two_at", with("a84b4c76e66710", "a@b@c"), E::kBadCallId, "Call-ID"},
        BadMessage{"cseq_no_method", with("63104 OPTIONS", "63104"), E::kBadCSeq, "CSeq"},
        BadMessage{"cseq_overflow", with("63104 OPTIONS", "4294967296 OPTIONS"), E::kBadCSeq,
                   "CSeq"},
        BadMessage{"cseq_mismatch", with("63104 OPTIONS", "63104 INVITE"), E::kCSeqMethodMismatch,
                   "CSeq"},
        BadMessage{"cseq_case", with("63104 OPTIONS", "63104 options"), E::kCSeqMethodMismatch,
                   "CSeq"},
        BadMessage{"mf_256", with("Max-Forwards: 70", "Max-Forwards: 256"), E::kBadMaxForwards,
                   "Max-Forwards"},
        BadMessage{"mf_text", with("Max-Forwards: 70", "Max-Forwards: seventy"),
                   E::kBadMaxForwards, "Max-Forwards"},
        BadMessage{"cl_text", with("Content-Length: 0", "Content-Length: zero"),
                   E::kBadContentLength, "Content-Length"},
        BadMessage{"cl_too_long", with("Content-Length: 0", "Content-Length: 10"),
                   E::kBodyTruncated, "Content-Length"},
        BadMessage{"bad_ruri", with("sip:bob@example.com", "sip:bob@exa mple.com"),
                   E::kBadStartLine, ""},
        BadMessage{"ruri_scheme", with("sip:bob@example.com", "bob@example.com"), E::kBadUri,
                   "Request-URI"}));

}  // namespace
}  // namespace wimpu::sip
