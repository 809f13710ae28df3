#include <gtest/gtest.h>

#include "jose_json.hpp"
#include "json_event_log.hpp"
#include "json_scan.hpp"

namespace wimpu::token::jose {
namespace {

struct Outcome {
  bool ok;
  std::string log;
};

Outcome scan(std::string_view in) {
  test::JsonEventLog h;
  const bool ok = JsonScanner<test::JsonEventLog>(in, h).run();
  return {ok, h.log};
}

Outcome reference(std::string_view in) {
  test::JsonEventLog h;
  const bool ok = nlohmann::json::sax_parse(in.data(), in.data() + in.size(), &h,
                                            nlohmann::json::input_format_t::json, true);
  return {ok, h.log};
}

// Every case: same verdict as nlohmann, and on success the same events.
TEST(JsonScanner, AgreesWithNlohmann) {
  const std::string cases[] = {
      "{}", "[]", "0", "-0", "1", "-1", "12345678901234567890", "18446744073709551615",
      "18446744073709551616", "-9223372036854775808", "-9223372036854775809", "1.5", "-1.25e-3",
      "1E+2", "1e999", "-1e999", "1e-400", "01", "1.", ".5", "+1", "-", "1e", "1e+", "0x10",
      "true", "false", "null", "tru", "nul", "True",
      R"("plain")", R"("esc \" \\ \/ \b \f \n \r \t")", R"("\u0041\u00e9\u20ac")",
      R"("\ud83d\ude00")", R"("\ud83d")", R"("\ude00")", R"("\ud83d\u0041")", R"("\u00g0")",
      R"("\x")", "\"a\x01b\"", "\"tab\tinside\"", "\"\xc3\xa9\"", "\"\xc3\"", "\"\xc0\xaf\"",
      "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xf0\x9f\x98\x80\"", "\"\xe2\x82\xac\"",
      "\"\xff\"", "\"unterminated", R"({"a":1,"b":[true,false,null,{"c":"d"}],"e":{}})",
      R"({"a":1,})", R"({"a" 1})", R"({a:1})", R"([1,2,])", R"([1 2])", "  {\"a\" : [ 1 , 2 ] }  ",
      "{} x", "{}{}", "", " ", "\xef\xbb\xbf{}" /* BOM: the scanner refuses it */,
      std::string("{}\0", 3) /* NUL: nlohmann takes it as end of input, the scanner refuses */,
      R"({"\u0000":"\u0000"})", "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]",
  };
  for (const auto& in : cases) {
    const Outcome a = scan(in);
    const Outcome b = reference(in);
    if (in.rfind("\xef\xbb\xbf", 0) == 0 || in.find('\0') != std::string::npos) {
      EXPECT_FALSE(a.ok);
      EXPECT_TRUE(b.ok);
      continue;
    }
    EXPECT_EQ(a.ok, b.ok) << in;
    if (a.ok && b.ok) {
      EXPECT_EQ(a.log, b.log) << in;
    }
  }
}

TEST(JsonScanner, ClaimsReadersAgreeOnBothParsers) {
  const std::string doc =
      R"({"iss":"i","sub":"s\u00e9","aud":["a","b"],"exp":1.9e9,"nbf":-5,"iat":12,)"
      R"("jti":"j","wimpu_block":"b","scope":"x y","z":{"n":[1,{}]}})";
  Claims a, b;
  std::uint32_t pa = 0, pb = 0;
  ASSERT_TRUE(parse_claims(doc, "wimpu_block", a, pa, Parser::kScanner));
  ASSERT_TRUE(parse_claims(doc, "wimpu_block", b, pb, Parser::kNlohmann));
  EXPECT_EQ(pa, pb);
  EXPECT_EQ(a.subject, "s\xc3\xa9");
  EXPECT_EQ(a.subject, b.subject);
  EXPECT_EQ(a.audience, b.audience);
  EXPECT_EQ(a.expires_at, 1'900'000'000);
  EXPECT_EQ(a.expires_at, b.expires_at);
  EXPECT_EQ(a.not_before, b.not_before);
  EXPECT_EQ(a.scope, b.scope);
}

}  // namespace
}  // namespace wimpu::token::jose
