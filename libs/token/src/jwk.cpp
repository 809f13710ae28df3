#include "wimpu/token/jwk.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <array>
#include <cstring>

#include <nlohmann/json.hpp>

#include "ossl.hpp"
#include "wimpu/token/base64url.hpp"

namespace wimpu::token {
namespace {

constexpr std::size_t kEd25519Size = 32;
constexpr std::size_t kP256PointSize = 65;  // 0x04 || x(32) || y(32), SEC 1 §2.3.3

Expected<ossl::PkeyPtr, KeyError> import_p256(std::span<const std::uint8_t> point) {
  std::array<std::uint8_t, kP256PointSize> buf{};
  std::memcpy(buf.data(), point.data(), buf.size());
  char group[] = "prime256v1";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, buf.data(), buf.size()),
      OSSL_PARAM_construct_end(),
  };
  ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) != 1) {
    ossl::clear_errors();
    return KeyError::kBadKey;
  }
  ossl::PkeyPtr pkey(raw);
  // SP 800-56A §5.6.2.3.3 partial public-key validation: on the curve, not the point at infinity.
  ossl::PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    ossl::clear_errors();
    return KeyError::kBadKey;
  }
  return pkey;
}

bool bn_param(const EVP_PKEY* pkey, const char* name, std::uint8_t* out32) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
    return false;
  }
  const bool ok = BN_bn2binpad(bn, out32, 32) == 32;
  BN_free(bn);
  return ok;
}

std::string_view b64(std::string& tmp, std::span<const std::uint8_t> bytes) {
  tmp.clear();
  base64url::encode_append(bytes, tmp);
  return tmp;
}

}  // namespace

std::string_view name(KeyError e) noexcept {
  switch (e) {
    case KeyError::kBadKey:
      return "bad_key";
    case KeyError::kUnsupportedKey:
      return "unsupported_key";
    case KeyError::kIo:
      return "io";
    case KeyError::kExists:
      return "exists";
    case KeyError::kCrypto:
      return "crypto";
  }
  return "unknown";
}

PublicKey::PublicKey(Algorithm alg, std::string kid, std::vector<std::uint8_t> raw,
                     evp_pkey_st* pkey)
    : alg_(alg), kid_(std::move(kid)), raw_(std::move(raw)), pkey_(pkey) {}

PublicKey::~PublicKey() { EVP_PKEY_free(pkey_); }

Expected<std::shared_ptr<const PublicKey>, KeyError> PublicKey::from_raw(
    Algorithm alg, std::string kid, std::span<const std::uint8_t> raw) {
  ossl::PkeyPtr pkey;
  switch (alg) {
    case Algorithm::kEdDSA:
      if (raw.size() != kEd25519Size) {
        return KeyError::kBadKey;
      }
      pkey.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()));
      if (!pkey) {
        ossl::clear_errors();
        return KeyError::kBadKey;
      }
      break;
    case Algorithm::kES256: {
      if (raw.size() != kP256PointSize || raw[0] != 0x04) {
        return KeyError::kBadKey;
      }
      auto r = import_p256(raw);
      if (!r) {
        return r.error();
      }
      pkey = std::move(*r);
      break;
    }
  }
  if (kid.empty()) {
    kid = jwk_thumbprint(alg, raw);
  }
  std::vector<std::uint8_t> bytes(raw.begin(), raw.end());
  return std::shared_ptr<const PublicKey>(
      new PublicKey(alg, std::move(kid), std::move(bytes), pkey.release()));
}

Expected<std::shared_ptr<const PublicKey>, KeyError> PublicKey::from_native(evp_pkey_st* pkey,
                                                                            std::string kid) {
  if (pkey == nullptr) {
    return KeyError::kBadKey;
  }
  if (EVP_PKEY_is_a(pkey, "ED25519")) {
    std::array<std::uint8_t, kEd25519Size> raw{};
    std::size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(pkey, raw.data(), &len) != 1 || len != raw.size()) {
      ossl::clear_errors();
      return KeyError::kBadKey;
    }
    return from_raw(Algorithm::kEdDSA, std::move(kid), raw);
  }
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {};
    std::size_t glen = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &glen) != 1 ||
        std::string_view(group, glen) != "prime256v1") {
      ossl::clear_errors();
      return KeyError::kUnsupportedKey;
    }
    std::array<std::uint8_t, kP256PointSize> point{};
    point[0] = 0x04;
    if (!bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, point.data() + 1) ||
        !bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, point.data() + 33)) {
      ossl::clear_errors();
      return KeyError::kBadKey;
    }
    return from_raw(Algorithm::kES256, std::move(kid), point);
  }
  return KeyError::kUnsupportedKey;
}

bool PublicKey::same_key(const PublicKey& other) const noexcept {
  return alg_ == other.alg_ && raw_ == other.raw_;
}

std::string PublicKey::to_jwk_json() const {
  std::string tmp;
  nlohmann::json j;
  const auto raw = this->raw();
  if (alg_ == Algorithm::kEdDSA) {
    j["kty"] = "OKP";
    j["crv"] = "Ed25519";
    j["x"] = b64(tmp, raw);
  } else {
    j["kty"] = "EC";
    j["crv"] = "P-256";
    j["x"] = b64(tmp, raw.subspan(1, 32));
    j["y"] = b64(tmp, raw.subspan(33, 32));
  }
  j["kid"] = kid_;
  j["alg"] = jose_name(alg_);
  j["use"] = "sig";
  return j.dump();
}

std::string PublicKey::thumbprint() const { return jwk_thumbprint(alg_, raw_); }

std::string jwk_thumbprint(Algorithm alg, std::span<const std::uint8_t> raw) {
  // RFC 7638 §3.2: the required members only, lexicographic order, no whitespace. The values are
  // base64url, so no JSON escaping is ever needed.
  std::string canon;
  if (alg == Algorithm::kEdDSA) {
    canon = R"({"crv":"Ed25519","kty":"OKP","x":")" + base64url::encode(raw) + R"("})";
  } else {
    if (raw.size() != kP256PointSize) {
      return {};
    }
    canon = R"({"crv":"P-256","kty":"EC","x":")" + base64url::encode(raw.subspan(1, 32)) +
            R"(","y":")" + base64url::encode(raw.subspan(33, 32)) + R"("})";
  }
  std::array<std::uint8_t, 32> digest{};
  unsigned int len = 0;
  if (EVP_Digest(canon.data(), canon.size(), digest.data(), &len, ossl::sha256(), nullptr) != 1) {
    ossl::clear_errors();
    return {};
  }
  return base64url::encode(digest);
}

}  // namespace wimpu::token
