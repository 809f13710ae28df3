#pragma once
// SIP Digest for the S-CSCF (RFC 2617 §3.2, RFC 3261 §22.4, TS 24.229 §5.4.1.2 with TS 33.203
// Annex N "SIP Digest"): the response check with qop=auth, and the nonces the S-CSCF issued with
// the HA1 the HSS gave for them (MAR/MAA), their expiry and nonce-count replay protection.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "wimpu/common/clock.hpp"

namespace wimpu::s_cscf {

/// Lowercase hex MD5 of `text`.
std::string md5_hex(std::string_view text);

/// The Digest credentials of an Authorization header value (RFC 2617 §3.2.2), unquoted.
struct DigestCredentials {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;
  std::string qop;
  std::string nc;      ///< 8 hex digits
  std::string cnonce;
  std::string algorithm;
  std::string integrity_protected;  ///< TS 24.229 §7.2A.1: "auth-done" from a trusted node
};

/// Reads the Digest params from an AuthValue's raw parameter text (sip::AuthValue::params).
/// Unknown params are ignored; a missing one stays empty.
DigestCredentials parse_digest_params(std::string_view params);

/// request-digest for qop=auth (RFC 2617 §3.2.2.1): MD5(HA1:nonce:nc:cnonce:qop:MD5(method:uri)).
std::string digest_response(std::string_view ha1, std::string_view nonce, std::string_view nc,
                            std::string_view cnonce, std::string_view qop,
                            std::string_view method, std::string_view uri);

/// Outcome of checking credentials against the nonce table.
enum class DigestCheck : std::uint8_t {
  kOk,            ///< right response, fresh nonce, nonce-count never seen
  kUnknownNonce,  ///< not a nonce we issued (or forgotten): challenge again
  kStale,         ///< right response but the nonce expired: 401 stale=true (RFC 2617 §3.2.1)
  kReplay,        ///< nonce-count not above the last one accepted (RFC 2617 §3.2.2: replay)
  kWrongUser,     ///< username/realm not the ones the nonce was issued for
  kBadResponse,   ///< wrong password (or a malformed/absent qop, nc, cnonce)
};

/// The nonces issued with the HSS data they were issued for. Thread-safe (one short mutex): a
/// REGISTER and its answer to the challenge may land on different shards (a new TCP connection).
class NonceTable {
public:
  /// What a nonce was issued for (from the MAA).
  struct Issued {
    std::string impi;
    std::string impu;
    std::string realm;
    std::string ha1;
  };

  /// `clock` (not null) dates the nonces; each is valid for `ttl` after issue().
  NonceTable(common::ClockPtr clock, std::chrono::seconds ttl);

  /// A new random nonce (128 bits, hex) for `issued`, valid for the ttl.
  std::string issue(Issued issued);
  /// A new nonce for the data of `old_nonce` (after kStale); nullopt when it is unknown.
  std::optional<std::string> reissue(std::string_view old_nonce);
  /// Checks `creds` of a `method` request; on kOk records the nonce-count; on kOk, kStale and
  /// kReplay returns the nonce's data in `out` (may be null).
  DigestCheck check(const DigestCredentials& creds, std::string_view method, Issued* out);
  /// Forgets nonces expired for more than the ttl (called by the expiry sweep).
  std::size_t purge();
  /// Number of nonces held (tests, metrics).
  std::size_t size() const;

private:
  struct Entry {
    Issued issued;
    common::TimePoint expires;
    std::uint64_t last_nc = 0;
  };
  common::ClockPtr clock_;
  std::chrono::seconds ttl_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace wimpu::s_cscf
