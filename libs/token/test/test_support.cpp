#include "test_support.hpp"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/post.hpp>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "wimpu/token/base64url.hpp"

namespace wimpu::token::test {

std::string forge(const SigningKey& key, std::string_view header_json,
                  std::string_view payload_json) {
  const std::string input = base64url::encode(header_json) + "." + base64url::encode(payload_json);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ed = key.algorithm() == Algorithm::kEdDSA;
  if (EVP_DigestSignInit(ctx, nullptr, ed ? nullptr : EVP_sha256(), nullptr, key.native()) != 1) {
    throw std::runtime_error("forge: init");
  }
  std::vector<unsigned char> sig(128);
  std::size_t len = sig.size();
  if (EVP_DigestSign(ctx, sig.data(), &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    throw std::runtime_error("forge: sign");
  }
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  if (!ed) {
    const unsigned char* p = sig.data();
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::vector<unsigned char> jose(64);
    BN_bn2binpad(ECDSA_SIG_get0_r(es), jose.data(), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), jose.data() + 32, 32);
    ECDSA_SIG_free(es);
    sig = jose;
  }
  return input + "." + base64url::encode(sig);
}

std::string forge_claims(const SigningKey& key, const nlohmann::json& claims) {
  nlohmann::json header = {
      {"alg", std::string(jose_name(key.algorithm()))}, {"kid", key.kid()}, {"typ", "JWT"}};
  return forge(key, header.dump(), claims.dump());
}

std::string forge_hs256(std::string_view secret, std::string_view header_json,
                        std::string_view payload_json) {
  const std::string input = base64url::encode(header_json) + "." + base64url::encode(payload_json);
  std::array<unsigned char, 32> mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac.data(), &len);
  return input + "." + base64url::encode(mac);
}

nlohmann::json good_claims(std::int64_t now) {
  return {{"iss", kIssuer}, {"sub", "alice@web.example"}, {"aud", kAudience},
          {"exp", now + 300}, {"nbf", now},                {"iat", now},
          {"jti", "jti-1"},   {"wimpu_block", kBlock}};
}

std::int64_t wall_seconds(const common::Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.wall_now().time_since_epoch())
      .count();
}

void FakeFetcher::async_fetch(Callback done) {
  ++fetches;
  FetchResult r = fail ? FetchResult(make_error_code(FetchErrc::kHttpStatus)) : FetchResult(document);
  boost::asio::post(ex_, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
}

bool run_until(boost::asio::io_context& io, const std::function<bool()>& done) {
  io.restart();
  while (!done()) {
    if (io.run_one() == 0) {
      break;
    }
  }
  return done();
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "wimpu-token-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  dir_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace wimpu::token::test
