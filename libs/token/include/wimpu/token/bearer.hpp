#pragma once
// The SIP side of bearer tokens (requirements T-01..T-03): reading the token out of an
// `Authorization: Bearer ...` value and writing/reading the `WWW-Authenticate: Bearer ...`
// challenge (RFC 8898 §2.1.3, §2.2, §4 Figure 3; RFC 6750 §2.1, §3). No SIP message model here:
// these work on a header field's value, so libs/sip and the eP-CSCF can call them directly.
#include <cstdint>
#include <string>
#include <string_view>

#include "wimpu/common/expected.hpp"

namespace wimpu::token {

/// Why an Authorization value yielded no bearer token.
enum class BearerError : std::uint8_t {
  kNotBearer,  ///< another scheme (Digest ...): not ours to judge, challenge with Bearer
  kMalformed,  ///< "Bearer" but no well-formed token
};

/// Stable short name of a BearerError. Thread-safe.
std::string_view name(BearerError e) noexcept;

/// Returns the token of an Authorization/Proxy-Authorization value (leading/trailing whitespace
/// allowed). Accepts RFC 6750 §2.1 `Bearer <token68>` and the TS 24.371 Annex A.3.2 form
/// `Bearer access_token="<token>"` (among other auth-params). The scheme is case-insensitive
/// (RFC 7235 §2.1). The view points into `value`. Pure function; thread-safe.
Expected<std::string_view, BearerError> bearer_token(std::string_view value);

/// A Bearer challenge (RFC 8898 §4). Empty members are omitted when formatting.
struct BearerChallenge {
  std::string realm;         ///< realm (always sent by the eP-CSCF)
  std::string authz_server;  ///< https URI of the authorization server (the WWSF), RFC 8898 §2.2
  std::string scope;         ///< minimum scope needed, space-delimited
  std::string error;         ///< "invalid_token" / "invalid_scope" (see bearer_error())
};

/// Formats the WWW-Authenticate/Proxy-Authenticate value:
/// `Bearer realm="r", authz_server="https://...", scope="s", error="invalid_token"`.
/// Quotes and backslashes in values are escaped (RFC 3261 §25.1 quoted-pair). Thread-safe.
std::string format_challenge(const BearerChallenge& c);

/// Parses a Bearer challenge value (what a WIC or a test receives). Unknown auth-params are
/// skipped. kNotBearer for another scheme, kMalformed for bad syntax. Thread-safe.
Expected<BearerChallenge, BearerError> parse_challenge(std::string_view value);

}  // namespace wimpu::token
