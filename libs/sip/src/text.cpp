// Small shared pieces: error and method names, case-insensitive compare, parameter lists.
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

#include "chars.hpp"
#include "lex.hpp"
#include "wimpu/sip/method.hpp"
#include "wimpu/sip/name_addr.hpp"
#include "wimpu/sip/params.hpp"
#include "wimpu/sip/parse_error.hpp"
#include "wimpu/sip/uri.hpp"

namespace wimpu::sip {

std::string_view to_string(ParseErrorCode code) noexcept {
  switch (code) {
    case ParseErrorCode::kEmpty: return "empty";
    case ParseErrorCode::kMessageTooLarge: return "message_too_large";
    case ParseErrorCode::kBadStartLine: return "bad_start_line";
    case ParseErrorCode::kBadMethod: return "bad_method";
    case ParseErrorCode::kBadVersion: return "bad_version";
    case ParseErrorCode::kBadStatusCode: return "bad_status_code";
    case ParseErrorCode::kBadReason: return "bad_reason";
    case ParseErrorCode::kHeadersUnterminated: return "headers_unterminated";
    case ParseErrorCode::kBadHeader: return "bad_header";
    case ParseErrorCode::kMissingMandatoryHeader: return "missing_mandatory_header";
    case ParseErrorCode::kDuplicateHeader: return "duplicate_header";
    case ParseErrorCode::kBadVia: return "bad_via";
    case ParseErrorCode::kBadNameAddr: return "bad_name_addr";
    case ParseErrorCode::kBadCallId: return "bad_call_id";
    case ParseErrorCode::kBadCSeq: return "bad_cseq";
    case ParseErrorCode::kCSeqMethodMismatch: return "cseq_method_mismatch";
    case ParseErrorCode::kBadMaxForwards: return "bad_max_forwards";
    case ParseErrorCode::kBadContentLength: return "bad_content_length";
    case ParseErrorCode::kBodyTruncated: return "body_truncated";
    case ParseErrorCode::kBadUri: return "bad_uri";
    case ParseErrorCode::kBadParameter: return "bad_parameter";
  }
  return "unknown";
}

namespace {
struct MethodName {
  Method method;
  std::string_view name;
};
constexpr MethodName kMethods[] = {
    {Method::kInvite, "INVITE"},       {Method::kAck, "ACK"},
    {Method::kBye, "BYE"},             {Method::kCancel, "CANCEL"},
    {Method::kRegister, "REGISTER"},   {Method::kOptions, "OPTIONS"},
    {Method::kInfo, "INFO"},           {Method::kPrack, "PRACK"},
    {Method::kUpdate, "UPDATE"},       {Method::kSubscribe, "SUBSCRIBE"},
    {Method::kNotify, "NOTIFY"},       {Method::kRefer, "REFER"},
    {Method::kMessage, "MESSAGE"},     {Method::kPublish, "PUBLISH"},
};
}  // namespace

Method method_from_text(std::string_view text) noexcept {
  // Method names are case-sensitive (RFC 3261 §7.1): exact compare.
  for (const auto& m : kMethods) {
    if (m.name.size() == text.size() && m.name == text) {
      return m.method;
    }
  }
  return Method::kExtension;
}

std::string_view to_string(Method m) noexcept {
  for (const auto& e : kMethods) {
    if (e.method == m) {
      return e.name;
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Parameter lists

namespace {
bool is_lws_byte(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The octets that end a parameter name (LWS, '=', ';') and a parameter value (LWS, ';'), as
// tables: one load per octet instead of four to six compares (every Contact parameter of every
// REGISTER is walked by contact_params()).
enum : std::uint8_t { kEndsName = 1, kEndsValue = 2 };
constexpr std::array<std::uint8_t, 256> kParamStops = [] {
  std::array<std::uint8_t, 256> t{};
  for (const char c : {' ', '\t', '\r', '\n', ';'}) {
    t[static_cast<unsigned char>(c)] = kEndsName | kEndsValue;
  }
  t[static_cast<unsigned char>('=')] = kEndsName;
  return t;
}();
bool param_stop(char c, std::uint8_t which) {
  return (kParamStops[static_cast<unsigned char>(c)] & which) != 0;
}

std::size_t skip_ws_bytes(std::string_view s, std::size_t pos) {
  while (pos < s.size() && is_lws_byte(s[pos])) {
    ++pos;
  }
  return pos;
}

}  // namespace

void ParamList::Iterator::advance() {
  std::size_t pos = skip_ws_bytes(rest_, 0);
  if (pos >= rest_.size() || rest_[pos] != ';') {
    done_ = true;
    rest_ = rest_.substr(rest_.size());
    return;
  }
  done_ = false;
  pos = skip_ws_bytes(rest_, pos + 1);
  const std::size_t name_begin = pos;
  while (pos < rest_.size() && !param_stop(rest_[pos], kEndsName)) {
    ++pos;
  }
  current_.name = rest_.substr(name_begin, pos - name_begin);
  std::size_t after = skip_ws_bytes(rest_, pos);
  if (after < rest_.size() && rest_[after] == '=') {
    std::size_t v = skip_ws_bytes(rest_, after + 1);
    std::size_t vend = v;
    if (v < rest_.size() && rest_[v] == '"') {
      const std::size_t q = detail::quoted_string_length(rest_, v);
      vend = q == std::string_view::npos ? rest_.size() : v + q;
    } else {
      while (vend < rest_.size() && !param_stop(rest_[vend], kEndsValue)) {
        ++vend;
      }
    }
    current_.value = rest_.substr(v, vend - v);
    current_.has_value = true;
    pos = vend;
  } else {
    current_.value = {};
    current_.has_value = false;
  }
  rest_ = rest_.substr(pos);
}

std::optional<Param> ParamList::find(std::string_view name) const {
  for (const Param& p : *this) {
    if (iequals(p.name, name)) {
      return p;
    }
  }
  return std::nullopt;
}

std::string_view ParamList::value(std::string_view name) const {
  auto p = find(name);
  return p ? p->value : std::string_view();
}

std::optional<std::size_t> scan_params(std::string_view text, ParamList::Kind kind) noexcept {
  return detail::scan_params_with(text, kind, [](std::string_view, std::string_view, bool) {});
}

void append_unquoted(std::string_view v, std::string& out) {
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') {
    out.append(v);
    return;
  }
  for (std::size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\' && i + 2 < v.size()) {
      ++i;
    }
    out.push_back(v[i]);
  }
}

std::string_view strip_quotes(std::string_view v) noexcept {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    return v.substr(1, v.size() - 2);
  }
  return v;
}

namespace detail {

std::size_t list_element_length(std::string_view text) noexcept {
  // Fast path: no comma at all means one element (the element's own parser checks its quotes and
  // brackets).
  if (std::memchr(text.data(), ',', text.size()) == nullptr) {
    return trim_lws(text).empty() ? 0 : text.size();
  }
  std::size_t i = 0;
  bool in_angle = false;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' && !in_angle) {
      const std::size_t q = quoted_string_length(text, i);
      if (q == std::string_view::npos) {
        return std::string_view::npos;
      }
      i += q;
      continue;
    }
    if (c == '<') {
      in_angle = true;
    } else if (c == '>') {
      in_angle = false;
    } else if (c == ',' && !in_angle) {
      break;
    }
    ++i;
  }
  if (in_angle) {
    return std::string_view::npos;
  }
  // Trim trailing LWS of the element.
  std::size_t end = i;
  while (end > 0 && is_lws_byte(text[end - 1])) {
    --end;
  }
  return end == 0 ? 0 : i;
}

namespace {

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

// Non-zero when one of the 8 octets of `w` is below `n` (n <= 128; exact as a boolean).
constexpr std::uint64_t has_less(std::uint64_t w, std::uint8_t n) {
  return (w - kOnes * n) & ~w & kHighs;
}

constexpr std::uint64_t has_byte(std::uint64_t w, std::uint8_t b) {
  return has_less(w ^ (kOnes * b), 1);
}

// Index of the first octet from `i` that plain qdtext does not cover: DQUOTE, "\", a CTL (HT
// and the CR/LF of folding included, the slow path judges them) or DEL. A quoted-string's
// octets are almost all plain (a +sip.instance URN, a display name), and the Contact's params are
// walked several times per REGISTER (issue 8 figure 2): 8 octets per step instead of one.
std::size_t skip_plain_qdtext(std::string_view s, std::size_t i) {
  while (i + 8 <= s.size()) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    const std::uint64_t special =
        has_less(w, 0x20) | has_byte(w, '"') | has_byte(w, '\\') | has_byte(w, 0x7f);
    if (special != 0) {
      // The lowest flagged octet is exact (a borrow only flags octets above a true hit): on a
      // little-endian load that is the first special octet.
      if constexpr (std::endian::native == std::endian::little) {
        i += static_cast<std::size_t>(std::countr_zero(special)) / 8;
      }
      break;
    }
    i += 8;
  }
  return i;
}

}  // namespace

std::size_t quoted_string_length(std::string_view s, std::size_t pos) noexcept {
  std::size_t i = pos + 1;
  while (i < s.size()) {
    i = skip_plain_qdtext(s, i);
    if (i >= s.size()) {
      break;
    }
    const char c = s[i];
    if (c == '\\') {
      if (i + 1 >= s.size()) {
        return std::string_view::npos;
      }
      // quoted-pair excludes CR and LF (RFC 3261 §25.1).
      if (s[i + 1] == '\r' || s[i + 1] == '\n') {
        return std::string_view::npos;
      }
      i += 2;
      continue;
    }
    if (c == '"') {
      return i + 1 - pos;
    }
    if (c == '\r' || c == '\n') {
      // Only as part of folding (LWS): CRLF followed by WSP.
      std::size_t j = i;
      if (c == '\r') {
        if (j + 1 >= s.size() || s[j + 1] != '\n') {
          return std::string_view::npos;
        }
        ++j;
      }
      if (j + 1 >= s.size() || !chars::is_wsp(s[j + 1])) {
        return std::string_view::npos;
      }
      i = j + 1;
      continue;
    }
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
      return std::string_view::npos;
    }
    ++i;
  }
  return std::string_view::npos;
}



}  // namespace detail
}  // namespace wimpu::sip
