#pragma once
// Internal lexing helpers shared by the parsers (not part of the public API).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "chars.hpp"
#include "wimpu/sip/header.hpp"
#include "wimpu/sip/name_addr.hpp"
#include "wimpu/sip/params.hpp"
#include "wimpu/sip/uri.hpp"
#include "wimpu/sip/via.hpp"

namespace wimpu::sip::detail {

/// Length of the quoted-string at text[pos] == '"' (both quotes included), npos if malformed.
std::size_t quoted_string_length(std::string_view text, std::size_t pos) noexcept;

/// Trims LWS (SP, HT, CR, LF) at both ends.
inline std::string_view trim_lws(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (b < e && ws(s[b])) {
    ++b;
  }
  while (e > b && ws(s[e - 1])) {
    --e;
  }
  return s.substr(b, e - b);
}

/// Parses 1*DIGIT at text[pos...]; returns the value saturated at `max_plus_one` (callers detect
/// overflow by comparing), and advances pos. nullopt when no digit.
std::optional<std::uint64_t> parse_digits(std::string_view text, std::size_t& pos,
                                          std::uint64_t saturate) noexcept;

/// Parses a host (IPv6 reference, IPv4 or hostname) at text[pos...]; advances pos past it.
/// Returns the host type, kNone on a syntax error.
HostType parse_host(std::string_view text, std::size_t& pos) noexcept;

/// Whole-string delta-seconds / unsigned number, saturated at 2^32-1; nullopt when not 1*DIGIT.
std::optional<std::uint32_t> parse_u32_saturated(std::string_view text) noexcept;

/// No-copy parsers behind the public ones: they reset and fill `out`, and return std::nullopt on
/// success or the offset (in `text`) of the error.
std::optional<std::uint32_t> parse_uri_into(std::string_view text, Uri& out) noexcept;
std::optional<std::uint32_t> parse_name_addr_into(std::string_view text, NameAddrForm form,
                                                  NameAddr& out) noexcept;
std::optional<std::uint32_t> parse_via_into(std::string_view text, Via& out) noexcept;

/// header_id_from_name() for a validated token (the parser's hot path). When `readable_end` is
/// given, the octets from name.data() up to it may be read (past the name: the rest of the line),
/// which lets the compare read whole words.
HeaderId header_id_from_token(std::string_view name, const char* readable_end = nullptr) noexcept;

inline bool is_uri_param_char(char c) {
  return chars::is(c, chars::kUnreserved | chars::kParamExtra);
}

// Header generic-param value: token / host (incl. an IPv6 reference) / quoted-string.
inline bool is_gen_value_char(char c) {
  return chars::is(c, chars::kToken) || c == ':' || c == '[' || c == ']';
}

/// Scans URI paramchar text (with %HH escapes) from pos; returns the end, or npos on a bad escape.
inline std::size_t scan_uri_param_text(std::string_view text, std::size_t pos) {
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '%') {
      if (pos + 2 >= text.size() || !chars::is_hex(text[pos + 1]) || !chars::is_hex(text[pos + 2])) {
        return std::string_view::npos;
      }
      pos += 3;
    } else if (is_uri_param_char(c)) {
      ++pos;
    } else {
      break;
    }
  }
  return pos;
}

/// scan_params() that also calls on_param(name, value, has_value) for each parameter, so callers
/// (Via) pick out the parameters they index in the same pass.
template <class OnParam>
std::optional<std::size_t> scan_params_with(std::string_view text, ParamList::Kind kind,
                                            OnParam&& on_param) noexcept {
  const bool header = kind == ParamList::Kind::kHeader;
  std::size_t pos = 0;
  std::size_t last_end = 0;
  while (true) {
    std::size_t p = header ? skip_lws(text, pos) : pos;
    if (p >= text.size() || text[p] != ';') {
      return last_end;
    }
    p = header ? skip_lws(text, p + 1) : p + 1;
    const std::size_t name_begin = p;
    if (header) {
      while (p < text.size() && chars::is_token(text[p])) {
        ++p;
      }
    } else {
      p = scan_uri_param_text(text, p);
      if (p == std::string_view::npos) {
        return std::nullopt;
      }
    }
    if (p == name_begin) {
      return std::nullopt;  // ";;", ";=" or a trailing ';'
    }
    const std::string_view name = text.substr(name_begin, p - name_begin);
    last_end = p;
    std::size_t q = header ? skip_lws(text, p) : p;
    if (q < text.size() && text[q] == '=') {
      q = header ? skip_lws(text, q + 1) : q + 1;
      const std::size_t vbegin = q;
      if (header && q < text.size() && text[q] == '"') {
        const std::size_t len = quoted_string_length(text, q);
        if (len == std::string_view::npos) {
          return std::nullopt;
        }
        q += len;
      } else if (header) {
        while (q < text.size() && is_gen_value_char(text[q])) {
          ++q;
        }
      } else {
        q = scan_uri_param_text(text, q);
        if (q == std::string_view::npos) {
          return std::nullopt;
        }
      }
      if (q == vbegin) {
        return std::nullopt;  // "name=" with no value
      }
      on_param(name, text.substr(vbegin, q - vbegin), true);
      last_end = q;
      pos = q;
    } else {
      on_param(name, std::string_view(), false);
      pos = p;
    }
  }
}

}  // namespace wimpu::sip::detail
