#pragma once
// Small helpers the eP-CSCF tests share for writing SIP messages as text and reading headers.
#include <string>
#include <string_view>
#include <vector>

#include "wimpu/sip/header.hpp"
#include "wimpu/sip/message.hpp"
#include "wimpu/sip/uri.hpp"

namespace wimpu::ep_cscf::test {

/// `text` with every "\n" as "\r\n": messages are written readably in the tests.
inline std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\r\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

/// Values of every `name` line, in order (an unknown header matches by its name only).
inline std::vector<std::string> all(const sip::Message& m, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& h : m.headers()) {
    if (sip::header_id_from_name(name) == h.id &&
        (h.id != sip::HeaderId::kOther || sip::escaped_iequal(h.name, name))) {
      out.emplace_back(h.value);
    }
  }
  return out;
}

/// The first `name` value, or "" when there is none.
inline std::string one(const sip::Message& m, std::string_view name) {
  auto v = all(m, name);
  return v.empty() ? std::string() : v.front();
}

}  // namespace wimpu::ep_cscf::test
