#pragma once
// SIP digest authentication as a UAC (RFC 3261 §22.4, RFC 2617 §3.2.2; SHA-256 per RFC 8760) with
// Kamailio auth_ephemeral credentials: the web application hands out username "<expiry>:<user>"
// and password base64(HMAC-SHA1(shared secret, username)), and the SIP server recomputes the
// password from the same secret (draft-uberti-behave-turn-rest-00 §2.2, the scheme Kamailio's
// auth_ephemeral module implements). The load tool uses it for the Kamailio reference runs.
#include <cstdint>
#include <string>
#include <string_view>

#include "wimpu/common/expected.hpp"
#include "wimpu/loadgen/error.hpp"
#include "wimpu/sip/header_values.hpp"

namespace wimpu::loadgen {

/// The parameters of one Digest challenge (WWW-Authenticate / Proxy-Authenticate), unquoted.
struct DigestChallenge {
  std::string realm;
  std::string nonce;
  std::string opaque;      ///< empty when absent
  std::string algorithm;   ///< "MD5" (the default when absent), "SHA-256", "MD5-sess"...
  bool qop_auth = false;   ///< the challenge offers qop "auth" (RFC 2617 §3.2.1)
  bool stale = false;
};

/// Extracts a Digest challenge from a parsed challenge value. Errors: scheme is not Digest,
/// realm or nonce missing, an algorithm this tool does not do (only MD5 and SHA-256), or qop
/// offered without "auth" (auth-int needs the body hash; never used for REGISTER here).
Expected<DigestChallenge, Error> parse_digest_challenge(const sip::AuthValue& value);

/// auth_ephemeral username: "<expiry>:<user>" with expiry in Unix seconds.
std::string ephemeral_username(std::int64_t expiry_unix_seconds, std::string_view user);

/// auth_ephemeral password: standard base64 (with padding) of HMAC-SHA1(secret, username).
std::string ephemeral_password(std::string_view secret, std::string_view username);

/// Lower-case hex of the digest `algorithm` ("MD5" or "SHA-256") over `data`.
std::string digest_hex(std::string_view algorithm, std::string_view data);

/// The request-digest (RFC 2617 §3.2.2.1): with qop=auth
///   H(H(user:realm:pass) : nonce : nc : cnonce : auth : H(method:uri)),
/// without qop (RFC 2069 compatibility) H(H(A1) : nonce : H(A2)). `nc` is 8 hex digits.
std::string digest_response(std::string_view algorithm, std::string_view username,
                            std::string_view realm, std::string_view password,
                            std::string_view method, std::string_view uri, std::string_view nonce,
                            std::string_view nc, std::string_view cnonce, bool qop_auth);

/// One UAC's digest credentials and nonce state (for the nonce-count of reused nonces).
struct DigestCredentials {
  std::string username;
  std::string password;
  std::string cnonce;       ///< client nonce, fixed per UA
  std::uint32_t nc = 0;     ///< nonce-count of the last use of the current nonce
};

/// Writes the Authorization header value answering `challenge` for `method` `uri` into `out`
/// (cleared first), incrementing creds.nc: Digest username, realm, nonce, uri, response,
/// algorithm, and with qop: qop=auth, nc, cnonce; opaque echoed when present (RFC 2617 §3.2.2).
void build_digest_authorization(DigestCredentials& creds, const DigestChallenge& challenge,
                                std::string_view method, std::string_view uri, std::string& out);

}  // namespace wimpu::loadgen
