#pragma once
// A public verification key as published in a JWK (RFC 7517): Ed25519 as an OKP key (RFC 8037 §2,
// member `x`) or P-256 as an EC key (RFC 7518 §6.2, members `x`, `y`). The key is bound to one
// algorithm at construction, never by a token.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wimpu/common/expected.hpp"
#include "wimpu/token/algorithm.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace wimpu::token {

/// Why a key could not be built, loaded, generated or written.
enum class KeyError : std::uint8_t {
  kBadKey,          ///< bytes/PEM that do not decode to a valid key (e.g. a point not on P-256)
  kUnsupportedKey,  ///< a valid key of a type we do not sign/verify with (RSA, P-384, X25519 ...)
  kIo,              ///< the key file could not be read or written
  kExists,          ///< refusing to overwrite an existing key file
  kCrypto,          ///< OpenSSL failed (allocation, RNG); details in the log
};

/// Stable short name of a KeyError for logs. Thread-safe.
std::string_view name(KeyError e) noexcept;

/// An immutable public key with its `kid`. Safe to share between threads (OpenSSL 3 EVP_PKEY is
/// reference-counted and read-only once built); held through PublicKeyPtr.
class PublicKey {
public:
  /// Builds a key from its raw public form: 32 bytes for Ed25519, or the 65-byte uncompressed
  /// point 0x04||x||y for P-256 (checked to lie on the curve). `kid` may be empty, in which case
  /// the RFC 7638 thumbprint is used. Thread-safe.
  static Expected<std::shared_ptr<const PublicKey>, KeyError> from_raw(
      Algorithm alg, std::string kid, std::span<const std::uint8_t> raw);

  /// Copies the public half of `pkey` (an Ed25519 or P-256 key, public or private; `pkey` is not
  /// retained, and no private material is ever kept). kUnsupportedKey for other key types.
  static Expected<std::shared_ptr<const PublicKey>, KeyError> from_native(evp_pkey_st* pkey,
                                                                          std::string kid);

  ~PublicKey();
  PublicKey(const PublicKey&) = delete;
  PublicKey& operator=(const PublicKey&) = delete;

  /// The key id (JWK `kid`, JWS header `kid`).
  const std::string& kid() const noexcept { return kid_; }
  /// The one algorithm this key verifies.
  Algorithm algorithm() const noexcept { return alg_; }
  /// Raw public key: 32 bytes (Ed25519) or 65 bytes 0x04||x||y (P-256).
  std::span<const std::uint8_t> raw() const noexcept { return raw_; }
  /// The OpenSSL key; owned by this object, valid for its lifetime. Use read-only.
  evp_pkey_st* native() const noexcept { return pkey_; }
  /// True when both keys have the same algorithm and public key bytes (the kid is not compared).
  bool same_key(const PublicKey& other) const noexcept;

  /// The JWK JSON object: kty, crv, x[, y], kid, alg, use="sig". Thread-safe.
  std::string to_jwk_json() const;
  /// RFC 7638 JWK thumbprint (SHA-256, base64url) of the required members. Thread-safe.
  std::string thumbprint() const;

private:
  PublicKey(Algorithm alg, std::string kid, std::vector<std::uint8_t> raw, evp_pkey_st* pkey);

  Algorithm alg_;
  std::string kid_;
  std::vector<std::uint8_t> raw_;
  evp_pkey_st* pkey_;  // owned
};

/// Shared handle to an immutable public key.
using PublicKeyPtr = std::shared_ptr<const PublicKey>;

/// RFC 7638 thumbprint of a raw public key (see PublicKey::raw()). Thread-safe.
std::string jwk_thumbprint(Algorithm alg, std::span<const std::uint8_t> raw);

}  // namespace wimpu::token
