#include <gtest/gtest.h>

#include <set>

#include "test_support.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/token/base64url.hpp"
#include "wimpu/token/issuer.hpp"
#include "wimpu/token/verifier.hpp"

namespace wimpu::token {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json segment(const std::string& tok, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) {
    start = tok.find('.', start) + 1;
  }
  const std::size_t end = tok.find('.', start);
  return json::parse(*base64url::decode(tok.substr(start, end - start)));
}

class IssuerTest : public ::testing::TestWithParam<Algorithm> {
protected:
  IssuerOptions options() const {
    IssuerOptions o;
    o.issuer = test::kIssuer;
    o.audience = test::kAudience;
    o.lifetime = 120s;
    return o;
  }
  std::unique_ptr<Verifier> verifier_for(const SigningKeyPtr& key) {
    KeyStoreOptions so;
    so.issuer = test::kIssuer;
    so.algorithm = key->algorithm();
    auto store = KeyStore::create(so, nullptr, clock_, io_.get_executor());
    // The JWKS document the WWSF would publish at /.well-known/jwks.json.
    EXPECT_TRUE(store->install(jwks_document({key->public_key()})).has_value());
    VerifierOptions vo;
    vo.audience = test::kAudience;
    return std::make_unique<Verifier>(vo, std::vector<KeyStorePtr>{store}, clock_,
                                      io_.get_executor());
  }

  boost::asio::io_context io_;
  std::shared_ptr<common::FakeClock> clock_ = std::make_shared<common::FakeClock>();
};

TEST_P(IssuerTest, IssuedTokensVerify) {
  auto key = *SigningKey::generate(GetParam());
  TokenIssuer issuer(options(), key, clock_);
  auto verifier = verifier_for(key);
  for (int i = 0; i < 10; ++i) {
    auto tok = issuer.issue("user" + std::to_string(i) + "@web.example", test::kBlock);
    ASSERT_TRUE(tok.has_value());
    auto r = verifier->verify(*tok, test::kBlock);
    ASSERT_TRUE(r.has_value()) << name(r.error());
    EXPECT_EQ(r->claims->subject, "user" + std::to_string(i) + "@web.example");
    EXPECT_EQ(r->claims->key_id, key->kid());
  }
}

TEST_P(IssuerTest, ClaimsAndHeaderAreAsSpecified) {
  auto key = *SigningKey::generate(GetParam(), "kid-7");
  auto o = options();
  o.scope = "sip:register";
  TokenIssuer issuer(o, key, clock_);
  const std::string tok = *issuer.issue("alice", test::kBlock);
  const json h = segment(tok, 0);
  EXPECT_EQ(h, (json{{"alg", jose_name(GetParam())}, {"kid", "kid-7"}, {"typ", "JWT"}}));
  const json c = segment(tok, 1);
  const std::int64_t now = test::wall_seconds(*clock_);
  EXPECT_EQ(c["iss"], test::kIssuer);
  EXPECT_EQ(c["sub"], "alice");
  EXPECT_EQ(c["aud"], test::kAudience);
  EXPECT_EQ(c["iat"], now);
  EXPECT_EQ(c["nbf"], now);
  EXPECT_EQ(c["exp"], now + 120);
  EXPECT_EQ(c["wimpu_block"], test::kBlock);
  EXPECT_EQ(c["scope"], "sip:register");
  EXPECT_EQ(c["jti"].get<std::string>().size(), 22u);  // 128 bits, base64url
}

TEST_P(IssuerTest, JtiIsUniquePerToken) {
  TokenIssuer issuer(options(), *SigningKey::generate(GetParam()), clock_);
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    seen.insert(segment(*issuer.issue("alice", test::kBlock), 1)["jti"].get<std::string>());
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST_P(IssuerTest, TokensExpireAfterTheirLifetime) {
  auto key = *SigningKey::generate(GetParam());
  TokenIssuer issuer(options(), key, clock_);
  auto verifier = verifier_for(key);
  const std::string tok = *issuer.issue("alice", test::kBlock);
  clock_->advance(120s + 30s);
  EXPECT_EQ(verifier->verify(tok, test::kBlock).error(), TokenError::kExpired);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, IssuerTest,
                         ::testing::Values(Algorithm::kEdDSA, Algorithm::kES256),
                         [](const auto& p) { return std::string(jose_name(p.param)); });

TEST(Issuer, EscapesSubjectsAndRefusesBadInput) {
  auto clock = std::make_shared<common::FakeClock>();
  IssuerOptions o;
  o.issuer = test::kIssuer;
  o.audience = test::kAudience;
  TokenIssuer issuer(o, *SigningKey::generate(Algorithm::kEdDSA), clock);
  const std::string tricky = "a\"b\\c\n\x01 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  auto tok = issuer.issue(tricky, test::kBlock);
  ASSERT_TRUE(tok.has_value());
  EXPECT_EQ(segment(*tok, 1)["sub"], tricky);
  const auto bad_before = common::counter("token.issue.fail.bad_input").value();
  EXPECT_EQ(issuer.issue("", test::kBlock).error(), IssueError::kBadInput);
  EXPECT_EQ(issuer.issue("alice", "").error(), IssueError::kBadInput);
  EXPECT_EQ(issuer.issue("bad\xff", test::kBlock).error(), IssueError::kBadInput);
  EXPECT_EQ(issuer.issue("\xc0\xaf", test::kBlock).error(), IssueError::kBadInput);  // overlong
  EXPECT_EQ(issuer.issue("\xed\xa0\x80", test::kBlock).error(), IssueError::kBadInput);  // surrogate
  EXPECT_EQ(issuer.issue("\xe2\x82", test::kBlock).error(), IssueError::kBadInput);  // truncated
  EXPECT_EQ(common::counter("token.issue.fail.bad_input").value(), bad_before + 6);
}

TEST(Issuer, ConstructorRejectsBadConfiguration) {
  auto clock = std::make_shared<common::FakeClock>();
  auto key = *SigningKey::generate(Algorithm::kEdDSA);
  IssuerOptions o;
  o.issuer = test::kIssuer;
  o.audience = test::kAudience;
  EXPECT_THROW(TokenIssuer(o, nullptr, clock), std::invalid_argument);
  auto no_aud = o;
  no_aud.audience.clear();
  EXPECT_THROW(TokenIssuer(no_aud, key, clock), std::invalid_argument);
  auto zero = o;
  zero.lifetime = 0s;
  EXPECT_THROW(TokenIssuer(zero, key, clock), std::invalid_argument);
}

}  // namespace
}  // namespace wimpu::token
