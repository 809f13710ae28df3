#pragma once
// The claims of a wimpu identity assertion (requirements T-10; RFC 7519 §4.1 registered claims
// plus the wIMPU block). Produced by the Verifier after every check passed; immutable and shared.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wimpu::token {

/// Default name of the claim carrying the wIMPU block (domain) a token is valid for.
inline constexpr std::string_view kDefaultBlockClaim = "wimpu_block";

/// A verified token's claims. Times are NumericDate (RFC 7519 §2): seconds since the Unix epoch,
/// fractional values floored.
struct Claims {
  std::string issuer;                 ///< iss: the trusted WWSF that signed it
  std::string subject;                ///< sub: the web identity (the IMPU allocation key)
  std::vector<std::string> audience;  ///< aud: a string or an array of strings on the wire
  std::string jwt_id;                 ///< jti: unique per token (replay bookkeeping by the caller)
  std::string block;                  ///< the wIMPU block (domain) claim
  std::string scope;                  ///< scope (RFC 8693 §4.2 syntax); empty when absent
  std::string key_id;                 ///< kid of the key that verified it (from the header)
  std::int64_t expires_at = 0;        ///< exp
  std::int64_t issued_at = 0;         ///< iat
  std::optional<std::int64_t> not_before;  ///< nbf, when present
};

}  // namespace wimpu::token
