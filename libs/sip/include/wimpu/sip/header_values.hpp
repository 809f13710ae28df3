#pragma once
// Typed accessors for headers that are NOT parsed at ingress: each call parses the header's text
// on request and returns an Expected (never throws, never caches: no lazy-parse state inside the
// Message). All returned views point into the Message (valid as long as it is). Thread-safe for
// concurrent readers of the same Message. Allocations only where a std::vector is returned.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wimpu/sip/message.hpp"
#include "wimpu/sip/name_addr.hpp"
#include "wimpu/sip/params.hpp"
#include "wimpu/sip/parse_error.hpp"

namespace wimpu::sip {

// ---- name-addr lists: Path (RFC 3327), Service-Route (RFC 3608), P-Associated-URI (RFC 7315
// §4.1), P-Asserted-Identity / P-Preferred-Identity (RFC 3325 §9), P-Called-Party-ID (RFC 7315
// §4.2), and also Route/Record-Route/Contact/From/To for uniformity ----

/// Every value of every `id` line, in order. Errors carry the header's canonical name.
ParseResult<std::vector<NameAddr>> name_addr_values(const Message& msg, HeaderId id);

/// First value of header `id` (e.g. the default IMPU in P-Associated-URI, TS 24.229), or nullopt
/// when the header is absent.
ParseResult<std::optional<NameAddr>> first_name_addr(const Message& msg, HeaderId id);

// ---- option tags: Require, Supported, Proxy-Require, Unsupported (RFC 3261 §20.32, §20.37) ----

/// All option tags of all `id` lines, in order (tokens; empty Supported is legal and gives none).
ParseResult<std::vector<std::string_view>> option_tags(const Message& msg, HeaderId id);
/// True when `tag` (case-insensitive, RFC 3261 §19.2) appears in a `id` line. A malformed line is
/// an error. No allocation.
ParseResult<bool> has_option_tag(const Message& msg, HeaderId id, std::string_view tag);

// ---- delta-seconds: Expires (§20.19), Min-Expires (§20.23), Flow-Timer (RFC 5626 §11.6) ----

/// Value of the first `id` line, nullopt when absent. Values above 2^32-1 are clamped to
/// 2^32-1 (RFC 3261 §20.19: treat large values as the maximum; RFC 4475 §3.1.2.4).
ParseResult<std::optional<std::uint32_t>> delta_seconds(const Message& msg, HeaderId id);

// ---- Contact parameters (RFC 3261 §20.10, RFC 5626 §4.1, RFC 5627) ----

/// "expires" contact param, clamped to 2^32-1; nullopt when absent or not digits.
std::optional<std::uint32_t> contact_expires(const NameAddr& contact) noexcept;
/// "q" as thousandths (q=0.5 -> 500); nullopt when absent or not a qvalue (§25.1).
std::optional<std::uint16_t> contact_q(const NameAddr& contact) noexcept;
/// "+sip.instance" value without its quotes ("<urn:uuid:...>"); empty when absent.
std::string_view contact_instance(const NameAddr& contact) noexcept;
/// "reg-id" (RFC 5626 §4.1); nullopt when absent or not digits.
std::optional<std::uint32_t> contact_reg_id(const NameAddr& contact) noexcept;

/// The Contact parameters a registrar reads (RFC 3261 §10.3 step 7, RFC 5626 §6), each exactly
/// as the function of the same name returns it (the first occurrence counts), in one walk of the
/// parameter list instead of one walk each.
struct ContactParams {
  std::optional<std::uint32_t> expires;  ///< contact_expires()
  std::string_view instance;             ///< contact_instance(): a view into the contact's text
  std::optional<std::uint32_t> reg_id;   ///< contact_reg_id()
};
/// contact_expires(), contact_instance() and contact_reg_id() of `contact` at once. The views
/// point into the text `contact` was parsed from. When `other_params` is given, every parameter
/// except `expires` (any case, every occurrence) is appended to it as `;name` or `;name=value`,
/// values as received (a registrar stores them and writes its own expires, RFC 3261 §10.3 step 8).
/// Thread-safe (no state).
ContactParams contact_params(const NameAddr& contact, std::string* other_params = nullptr);

// ---- Authorization / Proxy-Authorization / WWW-Authenticate / Proxy-Authenticate ----

/// One credentials or challenge value (RFC 3261 §25.1, RFC 7235 §2.1, RFC 8898 §2.3).
struct AuthValue {
  std::string_view scheme;   ///< "Digest", "Bearer", ... as received
  std::string_view token68;  ///< "Bearer <token>" form: the token; empty for the param form
  std::string_view params;   ///< raw "a=b, c="d"" auth-param list (empty in token68 form)

  /// Raw value of auth-param `name` (case-insensitive); quoted values keep their quotes; empty
  /// when absent.
  std::string_view param(std::string_view name) const noexcept;
  /// For scheme Bearer: the token from "Bearer <token>" (RFC 8898 §2.3) or from
  /// "Bearer access_token="<token>"" (TS 24.371); empty otherwise.
  std::string_view bearer_token() const noexcept;
};

/// Parses one credentials/challenge value.
ParseResult<AuthValue> parse_auth_value(std::string_view text) noexcept;
/// Every `id` line parsed (each line is one value: credentials are not comma-listed).
ParseResult<std::vector<AuthValue>> auth_values(const Message& msg, HeaderId id);
/// The first Bearer token of the Authorization lines (either form), nullopt when none. No
/// allocation.
ParseResult<std::optional<std::string_view>> bearer_token(const Message& msg);

// ---- Reason (RFC 3326) ----

struct ReasonValue {
  std::string_view protocol;           ///< "SIP", "Q.850"
  std::optional<std::uint16_t> cause;  ///< cause param
  std::string_view text;               ///< text param as received (quoted)
  ParamList params;
};
/// Every value of every Reason line.
ParseResult<std::vector<ReasonValue>> reason_values(const Message& msg);

// ---- Retry-After (RFC 3261 §20.33) ----

struct RetryAfter {
  std::uint32_t seconds = 0;              ///< clamped to 2^32-1
  std::string_view comment;               ///< "(...)" as received, empty when none
  std::optional<std::uint32_t> duration;  ///< duration param
  ParamList params;
};
/// Retry-After, nullopt when absent.
ParseResult<std::optional<RetryAfter>> retry_after(const Message& msg);

// ---- Content-Type (RFC 3261 §20.15) ----

struct MediaType {
  std::string_view type;     ///< "application"
  std::string_view subtype;  ///< "sdp"
  ParamList params;
};
/// Content-Type, nullopt when absent.
ParseResult<std::optional<MediaType>> content_type(const Message& msg);

// ---- Text-valued headers kept as received ----

/// User-Agent value (RFC 3261 §20.41), empty when absent.
inline std::string_view user_agent(const Message& msg) {
  return msg.header_value(HeaderId::kUserAgent);
}

}  // namespace wimpu::sip
