#pragma once
// Internal lexing helpers shared by the parsers (not part of the public API).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "wimpu/sip/uri.hpp"

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

}  // namespace wimpu::sip::detail
