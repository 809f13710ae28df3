// Golden messages (libs/sip/test/golden): RFC 4475 torture tests, RFC 5118 IPv6 tests, and what
// JsSIP / SIP.js send over WebSocket. Table-driven: each valid message is checked field by field,
// each invalid one must fail with the expected code and header.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "golden_util.hpp"
#include "wimpu/sip/header_values.hpp"
#include "wimpu/sip/message.hpp"

namespace wimpu::sip {
namespace {

using test::load_golden;

struct Golden {
  const char* file;
  ParseOptions options;
  std::optional<ParseErrorCode> error;  // nullopt: must parse
  std::string_view error_header;
  void (*check)(const Message&);
  const char* why;  // the RFC's verdict, and our decision where we deviate
};

const ParseOptions kUdp = ParseOptions::datagram();
const ParseOptions kTcp = ParseOptions::stream();
const ParseOptions kWs = ParseOptions::websocket();

std::string unquoted_display(const NameAddr& na) {
  std::string s;
  na.display_name_unquoted(s);
  return s;
}

// ------------------------------------------------------------------------------------------
// RFC 4475 §3.1.1: valid messages

void check_wsinv(const Message& m) {
  EXPECT_EQ(m.method(), Method::kInvite);
  EXPECT_EQ(m.request_uri().user, "vivekg");
  EXPECT_EQ(m.request_uri().host, "chair-dnrc.example.com");
  EXPECT_TRUE(m.request_uri().has_param("unknownparam"));
  EXPECT_EQ(m.to().uri.text, "sip:vivekg@chair-dnrc.example.com");
  EXPECT_EQ(m.to_tag(), "1918181833n");
  EXPECT_EQ(unquoted_display(m.from()), "J Rosenberg \\\"");
  EXPECT_EQ(m.from().uri.text, "sip:jdrosen@example.com");
  EXPECT_EQ(m.from_tag(), "98asjd8");
  EXPECT_EQ(m.max_forwards(), 68);
  EXPECT_EQ(m.call_id(), "wsinv.ndaksdj@192.0.2.1");
  EXPECT_EQ(m.content_length(), 150U);
  EXPECT_EQ(m.cseq().number, 9U);
  EXPECT_EQ(m.cseq().method, Method::kInvite);
  ASSERT_EQ(m.vias().size(), 3U);
  EXPECT_EQ(m.vias()[0].transport, Transport::kUdp);
  EXPECT_EQ(m.vias()[0].host, "192.0.2.2");
  EXPECT_EQ(m.vias()[0].branch, "390skdjuw");
  EXPECT_FALSE(m.vias()[0].has_magic_cookie());
  EXPECT_EQ(m.vias()[1].transport, Transport::kTcp);
  EXPECT_EQ(m.vias()[1].host, "spindle.example.com");
  EXPECT_EQ(m.vias()[1].branch, "z9hG4bK9ikj8");
  EXPECT_EQ(m.vias()[2].host, "192.168.255.111");
  EXPECT_EQ(m.vias()[2].host_type, HostType::kIPv4);
  EXPECT_EQ(m.vias()[2].branch, "z9hG4bK30239");
  EXPECT_EQ(m.vias()[1].header_index, m.vias()[2].header_index);
  const HeaderField* subject = m.find("s");
  ASSERT_NE(subject, nullptr);
  EXPECT_EQ(subject->id, HeaderId::kSubject);
  EXPECT_EQ(subject->value, "");
  const HeaderField* nf = m.find("newfangledheader");
  ASSERT_NE(nf, nullptr);
  EXPECT_EQ(nf->value, "newfangled value\r\n continued newfangled value");
  EXPECT_EQ(m.find("UnknownHeaderWithUnusualValue")->value, ";;,,;;,;");
  ASSERT_EQ(m.routes().size(), 1U);
  EXPECT_EQ(m.routes()[0].uri.host, "services.example.com");
  EXPECT_TRUE(m.routes()[0].uri.lr());
  EXPECT_EQ(m.routes()[0].uri.param("unknownwith"), "value");
  EXPECT_TRUE(m.routes()[0].uri.has_param("unknown-no-value"));
  ASSERT_EQ(m.contacts().size(), 1U);
  EXPECT_EQ(unquoted_display(m.contacts()[0]), "Quoted string \"\"");
  EXPECT_EQ(m.contacts()[0].params.value("newparam"), "newvalue");
  EXPECT_TRUE(m.contacts()[0].params.has("secondparam"));
  EXPECT_EQ(contact_q(m.contacts()[0]), 330);
  EXPECT_EQ(m.body().size(), 150U);
  EXPECT_EQ(m.body().substr(0, 5), "v=0\r\n");
}

void check_intmeth(const Message& m) {
  EXPECT_EQ(m.method(), Method::kExtension);
  EXPECT_EQ(m.method_text(), "!interesting-Method0123456789_*+`.%indeed'~");
  EXPECT_EQ(m.cseq().method_text, m.method_text());
  EXPECT_EQ(m.cseq().number, 139122385U);
  EXPECT_EQ(m.request_uri().user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_TRUE(m.request_uri().has_password);
  EXPECT_EQ(m.request_uri().password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  EXPECT_EQ(m.request_uri().host, "example.com");
  EXPECT_EQ(m.top_via().branch, "z9hG4bK-.!%66*_+`'~");
  // To display name carries escaped BEL, NUL and DEL.
  const std::string to_name = unquoted_display(m.to());
  EXPECT_EQ(to_name, std::string("BEL:\x07 NUL:\0 DEL:\x7f", 17));
  EXPECT_EQ(m.to().uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(m.from().display_name, "token1~` token2'+_ token3*%!.-");
  EXPECT_EQ(m.from_tag(), "_token~1'+`*%!-.");
  EXPECT_TRUE(m.from().params.has("fromParam''~+*_!.-%"));
  EXPECT_EQ(m.call_id(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
  EXPECT_EQ(m.max_forwards(), 255);
  const HeaderField* ext = m.find("extensionHeader-!.%*+_`'~");
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->value, "\xEF\xBB\xBF\xE5\xA4\xA7\xE5\x81\x9C\xE9\x9B\xBB");
}

void check_esc01(const Message& m) {
  std::string user;
  unescape(m.request_uri().user, user);
  EXPECT_EQ(user, "sips:user@example.com");
  EXPECT_EQ(m.request_uri().host, "example.net");
  EXPECT_EQ(m.to().uri.user, "%75se%72");
  auto plain = parse_uri("sip:user@example.com");
  ASSERT_TRUE(plain);
  EXPECT_TRUE(uri_equal(m.to().uri, *plain));
  std::string from_user;
  unescape(m.from().uri.user, from_user);
  EXPECT_EQ(from_user, "I have spaces");
  EXPECT_EQ(m.call_id(), "esc01.239409asdfakjkn23onasd0-3234");
  ASSERT_EQ(m.contacts().size(), 1U);
  EXPECT_EQ(m.contacts()[0].uri.user, "cal%6Cer");
  EXPECT_TRUE(m.contacts()[0].uri.has_param("%6C%72"));
  EXPECT_EQ(m.contacts()[0].uri.param("n%61me"), "v%61lue%25%34%31");
  EXPECT_EQ(m.header_value(HeaderId::kContentType), "application/sdp");
}

void check_escnull(const Message& m) {
  std::string user;
  unescape(m.to().uri.user, user);
  EXPECT_EQ(user, std::string("null-\0-null", 11));
  ASSERT_EQ(m.contacts().size(), 2U);
  EXPECT_EQ(m.contacts()[0].uri.user, "%00");
  EXPECT_EQ(m.contacts()[1].uri.user, "%00%00");
  EXPECT_FALSE(uri_equal(m.contacts()[0].uri, m.contacts()[1].uri));
  EXPECT_EQ(m.content_length(), 0U);
}

void check_esc02(const Message& m) {
  // "RE%47IST%45R" is an extension method, not REGISTER (tokens are not unescaped).
  EXPECT_EQ(m.method(), Method::kExtension);
  EXPECT_EQ(m.method_text(), "RE%47IST%45R");
  EXPECT_EQ(m.cseq().method_text, "RE%47IST%45R");
  EXPECT_EQ(m.to().display_name, "\"%Z%45\"");
  EXPECT_EQ(m.top_via().branch, "z9hG4bK209%fzsnel234");
  // "C%6Fntact" is an unknown header, not Contact.
  ASSERT_EQ(m.contacts().size(), 2U);
  EXPECT_EQ(m.contacts()[1].uri.host, "host3.example.com");
  const HeaderField* odd = m.find("C%6Fntact");
  ASSERT_NE(odd, nullptr);
  EXPECT_EQ(odd->id, HeaderId::kOther);
}

void check_lwsdisp(const Message& m) {
  EXPECT_EQ(m.from().display_name, "caller");
  EXPECT_EQ(m.from().uri.text, "sip:caller@example.com");
  EXPECT_EQ(m.from_tag(), "323");
}

void check_longreq(const Message& m) {
  EXPECT_EQ(m.method(), Method::kInvite);
  EXPECT_EQ(m.to().uri.port, 6000);
  EXPECT_TRUE(m.to().uri.has_param(
      "verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglong"
      "longlonglongParameterNameWithNoValue"));
  EXPECT_EQ(m.from_tag().size(), 155U);
  EXPECT_EQ(m.vias().size(), 34U);
  EXPECT_EQ(m.vias()[0].host, "sip33.example.com");
  EXPECT_EQ(m.vias()[32].host, "sip1.example.com");
  EXPECT_EQ(m.vias()[33].received, "192.0.2.5");
  EXPECT_EQ(m.vias()[33].branch.size(), 215U);
  EXPECT_EQ(m.count(HeaderId::kVia), 34U);
  EXPECT_EQ(m.content_length(), 150U);
  EXPECT_EQ(m.contacts().size(), 1U);
}

void check_dblreq(const Message& m) {
  // RFC 3261 §18.3: the bytes after Content-Length are noise and ignored on UDP.
  EXPECT_EQ(m.method(), Method::kRegister);
  EXPECT_EQ(m.content_length(), 0U);
  EXPECT_TRUE(m.body().empty());
  EXPECT_EQ(m.bytes().substr(m.bytes().size() - 4), "\r\n\r\n");
  EXPECT_EQ(m.bytes().find("INVITE"), std::string_view::npos);
  EXPECT_EQ(m.call_id(), "dblreq.0ha0isndaksdj99sdfafnl3lk233412");
}

void check_semiuri(const Message& m) {
  EXPECT_EQ(m.request_uri().user, "user;par=u%40example.net");
  EXPECT_EQ(m.request_uri().host, "example.com");
  EXPECT_TRUE(m.request_uri().params.empty());
  const HeaderField* accept = m.find(HeaderId::kAccept);
  ASSERT_NE(accept, nullptr);
  EXPECT_NE(accept->value.find("message/sipfrag"), std::string_view::npos);
}

void check_transports(const Message& m) {
  ASSERT_EQ(m.vias().size(), 5U);
  EXPECT_EQ(m.vias()[0].transport, Transport::kUdp);
  EXPECT_EQ(m.vias()[1].transport, Transport::kSctp);
  EXPECT_EQ(m.vias()[2].transport, Transport::kTls);
  EXPECT_EQ(m.vias()[3].transport, Transport::kOther);
  EXPECT_EQ(m.vias()[3].transport_text, "UNKNOWN");
  EXPECT_EQ(m.vias()[4].transport, Transport::kTcp);
  EXPECT_EQ(m.vias()[4].host, "t5.example.com");
  EXPECT_EQ(m.call_id(), "transports.kijh4akdnaqjkwendsasfdj");
}

void check_mpart01(const Message& m) {
  EXPECT_EQ(m.method(), Method::kMessage);
  EXPECT_TRUE(m.top_via().has_rport);
  EXPECT_FALSE(m.top_via().rport.has_value());
  EXPECT_EQ(m.top_via().port, 5070);
  EXPECT_EQ(m.content_length(), 553U);
  EXPECT_EQ(m.body().size(), 553U);
  auto ct = content_type(m);
  ASSERT_TRUE(ct && *ct);
  EXPECT_EQ((*ct)->type, "multipart");
  EXPECT_EQ((*ct)->params.value("boundary"), "7a9cbec02ceef655");
  EXPECT_EQ(user_agent(m), "SIPimp.org/0.2.5 (curses)");
  ASSERT_EQ(m.routes().size(), 1U);
  EXPECT_EQ(m.routes()[0].uri.port, 5080);
  EXPECT_FALSE(m.routes()[0].uri.lr());
}

void check_unreason(const Message& m) {
  EXPECT_TRUE(m.is_response());
  EXPECT_EQ(m.status_code(), 200);
  EXPECT_EQ(m.reason_phrase().substr(0, 16), "= 2**3 * 5**2 \xD0\xBD");
  EXPECT_EQ(m.to_tag(), "2229");
  EXPECT_EQ(m.body().size(), 154U);
}

void check_noreason(const Message& m) {
  EXPECT_EQ(m.status_code(), 100);
  EXPECT_EQ(m.reason_phrase(), "");
  EXPECT_EQ(m.to_tag(), "902jndnke3");
}

// ------------------------------------------------------------------------------------------
// RFC 4475 §3.2-3.4: parse fine; the transaction/application layers decide

void check_badbranch(const Message& m) {
  EXPECT_EQ(m.top_via().branch, "z9hG4bK");  // the bare cookie: RFC 2543 matching applies
  EXPECT_TRUE(m.top_via().has_magic_cookie());
}

void check_baddate(const Message& m) {
  EXPECT_EQ(m.header_value(HeaderId::kDate), "Fri, 01 Jan 2010 16:00:00 EST");
}

void check_insensitive_ok(const Message& m) { EXPECT_TRUE(m.is_request()); }

void check_unkscm(const Message& m) {
  EXPECT_EQ(m.request_uri().scheme, UriScheme::kOther);
  EXPECT_EQ(m.request_uri().scheme_text, "nobodyKnowsThisScheme");
  EXPECT_EQ(m.request_uri().opaque, "totallyopaquecontent");
}

void check_novelsc(const Message& m) {
  EXPECT_EQ(m.request_uri().scheme_text, "soap.beep");
  EXPECT_EQ(m.request_uri().opaque, "//192.0.2.103:3002");
}

void check_unksm2(const Message& m) {
  EXPECT_EQ(m.to().uri.scheme_text, "isbn");
  EXPECT_EQ(m.to().uri.opaque, "2983792873");
  EXPECT_EQ(m.from().uri.scheme_text, "http");
  EXPECT_EQ(m.from_tag(), "3234233");
  ASSERT_EQ(m.contacts().size(), 1U);
  EXPECT_EQ(m.contacts()[0].uri.scheme_text, "name");
}

void check_bext01(const Message& m) {
  auto req = option_tags(m, HeaderId::kRequire);
  ASSERT_TRUE(req);
  ASSERT_EQ(req->size(), 2U);
  EXPECT_EQ((*req)[1], "nothingSupportsThisEither");
  auto preq = option_tags(m, HeaderId::kProxyRequire);
  ASSERT_TRUE(preq);
  EXPECT_EQ(preq->size(), 2U);
  EXPECT_EQ(m.top_via().transport, Transport::kTls);
}

void check_invut(const Message& m) {
  EXPECT_EQ(m.header_value(HeaderId::kContentType), "application/unknownformat");
  EXPECT_EQ(m.body().size(), 40U);
}

void check_regaut01(const Message& m) {
  auto auth = auth_values(m, HeaderId::kAuthorization);
  ASSERT_TRUE(auth);
  ASSERT_EQ(auth->size(), 1U);
  EXPECT_EQ((*auth)[0].scheme, "NoOneKnowsThisScheme");
  EXPECT_EQ((*auth)[0].param("opaque-data"), "here");
}

void check_bcast(const Message& m) {
  EXPECT_EQ(m.status_code(), 200);
  ASSERT_EQ(m.vias().size(), 2U);
  EXPECT_EQ(m.vias()[1].host, "255.255.255.255");
}

void check_zeromf(const Message& m) { EXPECT_EQ(m.max_forwards(), 0); }

void check_cparam01(const Message& m) {
  // addr-spec form: ";unknownparam" is a Contact header parameter, not a URI parameter.
  ASSERT_EQ(m.contacts().size(), 1U);
  EXPECT_TRUE(m.contacts()[0].params.has("unknownparam"));
  EXPECT_FALSE(m.contacts()[0].uri.has_param("unknownparam"));
  EXPECT_EQ(m.contacts()[0].uri.user, "+19725552222");
}

void check_cparam02(const Message& m) {
  ASSERT_EQ(m.contacts().size(), 1U);
  EXPECT_TRUE(m.contacts()[0].uri.has_param("unknownparam"));
  EXPECT_FALSE(m.contacts()[0].params.has("unknownparam"));
}

void check_regescrt(const Message& m) {
  ASSERT_EQ(m.contacts().size(), 1U);
  EXPECT_EQ(m.contacts()[0].uri.headers, "Route=%3Csip:sip.example.com%3E");
}

void check_sdp01(const Message& m) {
  EXPECT_EQ(m.header_value(HeaderId::kAccept), "text/nobodyKnowsThis");
}

void check_inv2543(const Message& m) {
  // RFC 2543 syntax: no branch, no From tag, no Max-Forwards, no Content-Length on UDP.
  EXPECT_TRUE(m.top_via().branch.empty());
  EXPECT_TRUE(m.from_tag().empty());
  EXPECT_FALSE(m.max_forwards().has_value());
  EXPECT_FALSE(m.content_length().has_value());
  EXPECT_EQ(m.body().substr(0, 3), "v=0");
  ASSERT_EQ(m.record_routes().size(), 1U);
  EXPECT_EQ(m.record_routes()[0].uri.param("maddr"), "ss1.example.com");
  // addr-spec form: ";user=phone" is a To header parameter; inside <> it is a URI parameter.
  EXPECT_EQ(m.to().params.value("user"), "phone");
  EXPECT_EQ(m.from().uri.param("user"), "phone");
}

// ------------------------------------------------------------------------------------------
// RFC 5118

void check_ipv6_good(const Message& m) {
  EXPECT_EQ(m.request_uri().host, "[2001:db8::10]");
  EXPECT_EQ(m.request_uri().host_type, HostType::kIPv6);
  EXPECT_FALSE(m.request_uri().port);
  EXPECT_EQ(m.top_via().host, "[2001:db8::9:1]");
  EXPECT_EQ(m.top_via().host_type, HostType::kIPv6);
  ASSERT_EQ(m.contacts().size(), 1U);
  EXPECT_EQ(m.contacts()[0].uri.host, "[2001:db8::1]");
}

void check_port_ambiguous(const Message& m) {
  // "[2001:db8::10:5070]" is an address whose last group is 5070: no port (RFC 5118 §4.3).
  EXPECT_EQ(m.request_uri().host, "[2001:db8::10:5070]");
  EXPECT_FALSE(m.request_uri().port);
}

void check_port_unambiguous(const Message& m) {
  EXPECT_EQ(m.request_uri().host, "[2001:db8::10]");
  EXPECT_EQ(m.request_uri().port, 5070);
  EXPECT_EQ(m.request_uri().host_port(), "[2001:db8::10]:5070");
}

void check_received_delim(const Message& m) {
  EXPECT_EQ(m.top_via().received, "[2001:db8::9:255]");
  EXPECT_EQ(m.top_via().branch, "z9hG4bKas3-111");
}

void check_received_nodelim(const Message& m) {
  EXPECT_EQ(m.top_via().received, "2001:db8::9:255");
  EXPECT_EQ(m.top_via().branch, "z9hG4bKas3-e8");
}

void check_ipv6_in_sdp(const Message& m) {
  EXPECT_NE(m.body().find("c=IN IP6 2001:db8::20"), std::string_view::npos);
  EXPECT_EQ(m.to().uri.host, "[2001:db8::10]");
}

void check_mult_ip_in_header(const Message& m) {
  ASSERT_EQ(m.vias().size(), 3U);
  EXPECT_EQ(m.vias()[0].host, "[2001:db8::9:1]");
  EXPECT_EQ(m.vias()[0].port, 6050);
  EXPECT_EQ(m.vias()[0].sent_by(), "[2001:db8::9:1]:6050");
  EXPECT_EQ(m.vias()[1].host_type, HostType::kIPv4);
  EXPECT_EQ(m.vias()[2].host_type, HostType::kIPv6);
  EXPECT_EQ(m.vias()[2].received, "192.0.2.200");
}

void check_ipv4_mapped(const Message& m) {
  ASSERT_EQ(m.vias().size(), 2U);
  EXPECT_EQ(m.vias()[0].host, "[::ffff:192.0.2.10]");
  EXPECT_EQ(m.vias()[0].port, 19823);
  EXPECT_EQ(m.contacts()[0].uri.host, "[::ffff:192.0.2.2]");
}

void check_abnf_2_colons(const Message& m) {
  EXPECT_EQ(m.request_uri().host, "[2001:db8::192.0.2.1]");
  EXPECT_EQ(m.request_uri().host_type, HostType::kIPv6);
}

// ------------------------------------------------------------------------------------------
// WebSocket clients (RFC 7118): no Content-Length, WSS Via with a .invalid host.

void check_ws_register_common(const Message& m) {
  EXPECT_EQ(m.method(), Method::kRegister);
  EXPECT_EQ(m.top_via().transport, Transport::kWss);
  EXPECT_TRUE(m.top_via().has_magic_cookie());
  EXPECT_FALSE(m.content_length().has_value());
  EXPECT_TRUE(m.body().empty());
  ASSERT_EQ(m.contacts().size(), 1U);
  const NameAddr& c = m.contacts()[0];
  EXPECT_TRUE(c.uri.is_invalid_host());
  EXPECT_EQ(c.uri.transport(), "ws");
  EXPECT_EQ(contact_reg_id(c), 1U);
  EXPECT_EQ(contact_expires(c), 600U);
  EXPECT_EQ(contact_instance(c).substr(0, 10), "<urn:uuid:");
  auto path = has_option_tag(m, HeaderId::kSupported, "path");
  ASSERT_TRUE(path);
  EXPECT_TRUE(*path);
  auto outbound = has_option_tag(m, HeaderId::kSupported, "OUTBOUND");
  ASSERT_TRUE(outbound);
  EXPECT_TRUE(*outbound);
  auto token = bearer_token(m);
  ASSERT_TRUE(token && *token);
  EXPECT_EQ((*token)->substr(0, 20), "eyJhbGciOiJFZERTQSIs");
  EXPECT_EQ((*token)->find('"'), std::string_view::npos);
  auto expires = delta_seconds(m, HeaderId::kExpires);
  ASSERT_TRUE(expires);
  EXPECT_EQ(*expires, 600U);
}

void check_ws_jssip_register(const Message& m) {
  check_ws_register_common(m);
  EXPECT_EQ(m.top_via().host, "abc123def.invalid");
  EXPECT_TRUE(m.contacts()[0].params.has("+sip.ice"));
  EXPECT_EQ(m.max_forwards(), 69);
  auto auth = auth_values(m, HeaderId::kAuthorization);
  ASSERT_TRUE(auth);
  EXPECT_EQ((*auth)[0].scheme, "Bearer");
  EXPECT_FALSE((*auth)[0].token68.empty());
  EXPECT_EQ(user_agent(m), "JsSIP 3.10.1");
}

void check_ws_sipjs_register(const Message& m) {
  check_ws_register_common(m);
  EXPECT_EQ(unquoted_display(m.from()), "Alice");
  auto auth = auth_values(m, HeaderId::kAuthorization);
  ASSERT_TRUE(auth);
  EXPECT_TRUE((*auth)[0].token68.empty());
  EXPECT_EQ((*auth)[0].param("access_token").front(), '"');
}

void check_ws_invite_common(const Message& m) {
  EXPECT_EQ(m.method(), Method::kInvite);
  EXPECT_EQ(m.top_via().transport, Transport::kWss);
  EXPECT_FALSE(m.content_length().has_value());
  EXPECT_EQ(m.body().substr(0, 5), "v=0\r\n");
  EXPECT_EQ(m.body().size(), 943U);
  ASSERT_EQ(m.contacts().size(), 1U);
  EXPECT_TRUE(m.contacts()[0].uri.has_param("ob"));
  EXPECT_EQ(m.request_uri().user, "+15550001234");
}

void check_ws_jssip_invite(const Message& m) {
  check_ws_invite_common(m);
  ASSERT_EQ(m.routes().size(), 1U);
  EXPECT_EQ(m.routes()[0].uri.transport(), "ws");
  EXPECT_TRUE(m.routes()[0].uri.lr());
  auto ppi = first_name_addr(m, HeaderId::kPPreferredIdentity);
  ASSERT_TRUE(ppi && *ppi);
  EXPECT_EQ((*ppi)->uri.user, "+15550000042");
}

void check_ims_invite(const Message& m) {
  EXPECT_EQ(m.routes().size(), 2U);
  EXPECT_EQ(m.routes()[1].uri.user, "orig");
  EXPECT_EQ(m.record_routes().size(), 1U);
  EXPECT_EQ(m.to().uri.scheme, UriScheme::kTel);
  EXPECT_EQ(m.to().uri.user, "+15550001234");
  EXPECT_EQ(m.vias()[0].has_rport, true);
  EXPECT_EQ(m.vias()[1].received, "198.51.100.7");
  EXPECT_EQ(m.request_uri().param("user"), "phone");
}

using E = ParseErrorCode;

const Golden kGolden[] = {
    // RFC 4475 §3.1.1 valid
    {"rfc4475_wsinv.sip", kUdp, {}, {}, check_wsinv, "3.1.1.1 short tortuous INVITE"},
    {"rfc4475_intmeth.sip", kUdp, {}, {}, check_intmeth, "3.1.1.2 wide range of valid chars"},
    {"rfc4475_esc01.sip", kUdp, {}, {}, check_esc01, "3.1.1.3 valid use of % escapes"},
    {"rfc4475_escnull.sip", kUdp, {}, {}, check_escnull, "3.1.1.4 escaped nulls in URIs"},
    {"rfc4475_esc02.sip", kUdp, {}, {}, check_esc02, "3.1.1.5 use of % when not an escape"},
    {"rfc4475_lwsdisp.sip", kUdp, {}, {}, check_lwsdisp, "3.1.1.6 no LWS between display name and <"},
    {"rfc4475_longreq.sip", kUdp, {}, {}, check_longreq, "3.1.1.7 long values"},
    {"rfc4475_dblreq.sip", kUdp, {}, {}, check_dblreq, "3.1.1.8 extra trailing octets in a UDP datagram"},
    {"rfc4475_semiuri.sip", kUdp, {}, {}, check_semiuri, "3.1.1.9 semicolon-separated params in user"},
    {"rfc4475_transports.sip", kUdp, {}, {}, check_transports, "3.1.1.10 varied transports"},
    {"rfc4475_mpart01.sip", kUdp, {}, {}, check_mpart01, "3.1.1.11 multipart MIME body"},
    {"rfc4475_unreason.sip", kUdp, {}, {}, check_unreason, "3.1.1.12 unusual reason phrase"},
    {"rfc4475_noreason.sip", kUdp, {}, {}, check_noreason, "3.1.1.13 empty reason phrase"},
    // RFC 4475 §3.1.2 invalid: a server answers 400 (505 for badvers)
    {"rfc4475_badinv01.sip", kUdp, E::kBadVia, "Via", nullptr, "3.1.2.1 extraneous ;,"},
    {"rfc4475_clerr.sip", kUdp, E::kBodyTruncated, "Content-Length", nullptr,
     "3.1.2.2 Content-Length larger than the body (UDP: reject)"},
    {"rfc4475_ncl.sip", kUdp, E::kBadContentLength, "Content-Length", nullptr,
     "3.1.2.3 negative Content-Length"},
    {"rfc4475_scalar02.sip", kUdp, E::kBadCSeq, "CSeq", nullptr,
     "3.1.2.4 CSeq > 2^32-1 (reported first; Max-Forwards 300 and the huge expires are also bad)"},
    {"rfc4475_scalarlg.sip", kUdp, E::kBadCSeq, "CSeq", nullptr,
     "3.1.2.5 response with overlarge CSeq (a proxy drops it)"},
    {"rfc4475_quotbal.sip", kUdp, E::kBadNameAddr, "To", nullptr, "3.1.2.6 unterminated quote"},
    {"rfc4475_ltgtruri.sip", kUdp, E::kBadUri, "Request-URI", nullptr, "3.1.2.7 <> around R-URI"},
    {"rfc4475_lwsruri.sip", kUdp, E::kBadStartLine, "", nullptr, "3.1.2.8 LWS in the R-URI"},
    {"rfc4475_lwsstart.sip", kUdp, E::kBadStartLine, "", nullptr, "3.1.2.9 multiple SP in start line"},
    {"rfc4475_trws.sip", kUdp, E::kBadStartLine, "", nullptr, "3.1.2.10 SP after SIP-Version"},
    {"rfc4475_escruri.sip", kUdp, E::kBadUri, "Request-URI", nullptr,
     "3.1.2.11 escaped headers in the R-URI"},
    {"rfc4475_regbadct.sip", kUdp, E::kBadNameAddr, "Contact", nullptr,
     "3.1.2.13 URI with '?' outside <> in Contact"},
    {"rfc4475_badaspec.sip", kUdp, E::kBadNameAddr, "To", nullptr,
     "3.1.2.14 LWS inside <> (we take the strict reading: 400)"},
    {"rfc4475_baddn.sip", kUdp, E::kBadNameAddr, "From", nullptr, "3.1.2.15 unquoted ',' in display name"},
    {"rfc4475_badvers.sip", kUdp, E::kBadVersion, "", nullptr, "3.1.2.16 SIP/7.0 (505)"},
    {"rfc4475_mismatch01.sip", kUdp, E::kCSeqMethodMismatch, "CSeq", nullptr,
     "3.1.2.17 CSeq method != request method"},
    {"rfc4475_mismatch02.sip", kUdp, E::kCSeqMethodMismatch, "CSeq", nullptr,
     "3.1.2.18 unknown method, CSeq INVITE"},
    {"rfc4475_bigcode.sip", kUdp, E::kBadStatusCode, "", nullptr, "3.1.2.19 status code 4294967301"},
    // baddate (3.1.2.12): the RFC allows an element that does not use Date to ignore it. Date is
    // not an ingress header here, so the message parses; nothing in wimpu interprets Date.
    {"rfc4475_baddate.sip", kUdp, {}, {}, check_baddate,
     "3.1.2.12 non-GMT Date: ignored (Date is not used by a proxy)"},
    // RFC 4475 §3.2: transaction layer
    {"rfc4475_badbranch.sip", kUdp, {}, {}, check_badbranch,
     "3.2.1 branch is the bare cookie: parses; transaction layer matches per RFC 2543"},
    // RFC 4475 §3.3: application layer (the parser accepts them; the named layer answers)
    {"rfc4475_insuf.sip", kUdp, E::kMissingMandatoryHeader, "From", nullptr,
     "3.3.1 missing To/From/Call-ID/Max-Forwards -> 400"},
    {"rfc4475_unkscm.sip", kUdp, {}, {}, check_unkscm, "3.3.2 unknown R-URI scheme: UAS answers 416"},
    {"rfc4475_novelsc.sip", kUdp, {}, {}, check_novelsc, "3.3.3 novel scheme: 416 at the UAS"},
    {"rfc4475_unksm2.sip", kUdp, {}, {}, check_unksm2,
     "3.3.4 unknown schemes in To/From/Contact: registrar answers 400/416"},
    {"rfc4475_bext01.sip", kUdp, {}, {}, check_bext01, "3.3.5 unknown Require/Proxy-Require: 420"},
    {"rfc4475_invut.sip", kUdp, {}, {}, check_invut, "3.3.6 unknown Content-Type: UAS answers 415"},
    {"rfc4475_regaut01.sip", kUdp, {}, {}, check_regaut01,
     "3.3.7 unknown auth scheme: registrar answers 401"},
    {"rfc4475_multi01.sip", kUdp, E::kDuplicateHeader, "CSeq", nullptr,
     "3.3.8 repeated single-valued headers -> 400"},
    {"rfc4475_mcl01.sip", kUdp, E::kDuplicateHeader, "Content-Length", nullptr,
     "3.3.9 two Content-Length values -> 400"},
    {"rfc4475_bcast.sip", kUdp, {}, {}, check_bcast,
     "3.3.10 response with a broadcast Via: the transport layer must not send to it"},
    {"rfc4475_zeromf.sip", kUdp, {}, {}, check_zeromf, "3.3.11 Max-Forwards 0: proxy answers 483"},
    {"rfc4475_cparam01.sip", kUdp, {}, {}, check_cparam01, "3.3.12 Contact param outside <>"},
    {"rfc4475_cparam02.sip", kUdp, {}, {}, check_cparam02, "3.3.13 URI param inside <>"},
    {"rfc4475_regescrt.sip", kUdp, {}, {}, check_regescrt,
     "3.3.14 escaped Route in a registered Contact: the registrar must strip it"},
    {"rfc4475_sdp01.sip", kUdp, {}, {}, check_sdp01, "3.3.15 Accept without sdp: UAS answers 415"},
    // RFC 4475 §3.4: backward compatibility
    {"rfc4475_inv2543.sip", kUdp, {}, {}, check_inv2543, "3.4.1 RFC 2543 INVITE"},
    // RFC 5118
    {"rfc5118_ipv6_good.sip", kUdp, {}, {}, check_ipv6_good, "4.1 valid IPv6 references"},
    {"rfc5118_ipv6_bad.sip", kUdp, E::kBadUri, "Request-URI", nullptr, "4.2 IPv6 without brackets"},
    {"rfc5118_port_ambiguous.sip", kUdp, {}, {}, check_port_ambiguous, "4.3 port ambiguous"},
    {"rfc5118_port_unambiguous.sip", kUdp, {}, {}, check_port_unambiguous, "4.4 port unambiguous"},
    {"rfc5118_via_received_delim.sip", kUdp, {}, {}, check_received_delim,
     "4.5 received with [] (outside RFC 3261 ABNF; accepted as RFC 5118 advises)"},
    {"rfc5118_via_received_nodelim.sip", kUdp, {}, {}, check_received_nodelim,
     "4.5 received without []"},
    {"rfc5118_ipv6_in_sdp.sip", kUdp, {}, {}, check_ipv6_in_sdp, "4.6 IPv6 in SDP"},
    {"rfc5118_mult_ip_in_header.sip", kUdp, {}, {}, check_mult_ip_in_header, "4.7 mixed IPs"},
    {"rfc5118_mult_ip_in_sdp.sip", kUdp, {}, {}, check_insensitive_ok, "4.8 mixed IPs in SDP"},
    {"rfc5118_ipv4_mapped.sip", kUdp, {}, {}, check_ipv4_mapped, "4.9 IPv4-mapped IPv6"},
    {"rfc5118_abnf_3_colons.sip", kUdp, E::kBadUri, "Request-URI", nullptr,
     "4.10 three colons: invalid"},
    {"rfc5118_abnf_2_colons.sip", kUdp, {}, {}, check_abnf_2_colons, "4.10 two colons: valid"},
    // WebSocket clients; the same bytes on TCP fail for want of Content-Length.
    {"ws_jssip_register.sip", kWs, {}, {}, check_ws_jssip_register, "JsSIP REGISTER over WSS"},
    {"ws_sipjs_register.sip", kWs, {}, {}, check_ws_sipjs_register, "SIP.js REGISTER over WSS"},
    {"ws_jssip_invite.sip", kWs, {}, {}, check_ws_jssip_invite, "JsSIP INVITE over WSS"},
    {"ws_sipjs_invite.sip", kWs, {}, {}, check_ws_invite_common, "SIP.js INVITE over WSS"},
    {"ws_jssip_register.sip", kTcp, E::kBadContentLength, "Content-Length", nullptr,
     "stream transports require Content-Length (RFC 3261 §18.3)"},
    {"ims_invite_udp.sip", kTcp, {}, {}, check_ims_invite, "typical IMS INVITE"},
};

void PrintTo(const Golden& g, std::ostream* os) { *os << g.file; }

class GoldenTest : public ::testing::TestWithParam<Golden> {};

TEST_P(GoldenTest, ParsesAsExpected) {
  const Golden& g = GetParam();
  SCOPED_TRACE(std::string(g.file) + ": " + g.why);
  const std::string bytes = load_golden(g.file);
  ASSERT_FALSE(bytes.empty()) << "missing golden file";
  Message msg;
  auto r = parse_into(msg, bytes, g.options);
  if (g.error) {
    ASSERT_FALSE(r) << "expected " << to_string(*g.error);
    EXPECT_EQ(r.error().code, *g.error) << to_string(r.error().code);
    EXPECT_EQ(r.error().header, g.error_header);
    EXPECT_LE(r.error().offset, bytes.size());
    EXPECT_TRUE(msg.empty());
    return;
  }
  ASSERT_TRUE(r) << to_string(r.error().code) << " at " << r.error().offset << " in "
                 << r.error().header;
  g.check(msg);
  // Re-parsing into the same object (reused capacity) gives the same result.
  ASSERT_TRUE(parse_into(msg, bytes, g.options));
  g.check(msg);
}

std::string golden_name(const ::testing::TestParamInfo<Golden>& info) {
  std::string name = info.param.file;
  name = name.substr(0, name.find('.'));
  name += info.param.options.require_content_length ? "_stream" : "_dgram";
  return name;
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenTest, ::testing::ValuesIn(kGolden), golden_name);

}  // namespace
}  // namespace wimpu::sip
