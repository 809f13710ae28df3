#pragma once
// The WWSF's seam to the token library: it decides the claims, a TokenMinter signs them and
// publishes the public keys. The production minter wraps wimpu::token's issuer; tests may use any.
#include <cstdint>
#include <memory>
#include <string>

#include "wimpu/common/expected.hpp"
#include "wimpu/wwsf/error.hpp"

namespace wimpu::wwsf {

/// The claims of one identity assertion (requirements T-10, R-03): RFC 7519 §4.1 registered
/// claims plus the wIMPU block. Times are NumericDate (seconds since the Unix epoch).
struct TokenClaims {
  std::string issuer;    ///< iss: this WWSF's issuer id
  std::string subject;   ///< sub: the web identity (user name)
  std::string audience;  ///< aud: the eP-CSCF realm
  std::string block;     ///< the wIMPU block (domain) the token is valid for
  std::string jwt_id;    ///< jti: 128 random bits
  std::int64_t issued_at = 0;   ///< iat
  std::int64_t not_before = 0;  ///< nbf
  std::int64_t expires_at = 0;  ///< exp
};

/// Signs claims into a compact JWS and publishes the verification keys.
class TokenMinter {
public:
  virtual ~TokenMinter() = default;
  /// Returns the compact JWS (header.payload.signature) for `claims`, or why signing failed.
  /// Thread-safe: called concurrently from the WWSF's I/O threads.
  virtual Expected<std::string, Error> mint(const TokenClaims& claims) = 0;
  /// The JWKS document (RFC 7517 §5) with every key a verifier may still meet: the current
  /// signing key and any retired keys kept for rotation. Thread-safe.
  virtual std::string jwks_json() const = 0;
};

using TokenMinterPtr = std::shared_ptr<TokenMinter>;

}  // namespace wimpu::wwsf
