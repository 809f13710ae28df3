// One-pass scan of a SIP response for the load engine's matching fields (see the header).
#include "wimpu/loadgen/response_scan.hpp"

#include <charconv>

namespace wimpu::loadgen {
namespace {

bool iequals(std::string_view a, std::string_view lower) noexcept {
  if (a.size() != lower.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char c = a[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c) != lower[i]) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view v) noexcept {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
    v.remove_prefix(1);
  }
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
    v.remove_suffix(1);
  }
  return v;
}

// The branch param of the first via-parm in a Via value (params are case-insensitive names,
// RFC 3261 §20.42 / §25.1).
std::string_view via_branch(std::string_view value) noexcept {
  const std::size_t comma = value.find(',');
  if (comma != std::string_view::npos) {
    value = value.substr(0, comma);
  }
  std::size_t semi = value.find(';');
  while (semi != std::string_view::npos) {
    value.remove_prefix(semi + 1);
    semi = value.find(';');
    std::string_view param = trim(value.substr(0, semi));
    const std::size_t eq = param.find('=');
    if (eq != std::string_view::npos && iequals(trim(param.substr(0, eq)), "branch")) {
      return trim(param.substr(eq + 1));
    }
  }
  return {};
}

}  // namespace

bool scan_response(std::string_view m, ResponseHead& h) noexcept {
  h = ResponseHead{};
  // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF (§7.2)
  if (m.size() < 12 || m.substr(0, 8) != "SIP/2.0 " || m[11] != ' ') {
    return false;
  }
  int status = 0;
  for (int i = 8; i < 11; ++i) {
    if (m[i] < '0' || m[i] > '9') {
      return false;
    }
    status = status * 10 + (m[i] - '0');
  }
  h.status = status;
  std::size_t pos = m.find("\r\n");
  if (pos == std::string_view::npos) {
    return false;
  }
  pos += 2;
  bool have_via = false;
  bool have_cseq = false;
  while (pos < m.size()) {
    const std::size_t eol = m.find("\r\n", pos);
    if (eol == std::string_view::npos) {
      return false;
    }
    const std::string_view line = m.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.empty()) {
      break;  // end of the header section
    }
    if (line.front() == ' ' || line.front() == '\t') {
      return false;  // folded line (§7.3.1): leave it to the full parser
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return false;
    }
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (name.size() > 7) {
      continue;
    }
    if (!have_via && (iequals(name, "via") || iequals(name, "v"))) {
      h.branch = via_branch(value);
      if (h.branch.empty()) {
        return false;
      }
      have_via = true;
    } else if (iequals(name, "call-id") || iequals(name, "i")) {
      h.call_id = value;
    } else if (iequals(name, "cseq")) {
      const std::size_t sp = value.find_first_of(" \t");
      if (sp == std::string_view::npos) {
        return false;
      }
      const auto res = std::from_chars(value.data(), value.data() + sp, h.cseq);
      if (res.ec != std::errc{} || res.ptr != value.data() + sp) {
        return false;
      }
      h.cseq_method = trim(value.substr(sp));
      have_cseq = true;
    }
  }
  return have_via && have_cseq && !h.call_id.empty();
}

}  // namespace wimpu::loadgen
