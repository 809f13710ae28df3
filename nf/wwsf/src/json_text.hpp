#pragma once
// Hand-built JSON text for the token hot path (claims, the /api/token answer): a few string
// appends instead of building and dumping a DOM.
#include <cstdio>
#include <string>
#include <string_view>

namespace wimpu::wwsf {

// Appends `s` as a JSON string (RFC 8259 §7). Claims are mostly plain ASCII: copy runs of safe
// bytes, escape the rest.
inline void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  out += '"';
}

}  // namespace wimpu::wwsf
