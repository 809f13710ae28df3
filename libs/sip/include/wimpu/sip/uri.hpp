#pragma once
// URIs as SIP carries them: sip/sips (RFC 3261 §19.1), tel (RFC 3966) and any other absoluteURI
// kept opaque (RFC 3261 §25.1, RFC 4475 §3.3.2). A Uri is a set of views into text that the caller
// owns (usually a Message's buffer); it never allocates and never copies.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wimpu/sip/params.hpp"
#include "wimpu/sip/parse_error.hpp"

namespace wimpu::sip {

enum class UriScheme : std::uint8_t { kSip, kSips, kTel, kOther };

/// Kind of host in a sip/sips URI or a Via sent-by.
enum class HostType : std::uint8_t {
  kNone,    ///< no host (tel URI, opaque URI)
  kDomain,  ///< hostname (RFC 3261 §25.1), e.g. "abc123.invalid"
  kIPv4,    ///< dotted quad
  kIPv6,    ///< IPv6reference "[...]" (RFC 5118 §4.1); Uri::host keeps the brackets
};

/// A parsed URI: non-owning views into the parsed text. Fields stay empty when absent. All views
/// keep %-escapes as received (RFC 3261 §19.1.2); compare with uri_equal(), decode with
/// unescape(). Trivially copyable; thread-safe to read; valid while the viewed text lives.
struct Uri {
  std::string_view text;         ///< the whole URI as received
  UriScheme scheme = UriScheme::kOther;
  std::string_view scheme_text;  ///< as received ("sip", "SIP", "tel", "urn", ...)
  /// sip/sips: userinfo user part (may be empty). tel: the telephone-subscriber number up to the
  /// first ';' ("+1-555-0100"). other: empty.
  std::string_view user;
  std::string_view password;     ///< sip/sips only
  bool has_password = false;
  std::string_view host;         ///< sip/sips: host; IPv6 keeps its brackets ("[2001:db8::1]")
  HostType host_type = HostType::kNone;
  std::optional<std::uint16_t> port;  ///< sip/sips explicit port
  ParamList params;              ///< sip/sips/tel ";name=value" parameters (Kind::kUri)
  std::string_view headers;      ///< sip/sips "?h=v&h2=v2" headers without the '?'
  std::string_view opaque;       ///< other schemes: everything after "scheme:"

  bool is_sip() const { return scheme == UriScheme::kSip || scheme == UriScheme::kSips; }
  /// Value of URI parameter `name` (case-insensitive name), empty when absent or valueless.
  std::string_view param(std::string_view name) const { return params.value(name); }
  bool has_param(std::string_view name) const { return params.has(name); }
  /// The "lr" parameter is present: a loose-routing proxy (RFC 3261 §16.4, §19.1.1).
  bool lr() const { return has_param("lr"); }
  /// The "transport" parameter ("udp", "tcp", "tls", "sctp", "ws" per RFC 7118 §5.2), empty if none.
  std::string_view transport() const { return param("transport"); }
  /// host ends with ".invalid" (RFC 2606), as WebSocket clients use (RFC 7118 §5.4). A trailing
  /// dot and letter case are ignored.
  bool is_invalid_host() const;
  /// "host[:port]" as received (a view of the URI text), empty for tel/opaque URIs.
  std::string_view host_port() const;
};

/// Parses `text` as a whole URI (sip, sips, tel or any absoluteURI). The entire text must be
/// consumed: trailing whitespace is an error. Offsets in the error are relative to `text`.
/// Never throws, never reads outside `text`, no allocation. Thread-safe.
ParseResult<Uri> parse_uri(std::string_view text) noexcept;

/// URI equivalence per RFC 3261 §19.1.4 for sip/sips (scheme, userinfo case-sensitive after
/// unescaping, host case-insensitive, port, and the parameter rules: user/ttl/method/maddr/transport
/// must match when present in either; other parameters only when present in both; headers must
/// match), RFC 3966 §4 for tel (number without visual separators, parameters), and for other
/// schemes a case-insensitive compare of the scheme plus exact compare of the rest. No allocation.
bool uri_equal(const Uri& a, const Uri& b) noexcept;

/// Decodes %-escapes of `text` and appends the result to `out` (invalid escapes are copied as-is).
void unescape(std::string_view text, std::string& out);

/// Escape-aware comparison helpers (no allocation): `a` and `b` are equal after decoding %HH.
bool escaped_equal(std::string_view a, std::string_view b) noexcept;
/// As escaped_equal() but ASCII case-insensitive.
bool escaped_iequal(std::string_view a, std::string_view b) noexcept;

/// ASCII case-insensitive equality. Inline: header and parameter names are compared on the hot path.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (x != y) {
      const auto lx = static_cast<unsigned char>(x | 0x20);
      if (lx != (y | 0x20) || static_cast<unsigned char>(lx - 'a') >= 26) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace wimpu::sip
