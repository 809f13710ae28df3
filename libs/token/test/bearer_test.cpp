#include <gtest/gtest.h>

#include "wimpu/token/bearer.hpp"
#include "wimpu/token/error.hpp"

namespace wimpu::token {
namespace {

constexpr std::string_view kJwt = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl";

// T-01: both the RFC 6750/8898 form and the TS 24.371 Annex A.3.2 form.
TEST(Bearer, ReadsToken68Form) {
  const std::string plain = "Bearer " + std::string(kJwt);
  auto t = bearer_token(plain);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, kJwt);
  EXPECT_EQ(t->data(), plain.data() + 7);  // a view into the header value, no copy
  const std::string spaced = "  bearer   " + std::string(kJwt) + "  ";
  EXPECT_EQ(*bearer_token(spaced), kJwt);
}

TEST(Bearer, ReadsAccessTokenParamForm) {
  const std::string v = "Bearer access_token=\"" + std::string(kJwt) + "\"";
  ASSERT_TRUE(bearer_token(v).has_value());
  EXPECT_EQ(*bearer_token(v), kJwt);
  const std::string with_realm =
      "Bearer realm=\"ims.example\", access_token=\"" + std::string(kJwt) + "\"";
  EXPECT_EQ(*bearer_token(with_realm), kJwt);
}

TEST(Bearer, RefusesOtherSchemesAndGarbage) {
  EXPECT_EQ(bearer_token("Digest username=\"a\"").error(), BearerError::kNotBearer);
  EXPECT_EQ(bearer_token("Bearerx abc").error(), BearerError::kNotBearer);
  EXPECT_EQ(bearer_token("Bearer").error(), BearerError::kMalformed);
  EXPECT_EQ(bearer_token("Bearer a b").error(), BearerError::kMalformed);
  EXPECT_EQ(bearer_token("Bearer access_token=\"a b\"").error(), BearerError::kMalformed);
  EXPECT_EQ(bearer_token("Bearer access_token=\"abc").error(), BearerError::kMalformed);
  EXPECT_EQ(bearer_token("Bearer realm=\"x\"").error(), BearerError::kMalformed);
}

// The token68 scan goes 8 octets at a time: a bad octet or the '=' padding at every offset of a
// token longer than a few blocks (RFC 7235 §2.1: 1*tchar68 *"=").
TEST(Bearer, Token68AtEveryOffset) {
  const std::string base = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/";
  for (std::size_t at = 0; at < base.size(); ++at) {
    EXPECT_TRUE(bearer_token("Bearer " + base.substr(0, at + 1)).has_value()) << at;
    for (const char bad : {'"', ',', '\x01', '\x7f', '\x80', '\xff', '!', '=', '*'}) {
      if (bad == '=' && at + 1 == base.size()) {
        continue;  // padding at the end is token68
      }
      std::string t = base;
      t[at] = bad;
      EXPECT_EQ(bearer_token("Bearer " + t).error(), BearerError::kMalformed)
          << at << " " << static_cast<int>(static_cast<unsigned char>(bad));
    }
    // Padding only at the end, after at least one token68 character.
    EXPECT_TRUE(bearer_token("Bearer " + base.substr(0, at + 1) + "==").has_value()) << at;
    EXPECT_EQ(bearer_token("Bearer " + std::string(at + 1, '=')).error(), BearerError::kMalformed);
  }
}

// Every octet value inside a 16-octet block of the vectorised scan (and in the octet-wise tail):
// accepted exactly when it is a token68 character (RFC 7235 §2.1), the range edges included.
TEST(Bearer, Token68EveryOctetValue) {
  const std::string_view extra = "-._~+/";
  for (int v = 0; v < 256; ++v) {
    const char c = static_cast<char>(v);
    const bool token68 = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || extra.find(c) != std::string_view::npos;
    for (const std::size_t at : {0u, 7u, 15u, 16u, 31u, 37u}) {
      std::string t(38, 'a');
      t[at] = c;
      const auto r = bearer_token("Bearer " + t);
      // Whitespace at either end is trimmed; '=' at the very end is padding.
      const bool ws = c == ' ' || c == '\t' || c == '\r' || c == '\n';
      const bool ok = token68 || ((at == 0 || at == 37) && ws) || (at == 37 && c == '=');
      EXPECT_EQ(r.has_value(), ok) << v << " at " << at;
    }
  }
}

// T-02/T-03: generator and parser round trip, `authz_server` (not "as"), error values.
TEST(Bearer, ChallengeRoundTrip) {
  BearerChallenge c{"ims.example", "https://wwsf.example/api/token", "sip:register",
                    std::string(bearer_error(TokenError::kExpired))};
  const std::string text = format_challenge(c);
  EXPECT_EQ(text,
            "Bearer realm=\"ims.example\", authz_server=\"https://wwsf.example/api/token\", "
            "scope=\"sip:register\", error=\"invalid_token\"");
  auto back = parse_challenge(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->realm, c.realm);
  EXPECT_EQ(back->authz_server, c.authz_server);
  EXPECT_EQ(back->scope, c.scope);
  EXPECT_EQ(back->error, "invalid_token");
}

TEST(Bearer, ChallengeEscapesAndOmitsEmpty) {
  BearerChallenge c{"a\"b\\c", "https://as.example", "", ""};
  const std::string text = format_challenge(c);
  EXPECT_EQ(text, R"(Bearer realm="a\"b\\c", authz_server="https://as.example")");
  EXPECT_EQ(parse_challenge(text)->realm, "a\"b\\c");
  EXPECT_EQ(parse_challenge("Digest realm=\"x\"").error(), BearerError::kNotBearer);
  EXPECT_EQ(parse_challenge("Bearer").error(), BearerError::kMalformed);
  EXPECT_EQ(parse_challenge("Bearer realm=\"x\",").error(), BearerError::kMalformed);
}

TEST(Bearer, ErrorCodesMapToRfc6750Values) {
  EXPECT_EQ(bearer_error(TokenError::kBadSignature), "invalid_token");
  EXPECT_EQ(bearer_error(TokenError::kWrongAudience), "invalid_token");
  EXPECT_EQ(bearer_error(TokenError::kWrongScope), "invalid_scope");
}

}  // namespace
}  // namespace wimpu::token
