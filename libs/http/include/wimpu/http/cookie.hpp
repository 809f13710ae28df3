#pragma once
// Cookies per RFC 6265: parsing the Cookie request header (§5.4 / §4.2.1) and serialising
// Set-Cookie (§4.1) with the attributes the WWSF needs (Secure, HttpOnly, SameSite, Max-Age).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wimpu::http {

/// One name=value pair of a Cookie header. Views into the header string.
struct CookiePair {
  std::string_view name;
  std::string_view value;
};

/// Splits a Cookie header ("a=b; c=d") into pairs. Malformed pieces (no '=') are skipped; a
/// double-quoted value loses its quotes (RFC 6265 §4.1.1 cookie-value). Never throws.
std::vector<CookiePair> parse_cookie_header(std::string_view header);

/// Value of the first cookie called `name` in a Cookie header, if any.
std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name);

/// SameSite attribute values (RFC 6265bis §5.4.7).
enum class SameSite { kNone, kLax, kStrict };

/// A Set-Cookie header value to serialise.
struct SetCookie {
  std::string name;
  std::string value;
  std::string path = "/";
  std::optional<long long> max_age;  ///< Seconds; 0 deletes the cookie (RFC 6265 §5.2.2).
  bool secure = true;
  bool http_only = true;
  SameSite same_site = SameSite::kStrict;
};

/// Serialises `c` as a Set-Cookie value. Returns nullopt when the name is not an RFC 7230 token
/// or the value has characters outside cookie-octet (so a header can never be split or injected).
std::optional<std::string> serialize(const SetCookie& c);

}  // namespace wimpu::http
