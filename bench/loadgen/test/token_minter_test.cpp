// The TokenIssuer-backed minter (libs/token): tokens carry the configured claims and the
// per-request subject, and the engine puts them in REGISTERs.
#include <gtest/gtest.h>

#include <cstdio>

#include "sip_responder.hpp"
#include "wimpu/loadgen/engine.hpp"
#include "wimpu/loadgen/token_source.hpp"
#include "wimpu/token/base64url.hpp"
#include "wimpu/token/signing_key.hpp"

namespace wimpu::loadgen {
namespace {

std::string payload_of(const std::string& jws) {
  const std::size_t a = jws.find('.');
  const std::size_t b = jws.find('.', a + 1);
  auto decoded = token::base64url::decode(std::string_view(jws).substr(a + 1, b - a - 1));
  return decoded ? *decoded : std::string();
}

class TokenMinterTest : public ::testing::Test {
protected:
  void SetUp() override {
    key_file_ = ::testing::TempDir() + "loadgen_minter_" +
                std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".pem";
    std::remove(key_file_.c_str());
    ASSERT_TRUE(token::generate_key_file(token::Algorithm::kEdDSA, key_file_));
  }
  void TearDown() override { std::remove(key_file_.c_str()); }

  IssuerMinterOptions options() const {
    IssuerMinterOptions o;
    o.key_file = key_file_;
    o.issuer = "https://wwsf.test";
    o.audience = "ims.test";
    o.block = "block1";
    o.lifetime_s = 120;
    return o;
  }

  std::string key_file_;
};

TEST_F(TokenMinterTest, MintsSignedTokensWithTheClaims) {
  auto factory = issuer_minter_factory(options());
  ASSERT_TRUE(factory) << factory.error().message;
  auto minter = (*factory)();
  ASSERT_TRUE(minter);
  auto jws = (*minter)->mint("web-7");
  ASSERT_TRUE(jws) << jws.error().message;
  const std::string claims = payload_of(*jws);
  EXPECT_NE(claims.find("\"sub\":\"web-7\""), std::string::npos) << claims;
  EXPECT_NE(claims.find("\"iss\":\"https://wwsf.test\""), std::string::npos) << claims;
  EXPECT_NE(claims.find("\"wimpu_block\":\"block1\""), std::string::npos) << claims;
  auto again = (*minter)->mint("web-7");
  ASSERT_TRUE(again);
  EXPECT_NE(*jws, *again);  // fresh jti each time
}

TEST_F(TokenMinterTest, MissingKeyIsAStartupError) {
  IssuerMinterOptions o = options();
  o.key_file += ".missing";
  EXPECT_FALSE(issuer_minter_factory(o));
}

TEST_F(TokenMinterTest, EngineSendsAFreshSignedTokenPerRegister) {
  test::SipResponder r(test::ResponderOptions{});
  EngineOptions o;
  o.mode = Mode::kRegister;
  o.ws.url = *parse_ws_url(r.url());
  o.connections = 2;
  o.count = 10;
  o.report_interval = std::chrono::milliseconds(0);
  auto factory = issuer_minter_factory(options());
  ASSERT_TRUE(factory);
  o.token.minter = *factory;
  o.token.fresh_per_request = true;
  Engine engine(o);
  const RunReport rep = engine.run();
  EXPECT_EQ(rep.stats.transactions_ok, 10u);
  EXPECT_EQ(rep.stats.tokens_minted, 10u);
  const auto counts = r.counts();
  EXPECT_EQ(counts.bearer_tokens.size(), 10u);
  for (const auto& [tok, n] : counts.bearer_tokens) {
    EXPECT_EQ(n, 1u);
    EXPECT_NE(payload_of(tok).find("\"sub\":\"loadgen-"), std::string::npos);
  }
}

}  // namespace
}  // namespace wimpu::loadgen
