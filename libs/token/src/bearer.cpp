#include "wimpu/token/bearer.hpp"

#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "wimpu/common/counter.hpp"

namespace wimpu::token {
namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_ws(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

// RFC 7235 §2.1 token68 characters (the '=' padding is handled separately) and RFC 3261 §25.1
// token characters (auth-param names and unquoted values), as tables: the token68 scan runs over
// the whole ~450-byte token on every REGISTER, a cache hit included (issue 8, figure 2).
constexpr std::array<bool, 256> char_table(std::string_view extra) {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<std::size_t>(c)] =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
  for (const char c : extra) {
    t[static_cast<unsigned char>(c)] = true;
  }
  return t;
}

constexpr std::array<bool, 256> kToken68 = char_table("-._~+/");
constexpr std::array<bool, 256> kToken = char_table("-.!%*_+`'~");

bool is_token68_char(char c) { return kToken68[static_cast<unsigned char>(c)]; }
bool is_token_char(char c) { return kToken[static_cast<unsigned char>(c)]; }

#if defined(__SSE2__)
// Whether all 16 octets at `p` are token68 characters (RFC 7235 §2.1 without '='): the set is
// [+] [-./0-9] [A-Z] [_] [a-z] [~]. Ranges are tested as (x - lo) <= (hi - lo) unsigned (a wrap
// below lo makes x - lo large), with min_epu8 since SSE2 has no unsigned compare.
bool all_token68_16(const char* p) {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const auto in_range = [&x](char lo, char hi) {
    const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8(lo));
    return _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(static_cast<char>(hi - lo))), d);
  };
  const __m128i ok = _mm_or_si128(
      _mm_or_si128(_mm_or_si128(in_range('-', '9'), in_range('A', 'Z')), in_range('a', 'z')),
      _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('+')),
                                _mm_cmpeq_epi8(x, _mm_set1_epi8('_'))),
                   _mm_cmpeq_epi8(x, _mm_set1_epi8('~'))));
  return _mm_movemask_epi8(ok) == 0xffff;
}
#endif

bool is_token68(std::string_view s) {
  // 16 (SSE2), then 8 octets per step without a branch per octet (the ~450-byte token of every
  // REGISTER, issue 8 figure 2): a block with any other octet (the '=' padding included) ends
  // the fast part and the octet-wise loop below finds where.
  std::size_t i = 0;
#if defined(__SSE2__)
  while (i + 16 <= s.size() && all_token68_16(s.data() + i)) {
    i += 16;
  }
#endif
  while (i + 8 <= s.size()) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data() + i);
    unsigned all = 1;  // '&' on integers, not '&&': no branch per octet
    for (std::size_t k = 0; k < 8; ++k) {
      all &= static_cast<unsigned>(kToken68[p[k]]);
    }
    if (all == 0) {
      break;
    }
    i += 8;
  }
  while (i < s.size() && is_token68_char(s[i])) {
    ++i;
  }
  if (i == 0) {
    return false;
  }
  while (i < s.size() && s[i] == '=') {
    ++i;
  }
  return i == s.size();
}

// Splits "Scheme rest": false when the scheme is not Bearer.
bool bearer_scheme(std::string_view value, std::string_view& rest) {
  value = trim(value);
  std::size_t i = 0;
  while (i < value.size() && !is_ws(value[i])) {
    ++i;
  }
  if (!iequals(value.substr(0, i), "Bearer")) {
    return false;
  }
  rest = trim(value.substr(i));
  return true;
}

struct Param {
  std::string_view name;
  std::string value;  // unquoted, quoted-pairs resolved
};

// Reads `name = (token / quoted-string)` at the front of `s`; advances `s` past a following comma.
bool next_param(std::string_view& s, Param& p) {
  s = trim(s);
  std::size_t i = 0;
  while (i < s.size() && is_token_char(s[i])) {
    ++i;
  }
  if (i == 0) {
    return false;
  }
  p.name = s.substr(0, i);
  s = trim(s.substr(i));
  if (s.empty() || s.front() != '=') {
    return false;
  }
  s = trim(s.substr(1));
  p.value.clear();
  if (!s.empty() && s.front() == '"') {
    std::size_t j = 1;
    for (; j < s.size() && s[j] != '"'; ++j) {
      if (s[j] == '\\') {
        if (++j == s.size()) {
          return false;
        }
      }
      p.value += s[j];
    }
    if (j == s.size()) {
      return false;  // unterminated
    }
    s = trim(s.substr(j + 1));
  } else {
    std::size_t j = 0;
    while (j < s.size() && is_token_char(s[j])) {
      ++j;
    }
    if (j == 0) {
      return false;
    }
    p.value.assign(s.substr(0, j));
    s = trim(s.substr(j));
  }
  if (!s.empty()) {
    if (s.front() != ',') {
      return false;
    }
    s.remove_prefix(1);
    if (trim(s).empty()) {
      return false;  // trailing comma
    }
  }
  return true;
}

void append_quoted(std::string& out, std::string_view name, std::string_view value) {
  if (value.empty()) {
    return;
  }
  if (out.size() > 6) {
    out += ',';
  }
  out += ' ';
  out += name;
  out += "=\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
}

BearerError counted(BearerError e) {
  static common::Counter& not_bearer = common::counter("token.bearer.not_bearer");
  static common::Counter& malformed = common::counter("token.bearer.malformed");
  (e == BearerError::kNotBearer ? not_bearer : malformed).inc();
  return e;
}

}  // namespace

std::string_view name(BearerError e) noexcept {
  return e == BearerError::kNotBearer ? "not_bearer" : "malformed";
}

Expected<std::string_view, BearerError> bearer_token(std::string_view value) {
  std::string_view rest;
  if (!bearer_scheme(value, rest)) {
    return counted(BearerError::kNotBearer);
  }
  if (is_token68(rest)) {
    return rest;  // RFC 6750 §2.1 / RFC 8898 §2.1.3
  }
  // TS 24.371 Annex A.3.2: auth-params, one of them access_token. The token must be a plain
  // token68 inside the quotes, so the view can point into `value` unchanged.
  std::string_view s = rest;
  Param p;
  while (!s.empty()) {
    const std::string_view before = s;
    if (!next_param(s, p)) {
      return counted(BearerError::kMalformed);
    }
    if (iequals(p.name, "access_token")) {
      if (!is_token68(p.value)) {
        return counted(BearerError::kMalformed);
      }
      const std::size_t at = before.find(p.value);
      return before.substr(at, p.value.size());
    }
  }
  return counted(BearerError::kMalformed);
}

std::string format_challenge(const BearerChallenge& c) {
  std::string out = "Bearer";
  append_quoted(out, "realm", c.realm);
  append_quoted(out, "authz_server", c.authz_server);
  append_quoted(out, "scope", c.scope);
  append_quoted(out, "error", c.error);
  return out;
}

Expected<BearerChallenge, BearerError> parse_challenge(std::string_view value) {
  std::string_view s;
  if (!bearer_scheme(value, s)) {
    return counted(BearerError::kNotBearer);
  }
  if (s.empty()) {
    return counted(BearerError::kMalformed);  // RFC 8898 Figure 3: at least one bearer-cln
  }
  BearerChallenge c;
  Param p;
  while (!s.empty()) {
    if (!next_param(s, p)) {
      return counted(BearerError::kMalformed);
    }
    if (iequals(p.name, "realm")) {
      c.realm = std::move(p.value);
    } else if (iequals(p.name, "authz_server")) {
      c.authz_server = std::move(p.value);
    } else if (iequals(p.name, "scope")) {
      c.scope = std::move(p.value);
    } else if (iequals(p.name, "error")) {
      c.error = std::move(p.value);
    }
  }
  return c;
}

}  // namespace wimpu::token
