#include <gtest/gtest.h>

#include <filesystem>
#include <latch>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include "ossl.hpp"
#include "p256_fixed_key.hpp"
#include "signature.hpp"
#include "test_support.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/token/base64url.hpp"
#include "wimpu/token/key_set.hpp"
#include "wimpu/token/signing_key.hpp"

namespace wimpu::token {
namespace {

using nlohmann::json;

// RFC 8037 Appendix A.1-A.4 (Ed25519) and RFC 7515 Appendix A.3 (ES256) example keys.
constexpr std::string_view kEdX = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
constexpr std::string_view kEcX = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr std::string_view kEcY = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

json ed_jwk(std::string_view kid, std::string_view x = kEdX) {
  return {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", x}, {"kid", kid}};
}
json ec_jwk(std::string_view kid) {
  return {{"kty", "EC"}, {"crv", "P-256"}, {"x", kEcX}, {"y", kEcY}, {"kid", kid}};
}
std::string set_of(std::initializer_list<json> keys) { return json{{"keys", keys}}.dump(); }

TEST(KeySet, ParsesEd25519AndEcKeys) {
  auto ed = KeySet::parse(set_of({ed_jwk("a")}), Algorithm::kEdDSA);
  ASSERT_TRUE(ed.has_value());
  ASSERT_EQ((*ed)->keys().size(), 1u);
  EXPECT_EQ((*ed)->keys()[0]->kid(), "a");
  EXPECT_NE((*ed)->find("a"), nullptr);
  EXPECT_EQ((*ed)->find("b"), nullptr);

  auto ec = KeySet::parse(set_of({ec_jwk("e")}), Algorithm::kES256);
  ASSERT_TRUE(ec.has_value());
  EXPECT_EQ((*ec)->keys()[0]->raw().size(), 65u);
}

// The issuer's pinned algorithm decides which keys are usable, never the document.
TEST(KeySet, IgnoresKeysOfOtherAlgorithmsAndKinds) {
  const std::string doc = set_of({
      ed_jwk("ed"),
      ec_jwk("ec"),
      {{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "hmac"}},
      {{"kty", "RSA"}, {"n", "AQAB"}, {"e", "AQAB"}, {"kid", "rsa"}},
      {{"kty", "OKP"}, {"crv", "X25519"}, {"x", kEdX}, {"kid", "x25519"}},
  });
  auto ed = KeySet::parse(doc, Algorithm::kEdDSA);
  ASSERT_TRUE(ed.has_value());
  ASSERT_EQ((*ed)->keys().size(), 1u);
  EXPECT_EQ((*ed)->keys()[0]->kid(), "ed");
  EXPECT_EQ((*ed)->ignored().size(), 4u);
  auto ec = KeySet::parse(doc, Algorithm::kES256);
  ASSERT_TRUE(ec.has_value());
  ASSERT_EQ((*ec)->keys().size(), 1u);
  EXPECT_EQ((*ec)->keys()[0]->kid(), "ec");
}

TEST(KeySet, RejectsBadKeys) {
  json bad_len = ed_jwk("short", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHU");
  json padded = ed_jwk("padded", std::string(kEdX) + "=");
  json no_kid = ed_jwk("x");
  no_kid.erase("kid");
  json with_d = ed_jwk("priv");
  with_d["d"] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
  json enc = ed_jwk("enc");
  enc["use"] = "enc";
  json ops = ed_jwk("ops");
  ops["key_ops"] = json::array({"sign"});
  json other_alg = ed_jwk("alg");
  other_alg["alg"] = "ES256";
  json not_on_curve = ec_jwk("offcurve");
  not_on_curve["y"] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1";
  json x_type = ed_jwk("num");
  x_type["x"] = 42;
  for (const json& k : {bad_len, padded, no_kid, with_d, enc, ops, other_alg, x_type}) {
    auto r = KeySet::parse(set_of({k, ed_jwk("good")}), Algorithm::kEdDSA);
    ASSERT_TRUE(r.has_value()) << k.dump();
    EXPECT_EQ((*r)->keys().size(), 1u) << k.dump();
    EXPECT_EQ((*r)->find("good") != nullptr, true);
    EXPECT_EQ((*r)->ignored().size(), 1u) << k.dump();
  }
  auto ec = KeySet::parse(set_of({not_on_curve}), Algorithm::kES256);
  ASSERT_FALSE(ec.has_value());
  EXPECT_EQ(ec.error(), JwksError::kNoUsableKey);
}

TEST(KeySet, AcceptsOptionalMembersThatAgree) {
  json k = ed_jwk("k");
  k["use"] = "sig";
  k["alg"] = "EdDSA";
  k["key_ops"] = json::array({"verify"});
  auto r = KeySet::parse(set_of({k}), Algorithm::kEdDSA);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE((*r)->ignored().empty());
}

TEST(KeySet, RejectsWholeDocumentWhenAmbiguousOrUnusable) {
  EXPECT_EQ(KeySet::parse(set_of({ed_jwk("same"), ed_jwk("same")}), Algorithm::kEdDSA).error(),
            JwksError::kDuplicateKid);
  EXPECT_EQ(KeySet::parse(set_of({}), Algorithm::kEdDSA).error(), JwksError::kNoUsableKey);
  EXPECT_EQ(KeySet::parse("{\"keys\":", Algorithm::kEdDSA).error(), JwksError::kMalformedJson);
  EXPECT_EQ(KeySet::parse("[]", Algorithm::kEdDSA).error(), JwksError::kMalformedJson);
  EXPECT_EQ(KeySet::parse("{\"keys\":{}}", Algorithm::kEdDSA).error(), JwksError::kMalformedJson);
  EXPECT_EQ(KeySet::parse(std::string(kMaxJwksSize + 1, ' '), Algorithm::kEdDSA).error(),
            JwksError::kTooLarge);
}

TEST(KeySet, JwksDocumentRoundTrips) {
  auto a = SigningKey::generate(Algorithm::kES256, "a");
  auto b = SigningKey::generate(Algorithm::kES256, "b");
  ASSERT_TRUE(a && b);
  const std::string doc = jwks_document({(*a)->public_key(), (*b)->public_key()});
  auto set = KeySet::parse(doc, Algorithm::kES256);
  ASSERT_TRUE(set.has_value()) << doc;
  ASSERT_EQ((*set)->keys().size(), 2u);
  EXPECT_TRUE((*(*set)->find("a"))->same_key(*(*a)->public_key()));
  EXPECT_TRUE((*(*set)->find("b"))->same_key(*(*b)->public_key()));
  auto again = KeySet::parse((*set)->to_jwks_json(), Algorithm::kES256);
  EXPECT_TRUE((*again)->same_keys(**set));
  const json parsed = json::parse(doc);
  EXPECT_EQ(parsed["keys"][0]["use"], "sig");
  EXPECT_EQ(parsed["keys"][0]["alg"], "ES256");
  EXPECT_FALSE(parsed["keys"][0].contains("d"));
}

// RFC 8037 Appendix A.3.
TEST(Jwk, Rfc8037Thumbprint) {
  auto raw = base64url::decode(kEdX);
  ASSERT_TRUE(raw.has_value());
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(raw->data()),
                                            raw->size());
  EXPECT_EQ(jwk_thumbprint(Algorithm::kEdDSA, bytes), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  auto key = PublicKey::from_raw(Algorithm::kEdDSA, "", bytes);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ((*key)->kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Known-answer tests of the signature path: RFC 8037 A.4 and RFC 7515 A.3 (whose JOSE r||s
// signature exercises the JOSE -> DER conversion against an external vector).
TEST(Signature, Rfc8037Ed25519Example) {
  const std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
  const std::string sig = *base64url::decode(
      "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
  auto key = PublicKey::from_raw(Algorithm::kEdDSA, "k", bytes_of(*base64url::decode(kEdX)));
  ASSERT_TRUE(key.has_value());
  SignatureChecker checker;
  EXPECT_TRUE(checker.verify(*key, input, bytes_of(sig)));
  EXPECT_TRUE(checker.verify(*key, input, bytes_of(sig)));  // the cached context is reusable
  EXPECT_FALSE(checker.verify(*key, input + "x", bytes_of(sig)));
  EXPECT_TRUE(checker.verify(*key, input, bytes_of(sig)));  // and usable after a failure
}

// RFC 7515 Appendix A.3: the ES256 example's signing input, signature and public key.
struct Rfc7515Es256 {
  std::string input =
      "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxl"
      "LmNvbS9pc19yb290Ijp0cnVlfQ";
  std::string sig = *base64url::decode(
      "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");
  std::string point = "\x04" + *base64url::decode(kEcX) + *base64url::decode(kEcY);
};

TEST(Signature, Rfc7515Es256Example) {
  const Rfc7515Es256 example;
  const std::string& input = example.input;
  const std::string& sig = example.sig;
  auto key = PublicKey::from_raw(Algorithm::kES256, "k", bytes_of(example.point));
  ASSERT_TRUE(key.has_value());
  SignatureChecker checker;
  EXPECT_TRUE(checker.verify(*key, input, bytes_of(sig)));
  std::string flipped = sig;
  flipped[10] ^= 1;
  EXPECT_FALSE(checker.verify(*key, input, bytes_of(flipped)));
  EXPECT_FALSE(checker.verify(*key, input, bytes_of(sig.substr(0, 63))));
}

TEST(Signature, Rfc7515Es256ExampleWithThePrecomputedKeyTable) {
  const Rfc7515Es256 example;
  const std::string& input = example.input;
  const std::string& sig = example.sig;
  auto key = PublicKey::from_raw(Algorithm::kES256, "k", bytes_of(example.point));
  ASSERT_TRUE(key.has_value());
  const auto built = common::counter("token.verify.p256_table_built").value();
  SignatureChecker checker(0);  // the table from the first use
  EXPECT_TRUE(checker.verify(*key, input, bytes_of(sig)));
  EXPECT_EQ(common::counter("token.verify.p256_table_built").value(), built + 1);
  std::string flipped = sig;
  flipped[10] ^= 1;
  EXPECT_FALSE(checker.verify(*key, input, bytes_of(flipped)));
  EXPECT_FALSE(checker.verify(*key, input + "x", bytes_of(sig)));
  EXPECT_TRUE(checker.verify(*key, input, bytes_of(sig)));  // a refusal keeps the table
  EXPECT_EQ(common::counter("token.verify.p256_table_built").value(), built + 1);
}

// The precomputed-table path (P256FixedKey) must decide exactly as OpenSSL's EVP path: every
// good signature passes both, every altered one (r, s, input; r or s zero or >= n) fails both.
TEST(Signature, Es256KeyTableAgreesWithEvp) {
  auto key = SigningKey::generate(Algorithm::kES256, "k");
  ASSERT_TRUE(key.has_value());
  SignatureMaker maker(*key);
  SignatureChecker table(0);
  SignatureChecker evp(~std::uint32_t{0});  // never builds a table
  const auto& pub = (*key)->public_key();
  // P-256's order n, big-endian (SEC 2 §2.4.2).
  const std::string n = *base64url::decode("_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE");
  ASSERT_EQ(n.size(), 32u);
  for (int i = 0; i < 40; ++i) {
    const std::string input = "header.payload-" + std::to_string(i);
    std::string sig_b64;
    ASSERT_TRUE(maker.sign_append(input, sig_b64));
    const std::string sig = *base64url::decode(sig_b64);
    ASSERT_EQ(sig.size(), 64u);
    EXPECT_TRUE(table.verify(pub, input, bytes_of(sig)));
    EXPECT_TRUE(evp.verify(pub, input, bytes_of(sig)));
    std::vector<std::string> bad;
    for (std::size_t at : {std::size_t{0}, std::size_t{31}, std::size_t{32}, std::size_t{63}}) {
      std::string b = sig;
      b[at] = static_cast<char>(b[at] ^ (1 << (i % 8)));
      bad.push_back(b);
    }
    bad.push_back(std::string(32, '\0') + sig.substr(32));  // r = 0
    bad.push_back(sig.substr(0, 32) + std::string(32, '\0'));  // s = 0
    bad.push_back(n + sig.substr(32));                          // r = n
    bad.push_back(sig.substr(0, 32) + n);                       // s = n
    bad.push_back(std::string(32, '\xff') + sig.substr(32));  // r > n
    for (const std::string& b : bad) {
      EXPECT_FALSE(table.verify(pub, input, bytes_of(b))) << i;
      EXPECT_FALSE(evp.verify(pub, input, bytes_of(b))) << i;
    }
    EXPECT_FALSE(table.verify(pub, input + ".", bytes_of(sig)));
    EXPECT_FALSE(evp.verify(pub, input + ".", bytes_of(sig)));
  }
}

TEST(Signature, Es256KeyTableIsBuiltAfterEnoughGoodSignatures) {
  auto key = SigningKey::generate(Algorithm::kES256, "k");
  ASSERT_TRUE(key.has_value());
  SignatureMaker maker(*key);
  SignatureChecker checker(3);
  auto& built = common::counter("token.verify.p256_table_built");
  const auto before = built.value();
  for (int i = 0; i < 6; ++i) {
    const std::string input = "h.p" + std::to_string(i);
    std::string sig_b64;
    ASSERT_TRUE(maker.sign_append(input, sig_b64));
    const std::string sig = *base64url::decode(sig_b64);
    EXPECT_FALSE(checker.verify((*key)->public_key(), input + "x", bytes_of(sig)));  // not counted
    EXPECT_TRUE(checker.verify((*key)->public_key(), input, bytes_of(sig)));
    // Three good ones through EVP, then the table (built once).
    EXPECT_EQ(built.value(), before + (i >= 3 ? 1 : 0)) << i;
  }
}

// Shards share a key's table (P256KeyTable::shared_for): two threads that reach the threshold
// together for one key get one table between them, built once, and both verify through it.
TEST(Signature, Es256KeyTableIsBuiltOncePerKeyAndSharedBetweenThreads) {
  auto key = SigningKey::generate(Algorithm::kES256, "k");
  ASSERT_TRUE(key.has_value());
  const PublicKeyPtr& pub = (*key)->public_key();
  SignatureMaker maker(*key);
  std::vector<std::pair<std::string, std::string>> signed_inputs;
  for (int i = 0; i < 8; ++i) {
    std::string input = "h.p" + std::to_string(i);
    std::string sig_b64;
    ASSERT_TRUE(maker.sign_append(input, sig_b64));
    signed_inputs.emplace_back(std::move(input), *base64url::decode(sig_b64));
  }
  auto& built = common::counter("token.verify.p256_table_built");
  const auto before = built.value();
  std::latch start(2);
  std::array<int, 2> good{};
  std::array<const P256KeyTable*, 2> tables{};
  std::vector<std::thread> shards;
  for (std::size_t t = 0; t < 2; ++t) {
    shards.emplace_back([&, t] {
      SignatureChecker checker(0);  // both want the table at their first signature
      start.arrive_and_wait();
      for (const auto& [input, sig] : signed_inputs) {
        good[t] += checker.verify(pub, input, bytes_of(sig)) ? 1 : 0;
      }
      tables[t] = P256KeyTable::shared_for(pub).get();
    });
  }
  for (std::thread& t : shards) {
    t.join();
  }
  EXPECT_EQ(good[0], 8);
  EXPECT_EQ(good[1], 8);
  EXPECT_EQ(built.value(), before + 1);
  ASSERT_NE(tables[0], nullptr);
  EXPECT_EQ(tables[0], tables[1]);
  // Another key object (even with the same public key) has a table of its own.
  auto copy = PublicKey::from_raw(Algorithm::kES256, "k2", pub->raw());
  ASSERT_TRUE(copy.has_value());
  EXPECT_NE(P256KeyTable::shared_for(*copy).get(), tables[0]);
  EXPECT_EQ(P256KeyTable::shared_for(*copy), P256KeyTable::shared_for(*copy));
  EXPECT_EQ(built.value(), before + 2);
}

TEST(Signature, SignThenVerifyBothAlgorithms) {
  for (const Algorithm alg : {Algorithm::kEdDSA, Algorithm::kES256}) {
    auto key = SigningKey::generate(alg, "k");
    ASSERT_TRUE(key.has_value());
    SignatureMaker maker(*key);
    SignatureChecker checker;
    for (int i = 0; i < 20; ++i) {
      const std::string input = "header.payload" + std::to_string(i);
      std::string sig_b64;
      ASSERT_TRUE(maker.sign_append(input, sig_b64));
      const std::string sig = *base64url::decode(sig_b64);
      ASSERT_EQ(sig.size(), 64u);
      EXPECT_TRUE(checker.verify((*key)->public_key(), input, bytes_of(sig)));
    }
  }
}

// The maker signs Ed25519 with libsodium; the verifier and the JWKS consumers use OpenSSL. Both
// directions must interoperate, and since RFC 8032 signatures are deterministic, both libraries
// must produce the very same bytes for the same key and input.
TEST(Signature, Ed25519LibsodiumAndOpenSslInteroperate) {
  auto key = SigningKey::generate(Algorithm::kEdDSA, "k");
  ASSERT_TRUE(key.has_value());
  std::array<std::uint8_t, 32> pub{};
  std::size_t pub_len = pub.size();
  ASSERT_EQ(EVP_PKEY_get_raw_public_key((*key)->native(), pub.data(), &pub_len), 1);
  ASSERT_GE(sodium_init(), 0);
  SignatureMaker maker(*key);
  SignatureChecker checker;
  ossl::MdCtxPtr md(EVP_MD_CTX_new());
  for (int i = 0; i < 20; ++i) {
    const std::string input = "eyJhbGciOiJFZERTQSJ9.payload-" + std::string(i * 7, 'x');
    const auto* in = reinterpret_cast<const unsigned char*>(input.data());
    // libsodium-signed (the maker) -> OpenSSL verifiers (raw EVP and the library's checker).
    std::string sig_b64;
    ASSERT_TRUE(maker.sign_append(input, sig_b64));
    const std::string sig = *base64url::decode(sig_b64);
    ASSERT_EQ(sig.size(), 64u);
    const auto* s = reinterpret_cast<const unsigned char*>(sig.data());
    ASSERT_EQ(EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, (*key)->native()), 1);
    EXPECT_EQ(EVP_DigestVerify(md.get(), s, sig.size(), in, input.size()), 1);
    EXPECT_TRUE(checker.verify((*key)->public_key(), input, bytes_of(sig)));
    // OpenSSL-signed -> libsodium verifier, and the same bytes as libsodium's.
    std::array<unsigned char, 64> ossl_sig{};
    std::size_t len = ossl_sig.size();
    ASSERT_EQ(EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, (*key)->native()), 1);
    ASSERT_EQ(EVP_DigestSign(md.get(), ossl_sig.data(), &len, in, input.size()), 1);
    ASSERT_EQ(len, 64u);
    EXPECT_EQ(crypto_sign_verify_detached(ossl_sig.data(), in, input.size(), pub.data()), 0);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(ossl_sig.data()), len), sig);
    // And a tampered input fails on both sides.
    std::string bad = input;
    bad.back() ^= 1;
    EXPECT_NE(crypto_sign_verify_detached(ossl_sig.data(),
                                          reinterpret_cast<const unsigned char*>(bad.data()),
                                          bad.size(), pub.data()),
              0);
    EXPECT_FALSE(checker.verify((*key)->public_key(), bad, bytes_of(sig)));
  }
  // RFC 8037 Appendix A: the libsodium path on the RFC's key gives the RFC's signature.
  auto rfc = SigningKey::from_pem(
      "-----BEGIN PRIVATE KEY-----\n"
      "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
      "-----END PRIVATE KEY-----\n",
      "rfc");
  ASSERT_TRUE(rfc.has_value());
  SignatureMaker rfc_maker(*rfc);
  std::string rfc_sig;
  ASSERT_TRUE(rfc_maker.sign_append("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc",
                                    rfc_sig));
  EXPECT_EQ(rfc_sig,
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
}

TEST(Der, JoseDerRoundTripWithEdgeValues) {
  std::array<std::uint8_t, 64> jose{};
  std::array<std::uint8_t, ossl::kMaxEcdsaDer> der{};
  std::array<std::uint8_t, 64> back{};
  // r with the top bit set (needs a 0x00 pad), s with leading zero bytes (must be stripped).
  jose[0] = 0x80;
  jose[31] = 1;
  jose[62] = 0x7f;
  jose[63] = 0xff;
  const std::size_t n = ossl::jose_to_der(jose, der);
  EXPECT_EQ(der[0], 0x30);
  EXPECT_EQ(der[2], 0x02);
  EXPECT_EQ(der[3], 33);  // padded r
  EXPECT_EQ(der[4], 0x00);
  ASSERT_TRUE(ossl::der_to_jose(std::span<const std::uint8_t>(der.data(), n), back));
  EXPECT_EQ(back, jose);
  // Non-minimal, negative, trailing garbage and truncated encodings are refused.
  const std::uint8_t non_minimal[] = {0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01};
  const std::uint8_t negative[] = {0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x01};
  const std::uint8_t trailing[] = {0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00};
  const std::uint8_t truncated[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01};
  EXPECT_FALSE(ossl::der_to_jose(non_minimal, back));
  EXPECT_FALSE(ossl::der_to_jose(negative, back));
  EXPECT_FALSE(ossl::der_to_jose(trailing, back));
  EXPECT_FALSE(ossl::der_to_jose(truncated, back));
}

TEST(SigningKey, PemRoundTripAndKeyFile) {
  test::TempDir dir;
  for (const Algorithm alg : {Algorithm::kEdDSA, Algorithm::kES256}) {
    const std::string path = dir.path(alg == Algorithm::kEdDSA ? "ed.pem" : "ec.pem");
    auto made = generate_key_file(alg, path);
    ASSERT_TRUE(made.has_value());
    EXPECT_EQ(generate_key_file(alg, path).error(), KeyError::kExists);
    auto loaded = SigningKey::load_pem_file(path);
    ASSERT_TRUE(loaded.has_value());
    EXPECT_EQ((*loaded)->algorithm(), alg);
    EXPECT_TRUE((*loaded)->public_key()->same_key(*(*made)->public_key()));
    // Without a configured kid, the thumbprint: stable across restarts.
    EXPECT_EQ((*loaded)->kid(), (*made)->kid());
    EXPECT_EQ((*loaded)->kid(), (*loaded)->public_key()->thumbprint());
    EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  EXPECT_EQ(SigningKey::load_pem_file(dir.path("missing.pem")).error(), KeyError::kIo);
  EXPECT_EQ(SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
                .error(),
            KeyError::kBadKey);
}

TEST(SigningKey, RefusesUnsupportedKeyTypes) {
  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  ASSERT_NE(p384, nullptr);
  EXPECT_EQ(PublicKey::from_native(p384, "k").error(), KeyError::kUnsupportedKey);
  EVP_PKEY_free(p384);
  EVP_PKEY* x25519 = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
  EXPECT_EQ(PublicKey::from_native(x25519, "k").error(), KeyError::kUnsupportedKey);
  EVP_PKEY_free(x25519);
}

}  // namespace
}  // namespace wimpu::token
