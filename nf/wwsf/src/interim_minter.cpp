#include "wimpu/wwsf/interim_minter.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>
#include <fstream>
#include <nlohmann/json.hpp>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <vector>

#include "json_text.hpp"
#include "wimpu/common/counter.hpp"

namespace wimpu::wwsf {
namespace {

std::string b64url(const unsigned char* data, std::size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const unsigned v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (n - i == 1) {
    const unsigned v = data[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    const unsigned v = (data[i] << 16) | (data[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string b64url(std::string_view s) {
  return b64url(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

Expected<PkeyPtr, std::string> load_key(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return "cannot read signing key file " + file;
  }
  std::ostringstream s;
  s << in.rdbuf();
  const std::string pem = s.str();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    ERR_clear_error();
    return "signing key file " + file + " is not an Ed25519 private key";
  }
  return PkeyPtr(key);
}

struct PublicJwk {
  std::string kid;
  std::string x;
};

PublicJwk public_jwk(EVP_PKEY* key) {
  std::array<unsigned char, 32> raw{};
  std::size_t len = raw.size();
  EVP_PKEY_get_raw_public_key(key, raw.data(), &len);
  PublicJwk jwk;
  jwk.x = b64url(raw.data(), len);
  // RFC 7638 §3.2: the required members in lexicographic order, no whitespace.
  const std::string canonical = R"({"crv":"Ed25519","kty":"OKP","x":")" + jwk.x + R"("})";
  std::array<unsigned char, 32> digest{};
  unsigned int dlen = 0;
  EVP_Digest(canonical.data(), canonical.size(), digest.data(), &dlen, EVP_sha256(), nullptr);
  jwk.kid = b64url(digest.data(), dlen);
  return jwk;
}

class Ed25519Minter final : public TokenMinter {
public:
  Ed25519Minter(PkeyPtr key, std::vector<PublicJwk> published)
      : key_(std::move(key)), kid_(published.front().kid) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& k : published) {
      keys.push_back({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", k.x}, {"kid", k.kid},
                      {"alg", "EdDSA"}, {"use", "sig"}});
    }
    jwks_ = nlohmann::json{{"keys", keys}}.dump();
    header_b64_ = b64url(nlohmann::json{{"alg", "EdDSA"}, {"kid", kid_}, {"typ", "JWT"}}.dump());
  }

  ~Ed25519Minter() override {
    for (EVP_MD_CTX* ctx : idle_) {
      EVP_MD_CTX_free(ctx);
    }
  }

  Expected<std::string, Error> mint(const TokenClaims& c) override {
    std::string payload;
    payload.reserve(256);
    payload += R"({"iss":)";
    append_json_string(payload, c.issuer);
    payload += R"(,"sub":)";
    append_json_string(payload, c.subject);
    payload += R"(,"aud":)";
    append_json_string(payload, c.audience);
    payload += R"(,"wimpu_block":)";
    append_json_string(payload, c.block);
    payload += R"(,"jti":)";
    append_json_string(payload, c.jwt_id);
    payload += R"(,"iat":)" + std::to_string(c.issued_at);
    payload += R"(,"nbf":)" + std::to_string(c.not_before);
    payload += R"(,"exp":)" + std::to_string(c.expires_at) + "}";
    std::string out;
    out.reserve(header_b64_.size() + payload.size() * 4 / 3 + 100);
    out = header_b64_;
    out += '.';
    out += b64url(payload);
    std::array<unsigned char, 64> sig{};
    std::size_t sig_len = sig.size();
    // A signing context initialised once and reused: EVP_DigestSignInit fetches the algorithm
    // from the provider each time, which costs as much as a good part of the signature itself.
    EVP_MD_CTX* ctx = acquire();
    const bool ok =
        ctx != nullptr &&
        EVP_DigestSign(ctx, sig.data(), &sig_len, reinterpret_cast<const unsigned char*>(out.data()),
                       out.size()) == 1;
    release(ctx);
    if (!ok) {
      ERR_clear_error();
      common::counter("wwsf.token.sign_failed").inc();
      return Error{"Ed25519 signing failed"};
    }
    out += '.';
    out += b64url(sig.data(), sig_len);
    return ok_string(std::move(out));
  }

  std::string jwks_json() const override { return jwks_; }

private:
  EVP_MD_CTX* acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        EVP_MD_CTX* ctx = idle_.back();
        idle_.pop_back();
        return ctx;
      }
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_.get()) != 1) {
      EVP_MD_CTX_free(ctx);
      return nullptr;
    }
    return ctx;
  }
  void release(EVP_MD_CTX* ctx) {
    if (ctx == nullptr) {
      return;
    }
    std::lock_guard lock(mutex_);
    idle_.push_back(ctx);
  }

  std::mutex mutex_;
  std::vector<EVP_MD_CTX*> idle_;  // One per thread that signed concurrently; reused.
  PkeyPtr key_;
  std::string kid_;
  std::string jwks_;
  std::string header_b64_;
};

}  // namespace

Expected<TokenMinterPtr, std::string> make_ed25519_minter(
    const std::string& key_file, const std::vector<std::string>& retired_key_files) {
  PkeyPtr key;
  if (key_file.empty()) {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (!key) {
      return std::string("Ed25519 key generation failed");
    }
  } else {
    auto loaded = load_key(key_file);
    if (!loaded) {
      return loaded.error();
    }
    key = std::move(*loaded);
  }
  std::vector<PublicJwk> published{public_jwk(key.get())};
  for (const auto& file : retired_key_files) {
    auto old = load_key(file);
    if (!old) {
      return old.error();
    }
    published.push_back(public_jwk(old->get()));
  }
  return TokenMinterPtr(std::make_shared<Ed25519Minter>(std::move(key), std::move(published)));
}

}  // namespace wimpu::wwsf
