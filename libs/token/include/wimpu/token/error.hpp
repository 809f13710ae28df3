#pragma once
// The closed set of reasons a token is refused. The eP-CSCF answers every one of them with 401 and
// `WWW-Authenticate: Bearer ... error="invalid_token"` (RFC 8898 §2.2, RFC 6750 §3.1), except
// kWrongScope which maps to "invalid_scope", and logs the reason's short name. Each reason has its
// own counter "token.verify.fail.<name>".
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/assert/source_location.hpp>

namespace wimpu::common {
class Counter;
}

namespace wimpu::token {

/// Why a token failed verification. Values are stable (they index counters and metrics).
enum class TokenError : std::uint8_t {
  kMalformed,            ///< not three base64url segments, bad base64url, bad JSON, wrong JSON types
  kTooLarge,             ///< longer than the configured cap (checked before any decoding)
  kUnsupportedCrit,      ///< a `crit` header parameter (RFC 7515 §4.1.11): we understand no extension
  kAlgorithmNotAllowed,  ///< header `alg` is not the algorithm pinned for the issuer (incl. none/HS*)
  kUnknownIssuer,        ///< `iss` is not a configured trusted WWSF (R-06)
  kUnknownKid,           ///< no key with the header's `kid` in the issuer's key set (or no `kid`)
  kBadSignature,         ///< the signature does not verify with the selected key
  kMissingClaim,         ///< a required claim (iss sub aud exp iat jti block) is absent or empty
  kExpired,              ///< now >= exp + skew (RFC 7519 §4.1.4)
  kNotYetValid,          ///< now < nbf - skew (RFC 7519 §4.1.5)
  kIssuedInFuture,       ///< iat > now + skew (RFC 7519 §4.1.6; a clock or forgery problem)
  kLifetimeTooLong,      ///< exp - iat exceeds the configured maximum lifetime
  kWrongAudience,        ///< `aud` does not contain this eP-CSCF's audience (RFC 7519 §4.1.3)
  kWrongBlock,           ///< the wIMPU block claim is not the block the caller serves
  kWrongScope,           ///< `scope` lacks the configured required scope (RFC 8898 §4 invalid_scope)
};

/// Number of TokenError values.
inline constexpr std::size_t kTokenErrorCount = 15;

/// Stable short name for logs and metrics, e.g. "bad_signature". Thread-safe.
std::string_view name(TokenError e) noexcept;

/// The RFC 6750 §3.1 / RFC 8898 §4 `error` value for a 401 challenge: "invalid_token" for every
/// reason except kWrongScope ("invalid_scope"). Thread-safe.
std::string_view bearer_error(TokenError e) noexcept;

/// The counter "token.verify.fail.<name>". The reference is stable for the process lifetime.
/// Thread-safe; the first call for each reason registers all of them.
common::Counter& failure_counter(TokenError e) noexcept;

/// Boost.System hook: lets Expected<T, TokenError>::value() throw (tests only; the data plane
/// checks has_value() and never calls value() on an error).
[[noreturn]] void throw_exception_from_error(TokenError e, const boost::source_location& loc);

}  // namespace wimpu::token
