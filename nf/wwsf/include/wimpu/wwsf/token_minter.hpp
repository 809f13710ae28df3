#pragma once
// The WWSF's seam to the token library: the WWSF says who (sub) and for which wIMPU block; a
// TokenMinter adds iss, aud, iat/nbf/exp and jti (requirements T-10), signs, and publishes the
// public keys. Its shape follows wimpu::token::TokenIssuer::issue(subject, block).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "wimpu/common/expected.hpp"
#include "wimpu/wwsf/error.hpp"

namespace wimpu::wwsf {

/// A signed identity assertion and when it expires.
struct MintedToken {
  std::string token;           ///< compact JWS (header.payload.signature)
  std::int64_t expires_at = 0;  ///< its exp (NumericDate); never later than the real exp
};

/// Signs identity assertions and publishes the verification keys.
class TokenMinter {
public:
  virtual ~TokenMinter() = default;
  /// A fresh token for web identity `subject` valid for wIMPU block `block`. Thread-safe: called
  /// concurrently from the WWSF's I/O threads.
  virtual Expected<MintedToken, Error> mint(std::string_view subject, std::string_view block) = 0;
  /// The JWKS document (RFC 7517 §5) with every key a verifier may still meet: the current
  /// signing key and any retired keys kept for rotation. Thread-safe.
  virtual std::string jwks_json() const = 0;
};

using TokenMinterPtr = std::shared_ptr<TokenMinter>;

}  // namespace wimpu::wwsf
