#include "wimpu/loadgen/digest.hpp"

#include <gtest/gtest.h>

namespace wimpu::loadgen {
namespace {

TEST(Digest, Rfc2617ExampleResponse) {
  // RFC 2617 §3.5: the Mufasa example.
  EXPECT_EQ(digest_response("MD5", "Mufasa", "testrealm@host.com", "Circle Of Life", "GET",
                            "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001",
                            "0a4f113b", true),
            "6629fae49393a05397450978507c4ef1");
}

TEST(Digest, Rfc2069ModeAndSha256) {
  // Vectors computed independently (Python hashlib).
  EXPECT_EQ(digest_response("MD5", "bob", "realm", "pw", "REGISTER", "sip:x", "nonce", "", "",
                            false),
            "5e32ebc21c3a4ad4134fb182c62759d8");
  EXPECT_EQ(digest_response("SHA-256", "alice", "r", "p", "REGISTER", "sip:example.com", "n1",
                            "00000002", "c1", true),
            "47e17ed5d92e606f86116aac574515fbc4d5f0e167b7feb66259124828bf1535");
}

TEST(Digest, EphemeralCredentials) {
  const std::string user = ephemeral_username(1700000000, "alice");
  EXPECT_EQ(user, "1700000000:alice");
  // printf '1700000000:alice' | openssl dgst -sha1 -hmac s3cret -binary | base64
  EXPECT_EQ(ephemeral_password("s3cret", user), "TtElzSjT0GdnTQ9xdcRNxx96yQs=");
}

TEST(Digest, ParsesChallengeAndBuildsAuthorization) {
  auto value = sip::parse_auth_value(
      R"(Digest realm="kamailio.test", nonce="abc123", qop="auth,auth-int", opaque="op1", algorithm=MD5)");
  ASSERT_TRUE(value);
  auto challenge = parse_digest_challenge(*value);
  ASSERT_TRUE(challenge) << challenge.error().message;
  EXPECT_EQ(challenge->realm, "kamailio.test");
  EXPECT_EQ(challenge->nonce, "abc123");
  EXPECT_EQ(challenge->opaque, "op1");
  EXPECT_TRUE(challenge->qop_auth);

  DigestCredentials creds{"1700000000:alice", "TtElzSjT0GdnTQ9xdcRNxx96yQs=", "cafe", 0};
  std::string out;
  build_digest_authorization(creds, *challenge, "REGISTER", "sip:kamailio.test", out);
  EXPECT_EQ(creds.nc, 1u);
  const std::string expected_response =
      digest_response("MD5", "1700000000:alice", "kamailio.test", "TtElzSjT0GdnTQ9xdcRNxx96yQs=",
                      "REGISTER", "sip:kamailio.test", "abc123", "00000001", "cafe", true);
  EXPECT_EQ(out, "Digest username=\"1700000000:alice\", realm=\"kamailio.test\", "
                 "nonce=\"abc123\", uri=\"sip:kamailio.test\", response=\"" +
                     expected_response +
                     "\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"cafe\", opaque=\"op1\"");
  build_digest_authorization(creds, *challenge, "REGISTER", "sip:kamailio.test", out);
  EXPECT_NE(out.find("nc=00000002"), std::string::npos);
}

TEST(Digest, RejectsWhatItCannotAnswer) {
  auto bearer = sip::parse_auth_value(R"(Bearer realm="x")");
  ASSERT_TRUE(bearer);
  EXPECT_FALSE(parse_digest_challenge(*bearer));
  auto auth_int = sip::parse_auth_value(R"(Digest realm="x", nonce="n", qop="auth-int")");
  ASSERT_TRUE(auth_int);
  EXPECT_FALSE(parse_digest_challenge(*auth_int));
  auto no_nonce = sip::parse_auth_value(R"(Digest realm="x")");
  ASSERT_TRUE(no_nonce);
  EXPECT_FALSE(parse_digest_challenge(*no_nonce));
  auto sha512 = sip::parse_auth_value(R"(Digest realm="x", nonce="n", algorithm=SHA-512-256)");
  ASSERT_TRUE(sha512);
  EXPECT_FALSE(parse_digest_challenge(*sha512));
}

}  // namespace
}  // namespace wimpu::loadgen
