// URI parsing and comparison: sip/sips (RFC 3261 §19.1, §25.1), tel (RFC 3966), IPv6 references
// (RFC 5118), other absoluteURIs kept opaque.
#include <string>

#include "chars.hpp"
#include "lex.hpp"
#include "wimpu/sip/uri.hpp"

namespace wimpu::sip {
namespace detail {

std::optional<std::uint64_t> parse_digits(std::string_view text, std::size_t& pos,
                                          std::uint64_t saturate) noexcept {
  const std::size_t begin = pos;
  std::uint64_t v = 0;
  while (pos < text.size() && chars::is_digit(text[pos])) {
    v = v * 10 + static_cast<std::uint64_t>(text[pos] - '0');
    if (v > saturate) {
      v = saturate;
    }
    ++pos;
  }
  if (pos == begin) {
    return std::nullopt;
  }
  return v;
}

std::optional<std::uint32_t> parse_u32_saturated(std::string_view text) noexcept {
  std::size_t pos = 0;
  auto v = parse_digits(text, pos, 0xffffffffULL);
  if (!v || pos != text.size()) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*v);
}

namespace {

// IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT (each <= 255).
bool is_ipv4(std::string_view s) {
  int parts = 0;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t start = i;
    int v = 0;
    while (i < s.size() && chars::is_digit(s[i])) {
      v = v * 10 + (s[i] - '0');
      ++i;
      if (i - start > 3) {
        return false;
      }
    }
    if (i == start || v > 255) {
      return false;
    }
    ++parts;
    if (i == s.size()) {
      break;
    }
    if (s[i] != '.') {
      return false;
    }
    ++i;
  }
  return parts == 4;
}

// IPv6address (RFC 3261 §25.1, fixed by RFC 5954): hex groups of 1-4 digits separated by ':',
// at most one "::", optionally ending with an IPv4 address; 8 groups (an IPv4 tail counts 2).
bool is_ipv6(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  int groups = 0;
  bool double_colon = false;
  std::size_t i = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    double_colon = true;
    i = 2;
    if (i == s.size()) {
      return true;  // "::"
    }
  } else if (s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    std::size_t start = i;
    while (i < s.size() && chars::is_hex(s[i]) && i - start < 5) {
      ++i;
    }
    const std::size_t len = i - start;
    if (i < s.size() && s[i] == '.') {
      // IPv4 tail.
      if (!is_ipv4(s.substr(start))) {
        return false;
      }
      groups += 2;
      i = s.size();
      break;
    }
    if (len == 0 || len > 4) {
      return false;
    }
    ++groups;
    if (i == s.size()) {
      break;
    }
    if (s[i] != ':') {
      return false;
    }
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (double_colon) {
        return false;
      }
      double_colon = true;
      ++i;
      if (i == s.size()) {
        break;
      }
    } else if (i == s.size()) {
      return false;  // trailing single ':'
    }
  }
  return double_colon ? groups <= 7 : groups == 8;
}

}  // namespace

HostType parse_host(std::string_view text, std::size_t& pos) noexcept {
  if (pos >= text.size()) {
    return HostType::kNone;
  }
  if (text[pos] == '[') {
    const std::size_t close = text.find(']', pos);
    if (close == std::string_view::npos || !is_ipv6(text.substr(pos + 1, close - pos - 1))) {
      return HostType::kNone;
    }
    pos = close + 1;
    return HostType::kIPv6;
  }
  // One pass: hostname = *( domainlabel "." ) toplabel [ "." ], labels alphanum with inner '-'.
  // Track whether only digits and dots were seen (then it must be an IPv4 address).
  const std::size_t begin = pos;
  std::size_t label_begin = pos;
  bool numeric = true;
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '.') {
      if (pos == label_begin || text[pos - 1] == '-') {
        return HostType::kNone;
      }
      label_begin = pos + 1;
    } else if (chars::is(c, chars::kAlpha) || c == '-') {
      if (c == '-' && pos == label_begin) {
        return HostType::kNone;
      }
      numeric = false;
    } else if (!chars::is_digit(c)) {
      break;
    }
    ++pos;
  }
  if (pos == begin) {
    return HostType::kNone;
  }
  const std::string_view host = text.substr(begin, pos - begin);
  if (numeric) {
    return is_ipv4(host) ? HostType::kIPv4 : HostType::kNone;
  }
  if (text[pos - 1] == '-') {
    return HostType::kNone;
  }
  return HostType::kDomain;
}

}  // namespace detail

namespace {

using Fail = std::optional<std::uint32_t>;

Fail uri_error(std::size_t offset) { return static_cast<std::uint32_t>(offset); }

// Scans escaped text of the given char class (plus %HH) starting at pos; returns the end or npos
// on a bad escape.
std::size_t scan_escaped(std::string_view s, std::size_t pos, std::size_t end, std::uint16_t mask) {
  while (pos < end) {
    const char c = s[pos];
    if (c == '%') {
      if (pos + 2 >= end || !chars::is_hex(s[pos + 1]) || !chars::is_hex(s[pos + 2])) {
        return std::string_view::npos;
      }
      pos += 3;
    } else if (chars::is(c, mask)) {
      ++pos;
    } else {
      break;
    }
  }
  return pos;
}

Fail parse_sip_uri(std::string_view text, Uri& uri, std::size_t pos) {
  const std::size_t n = text.size();
  // userinfo: everything before the first '@' (user/password never contain a raw '@').
  const std::size_t at = text.find('@', pos);
  if (at != std::string_view::npos) {
    const std::size_t user_end =
        scan_escaped(text, pos, at, chars::kUnreserved | chars::kUserExtra);
    if (user_end == std::string_view::npos || user_end == pos) {
      return uri_error(pos);
    }
    uri.user = text.substr(pos, user_end - pos);
    if (user_end < at) {
      if (text[user_end] != ':') {
        return uri_error(user_end);
      }
      const std::size_t pw_end =
          scan_escaped(text, user_end + 1, at, chars::kUnreserved | chars::kPasswordExtra);
      if (pw_end != at) {
        return uri_error(user_end + 1);
      }
      uri.has_password = true;
      uri.password = text.substr(user_end + 1, at - user_end - 1);
    }
    pos = at + 1;
  }
  const std::size_t host_begin = pos;
  uri.host_type = detail::parse_host(text, pos);
  if (uri.host_type == HostType::kNone) {
    return uri_error(host_begin);
  }
  uri.host = text.substr(host_begin, pos - host_begin);
  if (pos < n && text[pos] == ':') {
    ++pos;
    const std::size_t port_begin = pos;
    auto port = detail::parse_digits(text, pos, 100000);
    if (!port || *port > 65535) {
      return uri_error(port_begin);
    }
    uri.port = static_cast<std::uint16_t>(*port);
  }
  if (pos < n && text[pos] == ';') {
    auto len = scan_params(text.substr(pos), ParamList::Kind::kUri);
    if (!len) {
      return uri_error(pos);
    }
    uri.params = ParamList(text.substr(pos, *len), ParamList::Kind::kUri);
    pos += *len;
  }
  if (pos < n && text[pos] == '?') {
    ++pos;
    const std::size_t h_begin = pos;
    // headers = hname "=" hvalue *( "&" hname "=" hvalue ); hvalue may be empty.
    while (true) {
      const std::size_t name_end = scan_escaped(text, pos, n, chars::kUnreserved | chars::kHnvExtra);
      if (name_end == std::string_view::npos || name_end == pos || name_end >= n ||
          text[name_end] != '=') {
        return uri_error(pos);
      }
      const std::size_t value_end =
          scan_escaped(text, name_end + 1, n, chars::kUnreserved | chars::kHnvExtra);
      if (value_end == std::string_view::npos) {
        return uri_error(name_end + 1);
      }
      pos = value_end;
      if (pos < n && text[pos] == '&') {
        ++pos;
        continue;
      }
      break;
    }
    uri.headers = text.substr(h_begin, pos - h_begin);
  }
  if (pos != n) {
    return uri_error(pos);
  }
  return std::nullopt;
}

Fail parse_tel_uri(std::string_view text, Uri& uri, std::size_t pos) {
  // telephone-subscriber: global-number-digits ("+" digits/visual separators) or local number;
  // then ";" parameters (RFC 3966 §3). Kept as a view: number up to the first ';'.
  const std::size_t n = text.size();
  const std::size_t begin = pos;
  while (pos < n && text[pos] != ';' &&
         (chars::is_hex(text[pos]) || text[pos] == '+' || text[pos] == '-' || text[pos] == '.' ||
          text[pos] == '(' || text[pos] == ')' || text[pos] == '*' || text[pos] == '#')) {
    ++pos;
  }
  if (pos == begin) {
    return uri_error(begin);
  }
  uri.user = text.substr(begin, pos - begin);
  if (pos < n) {
    auto len = scan_params(text.substr(pos), ParamList::Kind::kUri);
    if (!len || pos + *len != n) {
      return uri_error(pos);
    }
    uri.params = ParamList(text.substr(pos), ParamList::Kind::kUri);
  }
  return std::nullopt;
}

}  // namespace

namespace detail {

std::optional<std::uint32_t> parse_uri_into(std::string_view text, Uri& uri) noexcept {
  uri = Uri{};
  uri.text = text;
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  std::size_t pos = 0;
  if (text.empty() || !chars::is(text[0], chars::kAlpha)) {
    return uri_error(0);
  }
  while (pos < text.size() && chars::is(text[pos], chars::kSchemeChar)) {
    ++pos;
  }
  if (pos >= text.size() || text[pos] != ':') {
    return uri_error(pos);
  }
  uri.scheme_text = text.substr(0, pos);
  ++pos;
  if (iequals(uri.scheme_text, "sip")) {
    uri.scheme = UriScheme::kSip;
    return parse_sip_uri(text, uri, pos);
  }
  if (iequals(uri.scheme_text, "sips")) {
    uri.scheme = UriScheme::kSips;
    return parse_sip_uri(text, uri, pos);
  }
  if (iequals(uri.scheme_text, "tel")) {
    uri.scheme = UriScheme::kTel;
    return parse_tel_uri(text, uri, pos);
  }
  // absoluteURI = scheme ":" ( hier-part / opaque-part ), all uric (RFC 3261 §25.1).
  const std::size_t end =
      scan_escaped(text, pos, text.size(), chars::kUnreserved | chars::kUricExtra);
  if (end != text.size() || end == pos) {
    return uri_error(end == std::string_view::npos ? pos : end);
  }
  uri.scheme = UriScheme::kOther;
  uri.opaque = text.substr(pos);
  return std::nullopt;
}

}  // namespace detail

ParseResult<Uri> parse_uri(std::string_view text) noexcept {
  Uri uri;
  if (auto bad = detail::parse_uri_into(text, uri)) {
    return ParseError{ParseErrorCode::kBadUri, *bad, {}};
  }
  return uri;
}

bool Uri::is_invalid_host() const {
  std::string_view h = host;
  if (!h.empty() && h.back() == '.') {
    h.remove_suffix(1);
  }
  constexpr std::string_view kInvalid = ".invalid";
  return h.size() > kInvalid.size() && iequals(h.substr(h.size() - kInvalid.size()), kInvalid);
}

std::string_view Uri::host_port() const {
  if (host.empty()) {
    return {};
  }
  const char* b = host.data();
  std::size_t len = host.size();
  if (port) {
    // ':' then the digits, as received.
    std::size_t i = static_cast<std::size_t>(host.data() - text.data()) + host.size();
    std::size_t j = i + 1;
    while (j < text.size() && chars::is_digit(text[j])) {
      ++j;
    }
    len = j - static_cast<std::size_t>(b - text.data());
  }
  return std::string_view(b, len);
}

void unescape(std::string_view text, std::string& out) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && chars::is_hex(text[i + 1]) &&
        chars::is_hex(text[i + 2])) {
      out.push_back(static_cast<char>(chars::hex_value(text[i + 1]) * 16 +
                                      chars::hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
}

namespace {

// Next decoded byte of an escaped string; returns -1 at the end.
int next_decoded(std::string_view s, std::size_t& i) {
  if (i >= s.size()) {
    return -1;
  }
  if (s[i] == '%' && i + 2 < s.size() && chars::is_hex(s[i + 1]) && chars::is_hex(s[i + 2])) {
    const int v = chars::hex_value(s[i + 1]) * 16 + chars::hex_value(s[i + 2]);
    i += 3;
    return v;
  }
  return static_cast<unsigned char>(s[i++]);
}

template <bool kCaseInsensitive>
bool decoded_equal(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (true) {
    int x = next_decoded(a, i);
    int y = next_decoded(b, j);
    if constexpr (kCaseInsensitive) {
      if (x >= 'A' && x <= 'Z') {
        x += 32;
      }
      if (y >= 'A' && y <= 'Z') {
        y += 32;
      }
    }
    if (x != y) {
      return false;
    }
    if (x < 0) {
      return true;
    }
  }
}

// The parameters that must match when present in either URI (RFC 3261 §19.1.4).
constexpr std::string_view kStrictParams[] = {"user", "ttl", "method", "maddr", "transport"};

bool is_strict_param(std::string_view name) {
  for (auto p : kStrictParams) {
    if (iequals(p, name)) {
      return true;
    }
  }
  return false;
}

bool params_equal_sip(const ParamList& a, const ParamList& b) {
  // Every parameter of a: if strict or present in b, must compare equal (case-insensitive after
  // unescaping, §19.1.4 "comparison of ... parameters is case-insensitive").
  for (const Param& p : a) {
    auto q = b.find(p.name);
    if (!q) {
      if (is_strict_param(p.name)) {
        return false;
      }
      continue;
    }
    if (p.has_value != q->has_value || !escaped_iequal(p.value, q->value)) {
      return false;
    }
  }
  for (const Param& q : b) {
    if (is_strict_param(q.name) && !a.has(q.name)) {
      return false;
    }
  }
  return true;
}

// URI headers: the same set of hname=hvalue (order-insensitive; names case-insensitive, values
// case-sensitive after unescaping).
bool headers_subset(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  while (i < a.size()) {
    std::size_t amp = a.find('&', i);
    if (amp == std::string_view::npos) {
      amp = a.size();
    }
    const std::string_view item = a.substr(i, amp - i);
    const std::size_t eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    bool found = false;
    std::size_t k = 0;
    while (k < b.size()) {
      std::size_t amp2 = b.find('&', k);
      if (amp2 == std::string_view::npos) {
        amp2 = b.size();
      }
      const std::string_view other = b.substr(k, amp2 - k);
      const std::size_t eq2 = other.find('=');
      if (escaped_iequal(other.substr(0, eq2), name) &&
          escaped_equal(eq2 == std::string_view::npos ? std::string_view() : other.substr(eq2 + 1),
                        value)) {
        found = true;
        break;
      }
      k = amp2 + 1;
    }
    if (!found) {
      return false;
    }
    i = amp + 1;
  }
  return true;
}

// Telephone numbers compare without visual separators (RFC 3966 §4).
bool tel_numbers_equal(std::string_view a, std::string_view b) {
  auto visual = [](char c) { return c == '-' || c == '.' || c == '(' || c == ')'; };
  std::size_t i = 0;
  std::size_t j = 0;
  while (true) {
    while (i < a.size() && visual(a[i])) {
      ++i;
    }
    while (j < b.size() && visual(b[j])) {
      ++j;
    }
    if (i == a.size() || j == b.size()) {
      return i == a.size() && j == b.size();
    }
    if (chars::lower(a[i]) != chars::lower(b[j])) {
      return false;
    }
    ++i;
    ++j;
  }
}

bool tel_params_equal(const ParamList& a, const ParamList& b) {
  // RFC 3966 §4: parameters must match in both directions (order-insensitive).
  for (const Param& p : a) {
    auto q = b.find(p.name);
    if (!q || !escaped_iequal(p.value, q->value)) {
      return false;
    }
  }
  for (const Param& q : b) {
    if (!a.has(q.name)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool escaped_equal(std::string_view a, std::string_view b) noexcept {
  return decoded_equal<false>(a, b);
}

bool escaped_iequal(std::string_view a, std::string_view b) noexcept {
  return decoded_equal<true>(a, b);
}

bool uri_equal(const Uri& a, const Uri& b) noexcept {
  if (a.scheme != b.scheme) {
    return false;
  }
  switch (a.scheme) {
    case UriScheme::kSip:
    case UriScheme::kSips:
      // §19.1.4: userinfo case-sensitive (after unescaping), host case-insensitive, explicit
      // port differs from no port.
      if (!escaped_equal(a.user, b.user) || a.has_password != b.has_password ||
          !escaped_equal(a.password, b.password)) {
        return false;
      }
      if (!escaped_iequal(a.host, b.host) || a.port != b.port) {
        return false;
      }
      if (!params_equal_sip(a.params, b.params)) {
        return false;
      }
      return headers_subset(a.headers, b.headers) && headers_subset(b.headers, a.headers);
    case UriScheme::kTel:
      return tel_numbers_equal(a.user, b.user) && tel_params_equal(a.params, b.params);
    case UriScheme::kOther:
      return iequals(a.scheme_text, b.scheme_text) && a.opaque == b.opaque;
  }
  return false;
}

}  // namespace wimpu::sip
