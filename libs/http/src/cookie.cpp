#include "wimpu/http/cookie.hpp"

namespace wimpu::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// RFC 7230 §3.2.6 tchar.
bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// RFC 6265 §4.1.1 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E.
bool is_cookie_octet(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
         (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

}  // namespace

std::vector<CookiePair> parse_cookie_header(std::string_view header) {
  std::vector<CookiePair> out;
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view piece = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    const auto eq = piece.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      continue;
    }
    std::string_view value = trim(piece.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    out.push_back({trim(piece.substr(0, eq)), value});
  }
  return out;
}

std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name) {
  for (const auto& c : parse_cookie_header(header)) {
    if (c.name == name) {
      return c.value;
    }
  }
  return std::nullopt;
}

std::optional<std::string> serialize(const SetCookie& c) {
  if (c.name.empty()) {
    return std::nullopt;
  }
  for (char ch : c.name) {
    if (!is_token_char(ch)) {
      return std::nullopt;
    }
  }
  for (char ch : c.value) {
    if (!is_cookie_octet(ch)) {
      return std::nullopt;
    }
  }
  for (char ch : c.path) {
    // av-octet minus ';' (RFC 6265 §4.1.1 path-value).
    if (static_cast<unsigned char>(ch) < 0x20 || ch == ';' || ch == 0x7F) {
      return std::nullopt;
    }
  }
  std::string out = c.name + "=" + c.value;
  if (!c.path.empty()) {
    out += "; Path=" + c.path;
  }
  if (c.max_age) {
    out += "; Max-Age=" + std::to_string(*c.max_age);
  }
  if (c.secure) {
    out += "; Secure";
  }
  if (c.http_only) {
    out += "; HttpOnly";
  }
  switch (c.same_site) {
    case SameSite::kStrict:
      out += "; SameSite=Strict";
      break;
    case SameSite::kLax:
      out += "; SameSite=Lax";
      break;
    case SameSite::kNone:
      out += "; SameSite=None";
      break;
  }
  return out;
}

}  // namespace wimpu::http
