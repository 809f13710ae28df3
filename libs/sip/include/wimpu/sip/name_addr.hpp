#pragma once
// name-addr / addr-spec values (From, To, Contact, Route, Record-Route, Path, Service-Route,
// P-Associated-URI, P-Asserted-Identity, ...), RFC 3261 §20.10 and §25.1.
#include <cstdint>
#include <string>
#include <string_view>

#include "wimpu/sip/params.hpp"
#include "wimpu/sip/parse_error.hpp"
#include "wimpu/sip/uri.hpp"

namespace wimpu::sip {

/// One name-addr or addr-spec with its header parameters. Non-owning views (see Uri).
struct NameAddr {
  std::string_view text;          ///< the whole value as received, without surrounding LWS
  /// Display name as received: a quoted-string with its quotes, or the token sequence; empty when
  /// absent. Use display_name_unquoted() for the decoded form.
  std::string_view display_name;
  bool bracketed = false;         ///< URI was in <...> (name-addr form)
  Uri uri;
  ParamList params;               ///< header params after the URI (Kind::kHeader): tag, expires, q...
  /// Index in Message::headers() of the header line this value came from (0 when parsed alone).
  std::uint32_t header_index = 0;

  /// The "tag" parameter (RFC 3261 §19.3), empty when absent.
  std::string_view tag() const { return params.value("tag"); }
  /// Display name without quotes and with quoted-pairs resolved, appended to `out`.
  void display_name_unquoted(std::string& out) const { append_unquoted(display_name, out); }
};

/// How strict the addr-spec form is. In headers, an addr-spec URI ends at the first ';' (what
/// follows are header parameters) and must not contain ',', '?' or ';' (RFC 3261 §20.10,
/// RFC 4475 §3.1.2.15); kRouteLike (Route, Record-Route, Path, Service-Route) requires <...>.
enum class NameAddrForm : std::uint8_t { kAddrSpecAllowed, kNameAddrOnly };

/// Parses one name-addr or addr-spec followed by header params; the whole `text` must be consumed
/// (LWS around it is allowed). Never throws, no allocation. Offsets are relative to `text`.
ParseResult<NameAddr> parse_name_addr(std::string_view text,
                                      NameAddrForm form = NameAddrForm::kAddrSpecAllowed) noexcept;

/// Parses a comma-separated list of name-addr values (commas inside quotes and <...> respected),
/// calling `sink(const NameAddr&)` for each in order. Returns the first error. No allocation.
template <class Sink>
ParseResult<void> parse_name_addr_list(std::string_view text, NameAddrForm form, Sink&& sink);

namespace detail {
/// Length of the next list element of `text` (up to a top-level ',' or the end), honouring
/// quoted-strings and <...>. Returns npos on an unterminated quote or bracket.
std::size_t list_element_length(std::string_view text) noexcept;
/// Skips LWS (SP, HT, folded CRLF) and returns the offset of the first other byte.
inline std::size_t skip_lws(std::string_view text, std::size_t pos) noexcept {
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == ' ' || c == '\t') {
      ++pos;
    } else if (c == '\r' && pos + 2 < text.size() && text[pos + 1] == '\n' &&
               (text[pos + 2] == ' ' || text[pos + 2] == '\t')) {
      pos += 3;
    } else if (c == '\n' && pos + 1 < text.size() &&
               (text[pos + 1] == ' ' || text[pos + 1] == '\t')) {
      pos += 2;
    } else {
      break;
    }
  }
  return pos;
}
}  // namespace detail

template <class Sink>
ParseResult<void> parse_name_addr_list(std::string_view text, NameAddrForm form, Sink&& sink) {
  std::size_t pos = 0;
  while (true) {
    pos = detail::skip_lws(text, pos);
    const std::size_t len = detail::list_element_length(text.substr(pos));
    if (len == std::string_view::npos || len == 0) {
      return ParseError{ParseErrorCode::kBadNameAddr, static_cast<std::uint32_t>(pos), {}};
    }
    auto one = parse_name_addr(text.substr(pos, len), form);
    if (!one) {
      ParseError e = one.error();
      e.offset += static_cast<std::uint32_t>(pos);
      return e;
    }
    sink(*one);
    pos += len;
    if (pos >= text.size()) {
      return {};
    }
    ++pos;  // the ','
  }
}

}  // namespace wimpu::sip
