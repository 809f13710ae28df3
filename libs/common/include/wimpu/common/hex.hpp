#pragma once
// One hex-digit decoder for every parser that undoes an escape: %HH in SIP URIs (RFC 3261
// section 19.1.2) and in HTTP query strings (RFC 3986 section 2.1), \uXXXX in JSON strings
// (RFC 8259 section 7).

namespace wimpu::common {

/// Value 0-15 of one hexadecimal digit (either case), or -1 when `c` is not one (RFC 5234 HEXDIG
/// is upper case only; RFC 3986 section 2.1 says percent-encodings are case-insensitive).
constexpr int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace wimpu::common
