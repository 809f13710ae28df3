#pragma once
// Test-side JWT decoding and Ed25519 signature checking against a JWKS document, written
// independently of the code under test.
#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace wimpu::wwsf::testing {

inline std::optional<std::string> b64url_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

struct DecodedJwt {
  nlohmann::json header;
  nlohmann::json payload;
  std::string signing_input;
  std::string signature;
};

inline std::optional<DecodedJwt> decode_jwt(const std::string& jwt) {
  const auto d1 = jwt.find('.');
  const auto d2 = jwt.find('.', d1 + 1);
  if (d1 == std::string::npos || d2 == std::string::npos) {
    return std::nullopt;
  }
  auto h = b64url_decode(std::string_view(jwt).substr(0, d1));
  auto p = b64url_decode(std::string_view(jwt).substr(d1 + 1, d2 - d1 - 1));
  auto s = b64url_decode(std::string_view(jwt).substr(d2 + 1));
  if (!h || !p || !s) {
    return std::nullopt;
  }
  return DecodedJwt{nlohmann::json::parse(*h), nlohmann::json::parse(*p), jwt.substr(0, d2), *s};
}

/// True when the JWT's EdDSA signature verifies with the JWKS key named by its kid.
inline bool verify_with_jwks(const DecodedJwt& jwt, const nlohmann::json& jwks) {
  for (const auto& k : jwks["keys"]) {
    if (k["kid"] != jwt.header["kid"] || k["kty"] != "OKP" || k["crv"] != "Ed25519") {
      continue;
    }
    const auto raw = b64url_decode(k["x"].get<std::string>());
    if (!raw || raw->size() != 32) {
      return false;
    }
    EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw->data()), 32);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok =
        EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
        EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(jwt.signature.data()),
                         jwt.signature.size(),
                         reinterpret_cast<const unsigned char*>(jwt.signing_input.data()),
                         jwt.signing_input.size()) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return ok;
  }
  return false;
}

}  // namespace wimpu::wwsf::testing
