#pragma once
// Character classes of the RFC 3261 §25.1 grammar as one lookup table (one load + mask per byte on
// the hot path instead of chains of comparisons).
#include <array>
#include <cstdint>
#include <string_view>

#include "wimpu/common/hex.hpp"

namespace wimpu::sip::chars {

enum : std::uint16_t {
  kToken = 1 << 0,       // token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
  kUnreserved = 1 << 1,  // alphanum / mark ("-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")")
  kUserExtra = 1 << 2,   // user-unreserved: "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
  kPasswordExtra = 1 << 3,  // "&" / "=" / "+" / "$" / ","
  kParamExtra = 1 << 4,  // param-unreserved: "[" / "]" / "/" / ":" / "&" / "+" / "$"
  kHnvExtra = 1 << 5,    // hnv-unreserved: "[" / "]" / "/" / "?" / ":" / "+" / "$"
  kWordExtra = 1 << 6,   // word adds "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}"
  kHostChar = 1 << 7,    // alphanum / "-" / "."
  kDigit = 1 << 8,
  kHex = 1 << 9,
  kAlpha = 1 << 10,
  kWsp = 1 << 11,        // SP / HTAB
  kSchemeChar = 1 << 12, // ALPHA / DIGIT / "+" / "-" / "."
  kUricExtra = 1 << 13,  // reserved / unreserved for absoluteURI: ";/?:@&=+$,"
  kTelChar = 1 << 14,    // tel subscriber/params: digits, hex, visual separators, "+*#", paramchar
};

constexpr std::array<std::uint16_t, 256> make_table() {
  std::array<std::uint16_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    std::uint16_t f = 0;
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    if (alpha) {
      f |= kAlpha;
    }
    if (digit) {
      f |= kDigit;
    }
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
      f |= kHex;
    }
    if (alpha || digit) {
      f |= kToken | kUnreserved | kHostChar | kSchemeChar | kTelChar;
    }
    switch (c) {
      case '-': f |= kToken | kUnreserved | kHostChar | kSchemeChar | kTelChar; break;
      case '.': f |= kToken | kUnreserved | kHostChar | kSchemeChar | kTelChar; break;
      case '!': f |= kToken | kUnreserved | kTelChar; break;
      case '%': f |= kToken; break;
      case '*': f |= kToken | kUnreserved | kTelChar; break;
      case '_': f |= kToken | kUnreserved | kTelChar; break;
      case '+': f |= kToken | kUserExtra | kPasswordExtra | kParamExtra | kHnvExtra | kSchemeChar | kUricExtra | kTelChar; break;
      case '`': f |= kToken; break;
      case '\'': f |= kToken | kUnreserved | kTelChar; break;
      case '~': f |= kToken | kUnreserved | kTelChar; break;
      case '(': f |= kUnreserved | kWordExtra | kTelChar; break;
      case ')': f |= kUnreserved | kWordExtra | kTelChar; break;
      case '&': f |= kUserExtra | kPasswordExtra | kParamExtra | kUricExtra | kTelChar; break;
      case '=': f |= kUserExtra | kPasswordExtra | kUricExtra | kTelChar; break;
      case '$': f |= kUserExtra | kPasswordExtra | kParamExtra | kHnvExtra | kUricExtra | kTelChar; break;
      case ',': f |= kUserExtra | kPasswordExtra | kUricExtra; break;
      case ';': f |= kUserExtra | kUricExtra | kTelChar; break;
      case '?': f |= kUserExtra | kHnvExtra | kWordExtra | kUricExtra; break;
      case '/': f |= kUserExtra | kParamExtra | kHnvExtra | kWordExtra | kUricExtra | kTelChar; break;
      case '[': f |= kParamExtra | kHnvExtra | kWordExtra | kTelChar; break;
      case ']': f |= kParamExtra | kHnvExtra | kWordExtra | kTelChar; break;
      case ':': f |= kParamExtra | kHnvExtra | kWordExtra | kUricExtra | kTelChar; break;
      case '<': f |= kWordExtra; break;
      case '>': f |= kWordExtra; break;
      case '\\': f |= kWordExtra; break;
      case '"': f |= kWordExtra; break;
      case '{': f |= kWordExtra; break;
      case '}': f |= kWordExtra; break;
      case '@': f |= kUricExtra; break;
      case '#': f |= kTelChar; break;
      case ' ': f |= kWsp; break;
      case '\t': f |= kWsp; break;
      default: break;
    }
    t[static_cast<std::size_t>(c)] = f;
  }
  return t;
}

inline constexpr std::array<std::uint16_t, 256> kTable = make_table();

inline bool is(char c, std::uint16_t mask) {
  return (kTable[static_cast<unsigned char>(c)] & mask) != 0;
}
inline bool is_token(char c) { return is(c, kToken); }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_hex(char c) { return is(c, kHex); }
inline bool is_wsp(char c) { return c == ' ' || c == '\t'; }
inline bool is_word(char c) { return is(c, kToken | kWordExtra); }
inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline int hex_value(char c) { return common::hex_digit_value(c); }

/// True when every byte of `s` is a token char and `s` is not empty.
inline bool is_token(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!is_token(c)) {
      return false;
    }
  }
  return true;
}

}  // namespace wimpu::sip::chars
