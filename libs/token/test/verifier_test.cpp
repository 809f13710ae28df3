#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>

#include "test_support.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/token/base64url.hpp"
#include "wimpu/token/bearer.hpp"
#include "wimpu/token/verifier.hpp"

namespace wimpu::token {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class VerifierTest : public ::testing::Test {
protected:
  void SetUp() override {
    ed_ = *SigningKey::generate(Algorithm::kEdDSA, "ed-1");
    fetcher_ = std::make_shared<test::FakeFetcher>(io_.get_executor());
    KeyStoreOptions o;
    o.issuer = test::kIssuer;
    o.algorithm = Algorithm::kEdDSA;
    o.min_refresh_interval = 30s;
    o.refresh_interval = 0ms;
    store_ = KeyStore::create(o, fetcher_, clock_, io_.get_executor());
    ASSERT_TRUE(store_->install(jwks_document({ed_->public_key()})).has_value());
    verifier_ = make_verifier(options());
  }

  VerifierOptions options() const {
    VerifierOptions o;
    o.audience = test::kAudience;
    return o;
  }
  std::unique_ptr<Verifier> make_verifier(VerifierOptions o) {
    return std::make_unique<Verifier>(std::move(o), std::vector<KeyStorePtr>{store_}, clock_,
                                      io_.get_executor());
  }
  std::int64_t now() const { return test::wall_seconds(*clock_); }
  json claims() const { return test::good_claims(now()); }
  std::string token(const json& c) const { return test::forge_claims(*ed_, c); }
  std::string header(std::string_view alg, std::string_view kid = "ed-1") const {
    return json{{"alg", alg}, {"kid", kid}}.dump();
  }

  // Verifies and returns the failure (or fails the test when it passes).
  TokenError failure(const std::string& tok, std::string_view block = test::kBlock) {
    auto r = verifier_->verify(tok, block);
    EXPECT_FALSE(r.has_value()) << tok;
    return r.has_value() ? TokenError::kMalformed : r.error();
  }
  // Payload of a compact token replaced by raw bytes, header and signature kept.
  static std::string with_payload(const std::string& tok, std::string_view payload_json) {
    const auto d1 = tok.find('.');
    const auto d2 = tok.find('.', d1 + 1);
    return tok.substr(0, d1 + 1) + base64url::encode(payload_json) + tok.substr(d2);
  }

  boost::asio::io_context io_;
  std::shared_ptr<common::FakeClock> clock_ = std::make_shared<common::FakeClock>();
  SigningKeyPtr ed_;
  std::shared_ptr<test::FakeFetcher> fetcher_;
  KeyStorePtr store_;
  std::unique_ptr<Verifier> verifier_;
};

TEST_F(VerifierTest, AcceptsAValidTokenAndReturnsItsClaims) {
  json c = claims();
  c["aud"] = json::array({"other", test::kAudience});
  c["scope"] = "sip:register";
  auto r = verifier_->verify(token(c), test::kBlock);
  ASSERT_TRUE(r.has_value()) << name(r.error());
  const Claims& got = *r->claims;
  EXPECT_FALSE(r->from_cache);
  EXPECT_EQ(got.issuer, test::kIssuer);
  EXPECT_EQ(got.subject, "alice@web.example");
  EXPECT_EQ(got.audience, (std::vector<std::string>{"other", std::string(test::kAudience)}));
  EXPECT_EQ(got.jwt_id, "jti-1");
  EXPECT_EQ(got.block, test::kBlock);
  EXPECT_EQ(got.scope, "sip:register");
  EXPECT_EQ(got.key_id, "ed-1");
  EXPECT_EQ(got.expires_at, now() + 300);
  EXPECT_EQ(got.issued_at, now());
  EXPECT_EQ(got.not_before, now());
  EXPECT_EQ(verifier_->signature_checks(), 1u);
}

TEST_F(VerifierTest, TamperedPayloadFails) {
  const std::string good = token(claims());
  json evil = claims();
  evil["sub"] = "mallory@web.example";
  EXPECT_EQ(failure(with_payload(good, evil.dump())), TokenError::kBadSignature);
}

TEST_F(VerifierTest, TamperedSignatureFails) {
  std::string tok = token(claims());
  const std::size_t i = tok.rfind('.') + 10;
  tok[i] = tok[i] == 'A' ? 'B' : 'A';
  EXPECT_EQ(failure(tok), TokenError::kBadSignature);
  // A signature of the wrong length (63 bytes: cut at a group boundary, so still canonical
  // base64url) is a bad signature too.
  const std::string good = token(claims());
  EXPECT_EQ(failure(good.substr(0, good.size() - 2)), TokenError::kBadSignature);
}

TEST_F(VerifierTest, SignatureByAnotherKeyWithTheSameKidFails) {
  auto impostor = *SigningKey::generate(Algorithm::kEdDSA, "ed-1");
  EXPECT_EQ(failure(test::forge_claims(*impostor, claims())), TokenError::kBadSignature);
}

// RFC 8725 §2.1, §3.1: `alg` never comes from the token.
TEST_F(VerifierTest, AlgNoneIsRefused) {
  for (const char* alg : {"none", "None", "NONE"}) {
    const std::string tok = base64url::encode(header(alg)) + "." +
                            base64url::encode(claims().dump()) + ".";
    EXPECT_EQ(failure(tok), TokenError::kAlgorithmNotAllowed) << alg;
  }
}

TEST_F(VerifierTest, Hs256SignedWithThePublicKeyIsRefused) {
  const auto raw = ed_->public_key()->raw();
  const std::string secrets[] = {
      std::string(reinterpret_cast<const char*>(raw.data()), raw.size()),
      ed_->public_key()->to_jwk_json(),
      jwks_document({ed_->public_key()}),
  };
  for (const auto& secret : secrets) {
    EXPECT_EQ(failure(test::forge_hs256(secret, header("HS256"), claims().dump())),
              TokenError::kAlgorithmNotAllowed);
  }
}

TEST_F(VerifierTest, Es256TokenForAnEdDsaPinnedIssuerIsRefused) {
  auto ec = *SigningKey::generate(Algorithm::kES256, "ed-1");  // even reusing the kid
  EXPECT_EQ(failure(test::forge_claims(*ec, claims())), TokenError::kAlgorithmNotAllowed);
  // Header says EdDSA, signature is ES256: the Ed25519 check fails it.
  EXPECT_EQ(failure(test::forge(*ec, header("EdDSA"), claims().dump())),
            TokenError::kBadSignature);
}

TEST_F(VerifierTest, UnknownIssuerIsRefused) {
  json c = claims();
  c["iss"] = "https://evil.example";
  EXPECT_EQ(failure(token(c)), TokenError::kUnknownIssuer);
}

TEST_F(VerifierTest, MissingClaimsAreRefused) {
  for (const char* claim : {"iss", "sub", "aud", "exp", "iat", "jti", "wimpu_block"}) {
    json c = claims();
    c.erase(claim);
    EXPECT_EQ(failure(token(c)), TokenError::kMissingClaim) << claim;
  }
  for (const char* claim : {"sub", "jti", "wimpu_block", "iss"}) {
    json c = claims();
    c[claim] = "";
    EXPECT_EQ(failure(token(c)), TokenError::kMissingClaim) << claim;
  }
  json c = claims();
  c["aud"] = json::array();
  EXPECT_EQ(failure(token(c)), TokenError::kMissingClaim);
  c = claims();
  c.erase("nbf");  // nbf is optional
  EXPECT_TRUE(verifier_->verify(token(c), test::kBlock).has_value());
}

TEST_F(VerifierTest, ExpiryHonoursTheClockSkew) {
  json c = claims();
  c["exp"] = now() - 29;  // within the 30 s leeway
  EXPECT_TRUE(verifier_->verify(token(c), test::kBlock).has_value());
  c["exp"] = now() - 30;
  c["iat"] = now() - 100;
  EXPECT_EQ(failure(token(c)), TokenError::kExpired);
  c["exp"] = now() - 3600;
  EXPECT_EQ(failure(token(c)), TokenError::kExpired);
}

TEST_F(VerifierTest, NotBeforeHonoursTheClockSkew) {
  json c = claims();
  c["nbf"] = now() + 30;
  EXPECT_TRUE(verifier_->verify(token(c), test::kBlock).has_value());
  c["nbf"] = now() + 31;
  EXPECT_EQ(failure(token(c)), TokenError::kNotYetValid);
}

TEST_F(VerifierTest, IssuedInTheFutureIsRefused) {
  json c = claims();
  c["iat"] = now() + 30;
  EXPECT_TRUE(verifier_->verify(token(c), test::kBlock).has_value());
  c["iat"] = now() + 31;
  EXPECT_EQ(failure(token(c)), TokenError::kIssuedInFuture);
}

TEST_F(VerifierTest, FractionalNumericDatesAreFloored) {
  json c = claims();
  c["exp"] = static_cast<double>(now() + 300) + 0.75;
  c["iat"] = static_cast<double>(now()) + 0.5;
  auto r = verifier_->verify(token(c), test::kBlock);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->claims->expires_at, now() + 300);
}

TEST_F(VerifierTest, OverlongLifetimeIsRefused) {
  json c = claims();
  c["exp"] = now() + 2 * 86400;
  EXPECT_EQ(failure(token(c)), TokenError::kLifetimeTooLong);
  c["exp"] = std::numeric_limits<std::int64_t>::max();
  c["iat"] = std::numeric_limits<std::int64_t>::min() + 1;
  c["nbf"] = 0;
  EXPECT_EQ(failure(token(c)), TokenError::kLifetimeTooLong);  // no overflow in exp - iat
}

TEST_F(VerifierTest, WrongAudienceIsRefused) {
  json c = claims();
  c["aud"] = "someone-else.example";
  EXPECT_EQ(failure(token(c)), TokenError::kWrongAudience);
  c["aud"] = json::array({"a", "b"});
  EXPECT_EQ(failure(token(c)), TokenError::kWrongAudience);
}

TEST_F(VerifierTest, WrongBlockIsRefused) {
  EXPECT_EQ(failure(token(claims()), "other-block.example"), TokenError::kWrongBlock);
}

TEST_F(VerifierTest, RequiredScopeIsEnforced) {
  auto o = options();
  o.required_scope = "sip:register";
  verifier_ = make_verifier(o);
  json c = claims();
  EXPECT_EQ(failure(token(c)), TokenError::kWrongScope);
  c["scope"] = "openid sip:registerx";
  EXPECT_EQ(failure(token(c)), TokenError::kWrongScope);
  c["scope"] = "openid sip:register";
  EXPECT_TRUE(verifier_->verify(token(c), test::kBlock).has_value());
  EXPECT_EQ(bearer_error(TokenError::kWrongScope), "invalid_scope");
}

TEST_F(VerifierTest, UnknownCritIsRefused) {
  const json h = {{"alg", "EdDSA"}, {"kid", "ed-1"}, {"crit", json::array({"exp"})}, {"exp", 1}};
  EXPECT_EQ(failure(test::forge(*ed_, h.dump(), claims().dump())), TokenError::kUnsupportedCrit);
}

TEST_F(VerifierTest, MalformedStructureAndBase64AreRefused) {
  const std::string good = token(claims());
  const auto d1 = good.find('.');
  const auto d2 = good.find('.', d1 + 1);
  const std::string cases[] = {
      "",
      "abc",
      "abc.def",
      good + ".extra",
      good + ".a.b",                                   // JWE-shaped
      "." + good.substr(d1 + 1),                       // empty header
      good.substr(0, d1 + 1) + good.substr(d2),        // empty payload
      good.substr(0, d1) + "=" + good.substr(d1),      // padding
      good.substr(0, d1 + 1) + "*" + good.substr(d1 + 1),
      good + "=",
      " " + good,
      good.substr(0, d2 + 1) + "+" + good.substr(d2 + 2),  // standard alphabet in the signature
  };
  for (const auto& tok : cases) {
    EXPECT_EQ(failure(tok), TokenError::kMalformed) << tok;
  }
}

TEST_F(VerifierTest, MalformedJsonIsRefused) {
  const std::string payloads[] = {
      "not json",
      "[]",
      "\"a string\"",
      "{\"iss\":",
      R"({"iss":"https://wwsf.example"} trailing)",
      R"({"iss":"https://wwsf.example","exp":"tomorrow"})",
      R"({"iss":"https://wwsf.example","sub":42})",
      R"({"iss":"https://wwsf.example","aud":[1]})",
      R"({"iss":"https://wwsf.example","aud":{"a":1}})",
      R"({"iss":"https://wwsf.example","exp":1,"exp":2})",
      R"({"iss":"https://wwsf.example","iss":"https://wwsf.example"})",
      R"({"iss":"https://wwsf.example","sub":"\u00"})",
      "{\"iss\":\"https://wwsf.example\",\"sub\":\"\xff\xfe\"}",
      R"({"iss":"https://wwsf.example","x":[[[[[[[[[[[[1]]]]]]]]]]]]})",
      R"({"iss":"https://wwsf.example","exp":1e999})",
      R"({"iss":"https://wwsf.example","sub":null})",
  };
  for (const auto& p : payloads) {
    EXPECT_EQ(failure(test::forge(*ed_, header("EdDSA"), p)), TokenError::kMalformed) << p;
  }
  const std::string headers[] = {
      "{}",
      "[]",
      R"({"alg":"EdDSA","alg":"EdDSA","kid":"ed-1"})",
      R"({"alg":1,"kid":"ed-1"})",
      R"({"alg":"EdDSA","kid":7})",
      "{\"alg\":\"EdDSA\"",
  };
  for (const auto& h : headers) {
    EXPECT_EQ(failure(test::forge(*ed_, h, claims().dump())), TokenError::kMalformed) << h;
  }
}

TEST_F(VerifierTest, UnknownMembersAndNestingAreTolerated) {
  json c = claims();
  c["extra"] = {{"nested", json::array({1, "two", nullptr, true})}};
  c["http://example.com/is_root"] = true;
  const json h = {{"alg", "EdDSA"}, {"kid", "ed-1"}, {"typ", "JWT"}, {"x5t", "abc"}};
  EXPECT_TRUE(verifier_->verify(test::forge(*ed_, h.dump(), c.dump()), test::kBlock).has_value());
}

TEST_F(VerifierTest, OversizedTokenIsRefusedBeforeDecoding) {
  json c = claims();
  c["pad"] = std::string(5000, 'x');
  const std::string big = token(c);
  ASSERT_GT(big.size(), options().max_token_size);
  EXPECT_EQ(failure(big), TokenError::kTooLarge);
  EXPECT_EQ(verifier_->signature_checks(), 0u);
  EXPECT_EQ(failure(std::string(1 << 20, 'A')), TokenError::kTooLarge);
  c["pad"] = std::string(2000, 'x');
  EXPECT_TRUE(verifier_->verify(token(c), test::kBlock).has_value());
}

TEST_F(VerifierTest, MissingKidIsUnknownAndTriggersNoFetch) {
  EXPECT_EQ(failure(test::forge(*ed_, R"({"alg":"EdDSA"})", claims().dump())),
            TokenError::kUnknownKid);
  io_.run();
  EXPECT_EQ(fetcher_->fetches.load(), 0);
}

TEST_F(VerifierTest, EveryFailureBumpsItsOwnCounter) {
  const auto before = failure_counter(TokenError::kWrongBlock).value();
  const auto ok_before = common::counter("token.verify.ok").value();
  failure(token(claims()), "nope");
  EXPECT_EQ(failure_counter(TokenError::kWrongBlock).value(), before + 1);
  EXPECT_TRUE(verifier_->verify(token(claims()), test::kBlock).has_value());
  EXPECT_EQ(common::counter("token.verify.ok").value(), ok_before + 1);
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kTokenErrorCount; ++i) {
    const auto e = static_cast<TokenError>(i);
    names.insert(name(e));
    EXPECT_EQ(&failure_counter(e),
              &common::counter("token.verify.fail." + std::string(name(e))));
  }
  EXPECT_EQ(names.size(), kTokenErrorCount);
  EXPECT_EQ(names.count("unknown"), 0u);
}

TEST_F(VerifierTest, ConstructorRejectsBadConfiguration) {
  VerifierOptions o = options();
  o.audience.clear();
  EXPECT_THROW(make_verifier(o), std::invalid_argument);
  EXPECT_THROW(Verifier(options(), {}, clock_, io_.get_executor()), std::invalid_argument);
  EXPECT_THROW(Verifier(options(), {store_, store_}, clock_, io_.get_executor()),
               std::invalid_argument);
}

// ---- verification cache ----------------------------------------------------------------------

TEST_F(VerifierTest, CacheHitSkipsTheSignatureCheck) {
  const std::string tok = token(claims());
  ASSERT_TRUE(verifier_->verify(tok, test::kBlock).has_value());
  auto again = verifier_->verify(tok, test::kBlock);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->from_cache);
  EXPECT_EQ(again->claims->subject, "alice@web.example");
  EXPECT_EQ(verifier_->signature_checks(), 1u);
  EXPECT_EQ(verifier_->cache_hits(), 1u);
}

TEST_F(VerifierTest, CacheEntryExpiresWithTheToken) {
  const std::string tok = token(claims());
  ASSERT_TRUE(verifier_->verify(tok, test::kBlock).has_value());
  clock_->advance(300s + 29s);
  EXPECT_TRUE(verifier_->verify(tok, test::kBlock).has_value());
  clock_->advance(1s);
  EXPECT_EQ(failure(tok), TokenError::kExpired);
  EXPECT_EQ(verifier_->signature_checks(), 1u);
  EXPECT_EQ(verifier_->cache().size(), 0u);
  EXPECT_EQ(failure(tok), TokenError::kExpired);  // and from scratch
  EXPECT_EQ(verifier_->signature_checks(), 2u);
}

TEST_F(VerifierTest, CacheHitStillChecksTheBlock) {
  const std::string tok = token(claims());
  ASSERT_TRUE(verifier_->verify(tok, test::kBlock).has_value());
  EXPECT_EQ(failure(tok, "other.example"), TokenError::kWrongBlock);
  EXPECT_EQ(verifier_->signature_checks(), 1u);
  EXPECT_TRUE(verifier_->verify(tok, test::kBlock).has_value());
}

// The cache hashes only the signature segment: a token with the same signature but another
// payload lands in the same bucket and must still be checked in full.
TEST_F(VerifierTest, SameSignatureDifferentPayloadIsNotACacheHit) {
  const std::string tok = token(claims());
  ASSERT_TRUE(verifier_->verify(tok, test::kBlock).has_value());
  json evil = claims();
  evil["sub"] = "mallory@web.example";
  EXPECT_EQ(failure(with_payload(tok, evil.dump())), TokenError::kBadSignature);
  EXPECT_EQ(verifier_->signature_checks(), 2u);
}

TEST_F(VerifierTest, DisabledCacheChecksEveryTime) {
  auto o = options();
  o.cache_capacity = 0;
  verifier_ = make_verifier(o);
  const std::string tok = token(claims());
  ASSERT_TRUE(verifier_->verify(tok, test::kBlock).has_value());
  ASSERT_TRUE(verifier_->verify(tok, test::kBlock).has_value());
  EXPECT_EQ(verifier_->signature_checks(), 2u);
}

// Figure 2 right after figure 1 (bench/RESULTS.md "Figure 1 with ES256, session 6"): the cache is
// full of single-use tokens minted in the same second as the re-REGISTER tokens that follow. Each
// of those must cost one signature check, however their first presentations interleave.
TEST_F(VerifierTest, ReusedTokensStayCachedAfterABurstOfSingleUseOnes) {
  auto o = options();
  o.cache_capacity = 4;  // one bucket: every token competes
  verifier_ = make_verifier(o);
  auto minted = [&](const std::string& sub) {
    json c = claims();
    c["sub"] = sub;
    return token(c);
  };
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(verifier_->verify(minted("fresh-" + std::to_string(i)), test::kBlock));
  }
  const std::string a = minted("a");
  const std::string b = minted("b");
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(verifier_->verify(a, test::kBlock));
    ASSERT_TRUE(verifier_->verify(b, test::kBlock));
  }
  EXPECT_EQ(verifier_->signature_checks(), 22u);
  EXPECT_EQ(verifier_->cache().evictions_in_use(), 0u);
}

// An entry whose token expired (beyond the clock-skew leeway) frees its slot: storing a new token
// then evicts nothing that could still pass.
TEST_F(VerifierTest, ExpiredCacheEntriesAreReplacedFirst) {
  auto o = options();
  o.cache_capacity = 4;
  verifier_ = make_verifier(o);
  for (int i = 0; i < 4; ++i) {
    json c = claims();
    c["sub"] = "old-" + std::to_string(i);
    ASSERT_TRUE(verifier_->verify(token(c), test::kBlock));
  }
  clock_->advance(300s + 30s);  // exp + leeway: every cached token is dead
  json c = claims();
  c["sub"] = "new";
  ASSERT_TRUE(verifier_->verify(token(c), test::kBlock));
  EXPECT_EQ(verifier_->cache().evictions(), 0u);
  EXPECT_EQ(verifier_->cache().size(), 4u);
}

TEST_F(VerifierTest, WithdrawnKeyRevokesCachedTokens) {
  const std::string tok = token(claims());
  ASSERT_TRUE(verifier_->verify(tok, test::kBlock).has_value());
  auto other = *SigningKey::generate(Algorithm::kEdDSA, "ed-2");
  // Rotation that keeps ed-1: the cached token stays good without a new signature check.
  ASSERT_EQ(*store_->install(jwks_document({ed_->public_key(), other->public_key()})),
            RefreshOutcome::kUpdated);
  EXPECT_TRUE(verifier_->verify(tok, test::kBlock)->from_cache);
  // ed-1 withdrawn: the token is refused although it is cached.
  ASSERT_EQ(*store_->install(jwks_document({other->public_key()})), RefreshOutcome::kUpdated);
  EXPECT_EQ(failure(tok), TokenError::kUnknownKid);
  EXPECT_EQ(verifier_->signature_checks(), 1u);
}

// try_verify: the synchronous half of async_verify. A known kid (good or bad token, cache hit or
// not) answers now; an unknown kid answers nullopt and neither fetches nor counts anything.
TEST_F(VerifierTest, TryVerifyAnswersNowUnlessTheKidIsUnknown) {
  const std::string tok = token(claims());
  auto first = verifier_->try_verify(tok, test::kBlock);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(first->has_value());
  EXPECT_FALSE((*first)->from_cache);
  auto again = verifier_->try_verify(tok, test::kBlock);
  ASSERT_TRUE(again.has_value() && again->has_value());
  EXPECT_TRUE((*again)->from_cache);
  auto wrong = verifier_->try_verify(tok, "other.example");
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->error(), TokenError::kWrongBlock);

  auto next = *SigningKey::generate(Algorithm::kEdDSA, "ed-2");
  fetcher_->document = jwks_document({ed_->public_key(), next->public_key()});
  EXPECT_FALSE(verifier_->try_verify(test::forge_claims(*next, claims()), test::kBlock));
  io_.poll();
  EXPECT_EQ(fetcher_->fetches.load(), 0);
  EXPECT_EQ(verifier_->signature_checks(), 1u);
}

// ---- rotation --------------------------------------------------------------------------------

TEST_F(VerifierTest, UnknownKidRefreshesOnceThenSucceeds) {
  auto next = *SigningKey::generate(Algorithm::kEdDSA, "ed-2");
  fetcher_->document = jwks_document({ed_->public_key(), next->public_key()});
  std::optional<VerifyResult> got;
  verifier_->async_verify(test::forge_claims(*next, claims()), std::string(test::kBlock),
                          [&](VerifyResult r) { got = std::move(r); });
  EXPECT_FALSE(got.has_value());  // never inline
  ASSERT_TRUE(test::run_until(io_, [&] { return got.has_value(); }));
  ASSERT_TRUE(got->has_value()) << name(got->error());
  EXPECT_EQ((*got)->claims->key_id, "ed-2");
  EXPECT_EQ(fetcher_->fetches.load(), 1);

  // A second unknown kid inside min_refresh_interval does not fetch again.
  auto rogue = *SigningKey::generate(Algorithm::kEdDSA, "ed-3");
  clock_->advance(10s);
  got.reset();
  verifier_->async_verify(test::forge_claims(*rogue, claims()), std::string(test::kBlock),
                          [&](VerifyResult r) { got = std::move(r); });
  ASSERT_TRUE(test::run_until(io_, [&] { return got.has_value(); }));
  ASSERT_FALSE(got->has_value());
  EXPECT_EQ(got->error(), TokenError::kUnknownKid);
  EXPECT_EQ(fetcher_->fetches.load(), 1);

  // After the interval, the next unknown kid may fetch again.
  clock_->advance(21s);
  got.reset();
  fetcher_->document = jwks_document({next->public_key(), rogue->public_key()});
  verifier_->async_verify(test::forge_claims(*rogue, claims()), std::string(test::kBlock),
                          [&](VerifyResult r) { got = std::move(r); });
  ASSERT_TRUE(test::run_until(io_, [&] { return got.has_value(); }));
  EXPECT_TRUE(got->has_value());
  EXPECT_EQ(fetcher_->fetches.load(), 2);
}

TEST_F(VerifierTest, SyncVerifyReportsUnknownKidAndRefreshesInBackground) {
  auto next = *SigningKey::generate(Algorithm::kEdDSA, "ed-2");
  fetcher_->document = jwks_document({next->public_key()});
  const std::string tok = test::forge_claims(*next, claims());
  EXPECT_EQ(failure(tok), TokenError::kUnknownKid);
  io_.run();
  EXPECT_EQ(fetcher_->fetches.load(), 1);
  EXPECT_TRUE(verifier_->verify(tok, test::kBlock).has_value());
}

TEST_F(VerifierTest, ConcurrentUnknownKidsShareOneFetch) {
  auto next = *SigningKey::generate(Algorithm::kEdDSA, "ed-2");
  fetcher_->document = jwks_document({next->public_key()});
  auto other_shard = make_verifier(options());
  int ok = 0;
  for (Verifier* v : {verifier_.get(), other_shard.get(), verifier_.get()}) {
    v->async_verify(test::forge_claims(*next, claims()), std::string(test::kBlock),
                    [&](VerifyResult r) { ok += r.has_value() ? 1 : 0; });
  }
  io_.run();
  EXPECT_EQ(ok, 3);
  EXPECT_EQ(fetcher_->fetches.load(), 1);
}

TEST_F(VerifierTest, FailedRefreshKeepsTheKeysInForce) {
  fetcher_->fail = true;
  auto rogue = *SigningKey::generate(Algorithm::kEdDSA, "ed-9");
  EXPECT_EQ(failure(test::forge_claims(*rogue, claims())), TokenError::kUnknownKid);
  io_.run();
  EXPECT_EQ(fetcher_->fetches.load(), 1);
  EXPECT_FALSE(store_->last_error().empty());
  EXPECT_TRUE(verifier_->verify(token(claims()), test::kBlock).has_value());
}

TEST_F(VerifierTest, AsyncVerifyCompletesAfterTheVerifierIsGone) {
  auto next = *SigningKey::generate(Algorithm::kEdDSA, "ed-2");
  fetcher_->document = jwks_document({next->public_key()});
  std::optional<VerifyResult> got;
  verifier_->async_verify(test::forge_claims(*next, claims()), std::string(test::kBlock),
                          [&](VerifyResult r) { got = std::move(r); });
  verifier_.reset();
  io_.run();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->error(), TokenError::kUnknownKid);
}

TEST_F(VerifierTest, TwoIssuersWithTheirOwnAlgorithms) {
  auto ec = *SigningKey::generate(Algorithm::kES256, "ec-1");
  KeyStoreOptions o;
  o.issuer = "https://other-wwsf.example";
  o.algorithm = Algorithm::kES256;
  auto ec_store = KeyStore::create(o, nullptr, clock_, io_.get_executor());
  ASSERT_TRUE(ec_store->install(jwks_document({ec->public_key()})).has_value());
  Verifier v(options(), {store_, ec_store}, clock_, io_.get_executor());
  json c = claims();
  EXPECT_TRUE(v.verify(token(c), test::kBlock).has_value());
  c["iss"] = o.issuer;
  EXPECT_TRUE(v.verify(test::forge_claims(*ec, c), test::kBlock).has_value());
  // The EdDSA key cannot speak for the ES256 issuer, and vice versa.
  EXPECT_EQ(v.verify(token(c), test::kBlock).error(), TokenError::kAlgorithmNotAllowed);
}

}  // namespace
}  // namespace wimpu::token

namespace wimpu::token {
namespace {

std::string read_corpus(const std::string& file) {
  std::ifstream in(std::string(WIMPU_TOKEN_CORPUS_DIR) + "/" + file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The fuzz seed corpus must keep reaching the deep paths: its tokens verify (or fail for the
// intended reason) under the key and clock the fuzz harness uses.
TEST(FuzzCorpus, SeedTokensReachTheIntendedOutcome) {
  boost::asio::io_context io;
  auto clock = std::make_shared<common::FakeClock>();
  KeyStoreOptions o;
  o.issuer = test::kIssuer;
  auto store = KeyStore::create(o, nullptr, clock, io.get_executor());
  ASSERT_TRUE(store
                  ->install(R"({"keys":[{"kty":"OKP","crv":"Ed25519",)"
                            R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"rfc8037"}]})")
                  .has_value());
  VerifierOptions vo;
  vo.audience = test::kAudience;
  Verifier v(vo, {store}, clock, io.get_executor());
  EXPECT_TRUE(v.verify(read_corpus("valid_eddsa"), test::kBlock).has_value());
  EXPECT_TRUE(v.verify(read_corpus("valid_aud_array"), test::kBlock).has_value());
  EXPECT_EQ(v.verify(read_corpus("expired"), test::kBlock).error(), TokenError::kExpired);
  EXPECT_EQ(v.verify(read_corpus("crit"), test::kBlock).error(), TokenError::kUnsupportedCrit);
  EXPECT_EQ(v.verify(read_corpus("alg_none"), test::kBlock).error(),
            TokenError::kAlgorithmNotAllowed);
  EXPECT_EQ(v.verify(read_corpus("hs256"), test::kBlock).error(),
            TokenError::kAlgorithmNotAllowed);
  auto bearer = bearer_token(read_corpus("bearer_access_token"));
  EXPECT_TRUE(bearer.has_value());
}

}  // namespace
}  // namespace wimpu::token

namespace wimpu::token {
namespace {

TEST_F(VerifierTest, SyncUnknownKidFloodPostsOneRequestPerInterval) {
  const auto before = common::counter("token.verify.refresh_request").value();
  auto rogue = *SigningKey::generate(Algorithm::kEdDSA, "ed-9");
  const std::string tok = test::forge_claims(*rogue, claims());
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(failure(tok), TokenError::kUnknownKid);
  }
  EXPECT_EQ(common::counter("token.verify.refresh_request").value(), before + 1);
  io_.run();
  EXPECT_EQ(fetcher_->fetches.load(), 1);
  clock_->advance(30s);
  EXPECT_EQ(failure(tok), TokenError::kUnknownKid);
  EXPECT_EQ(common::counter("token.verify.refresh_request").value(), before + 2);
  io_.restart();
  io_.run();
  EXPECT_EQ(fetcher_->fetches.load(), 2);
}

}  // namespace
}  // namespace wimpu::token
