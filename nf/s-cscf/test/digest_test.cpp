#include <gtest/gtest.h>

#include "wimpu/s_cscf/digest.hpp"

namespace wimpu::s_cscf {
namespace {

using namespace std::chrono_literals;

TEST(Digest, Rfc2617Section35Example) {
  const std::string ha1 = md5_hex("Mufasa:testrealm@host.com:Circle Of Life");
  EXPECT_EQ(digest_response(ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b",
                            "auth", "GET", "/dir/index.html"),
            "6629fae49393a05397450978507c4ef1");
}

TEST(Digest, ParsesQuotedAndTokenParams) {
  const DigestCredentials c = parse_digest_params(
      "username=\"alice@example\", realm=\"example\", nonce=\"abc\", uri=\"sip:example\", "
      "response=\"0123\", qop=auth, nc=00000001, cnonce=\"xy\\\"z\", algorithm=MD5, "
      "integrity-protected=\"auth-done\"");
  EXPECT_EQ(c.username, "alice@example");
  EXPECT_EQ(c.realm, "example");
  EXPECT_EQ(c.nonce, "abc");
  EXPECT_EQ(c.uri, "sip:example");
  EXPECT_EQ(c.qop, "auth");
  EXPECT_EQ(c.nc, "00000001");
  EXPECT_EQ(c.cnonce, "xy\"z");
  EXPECT_EQ(c.algorithm, "MD5");
  EXPECT_EQ(c.integrity_protected, "auth-done");
}

class NonceTableTest : public ::testing::Test {
protected:
  DigestCredentials answer(const std::string& nonce, const std::string& nc,
                           const std::string& password = "secret") {
    DigestCredentials c;
    c.username = "alice@example";
    c.realm = "example";
    c.nonce = nonce;
    c.uri = "sip:example";
    c.qop = "auth";
    c.nc = nc;
    c.cnonce = "c0ffee";
    c.response = digest_response(md5_hex("alice@example:example:" + password), nonce, nc,
                                 c.cnonce, "auth", "REGISTER", c.uri);
    return c;
  }
  std::string issue() {
    return nonces.issue({"alice@example", "sip:alice@example", "example",
                         md5_hex("alice@example:example:secret")});
  }

  std::shared_ptr<common::FakeClock> clock = std::make_shared<common::FakeClock>();
  NonceTable nonces{clock, 30s};
};

TEST_F(NonceTableTest, AcceptsOnceThenRefusesTheSameNonceCount) {
  const std::string n = issue();
  NonceTable::Issued out;
  EXPECT_EQ(nonces.check(answer(n, "00000001"), "REGISTER", &out), DigestCheck::kOk);
  EXPECT_EQ(out.impu, "sip:alice@example");
  EXPECT_EQ(nonces.check(answer(n, "00000001"), "REGISTER", nullptr), DigestCheck::kReplay);
  EXPECT_EQ(nonces.check(answer(n, "00000002"), "REGISTER", nullptr), DigestCheck::kOk);
}

TEST_F(NonceTableTest, WrongPasswordUserOrQopFails) {
  const std::string n = issue();
  EXPECT_EQ(nonces.check(answer(n, "00000001", "guess"), "REGISTER", nullptr),
            DigestCheck::kBadResponse);
  DigestCredentials c = answer(n, "00000001");
  c.username = "mallory@example";
  EXPECT_EQ(nonces.check(c, "REGISTER", nullptr), DigestCheck::kWrongUser);
  c = answer(n, "00000001");
  c.qop.clear();  // RFC 2069 form: refused, we offered qop=auth
  EXPECT_EQ(nonces.check(c, "REGISTER", nullptr), DigestCheck::kBadResponse);
  c = answer(n, "1");
  EXPECT_EQ(nonces.check(c, "REGISTER", nullptr), DigestCheck::kBadResponse);
  EXPECT_EQ(nonces.check(answer(n, "00000001"), "INVITE", nullptr), DigestCheck::kBadResponse);
}

TEST_F(NonceTableTest, ExpiredNonceIsStaleAndReissued) {
  const std::string n = issue();
  clock->advance(31s);
  NonceTable::Issued out;
  EXPECT_EQ(nonces.check(answer(n, "00000001"), "REGISTER", &out), DigestCheck::kStale);
  EXPECT_EQ(out.realm, "example");
  auto fresh = nonces.reissue(n);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(nonces.check(answer(n, "00000001"), "REGISTER", nullptr), DigestCheck::kUnknownNonce);
  EXPECT_EQ(nonces.check(answer(*fresh, "00000001"), "REGISTER", nullptr), DigestCheck::kOk);
}

TEST_F(NonceTableTest, UnknownNonceAndPurge) {
  EXPECT_EQ(nonces.check(answer("feedface", "00000001"), "REGISTER", nullptr),
            DigestCheck::kUnknownNonce);
  issue();
  EXPECT_EQ(nonces.size(), 1u);
  clock->advance(59s);
  EXPECT_EQ(nonces.purge(), 0u);
  clock->advance(2s);
  EXPECT_EQ(nonces.purge(), 1u);
}

}  // namespace
}  // namespace wimpu::s_cscf
