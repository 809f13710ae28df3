// Typed accessors for the headers not parsed at ingress (see header_values.hpp).
#include "wimpu/sip/header_values.hpp"

#include "chars.hpp"
#include "wimpu/common/counter.hpp"
#include "lex.hpp"

namespace wimpu::sip {
namespace {

ParseError value_error(ParseErrorCode code, const Message& msg, const HeaderField& h,
                       std::size_t offset_in_value) {
  static common::Counter& errors = common::counter("sip.header_value_error");
  errors.inc();
  const auto base = static_cast<std::size_t>(h.value.data() - msg.bytes().data());
  return ParseError{code, static_cast<std::uint32_t>(base + offset_in_value), canonical_name(h.id)};
}

// Calls sink(token) for each comma-separated token of `value` (option-tag lists). Empty lists are
// legal (RFC 3261 §20.37: "Supported:" may be empty). Returns the offset of the first bad element.
template <class Sink>
std::optional<std::size_t> for_each_token(std::string_view value, Sink&& sink) {
  std::size_t pos = 0;
  if (detail::trim_lws(value).empty()) {
    return std::nullopt;
  }
  while (true) {
    pos = detail::skip_lws(value, pos);
    std::size_t e = pos;
    while (e < value.size() && chars::is_token(value[e])) {
      ++e;
    }
    if (e == pos) {
      return pos;
    }
    sink(value.substr(pos, e - pos));
    pos = detail::skip_lws(value, e);
    if (pos >= value.size()) {
      return std::nullopt;
    }
    if (value[pos] != ',') {
      return pos;
    }
    ++pos;
  }
}

}  // namespace

ParseResult<std::vector<NameAddr>> name_addr_values(const Message& msg, HeaderId id) {
  std::vector<NameAddr> out;
  const NameAddrForm form = (id == HeaderId::kRoute || id == HeaderId::kRecordRoute ||
                             id == HeaderId::kPath || id == HeaderId::kServiceRoute)
                                ? NameAddrForm::kNameAddrOnly
                                : NameAddrForm::kAddrSpecAllowed;
  const auto headers = msg.headers();
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const HeaderField& h = headers[i];
    if (h.id != id) {
      continue;
    }
    auto r = parse_name_addr_list(h.value, form, [&](const NameAddr& na) {
      out.push_back(na);
      out.back().header_index = static_cast<std::uint32_t>(i);
    });
    if (!r) {
      return value_error(ParseErrorCode::kBadNameAddr, msg, h, r.error().offset);
    }
  }
  return out;
}

ParseResult<std::optional<NameAddr>> first_name_addr(const Message& msg, HeaderId id) {
  const HeaderField* h = msg.find(id);
  if (h == nullptr) {
    return std::optional<NameAddr>();
  }
  std::optional<NameAddr> first;
  auto r = parse_name_addr_list(h->value, NameAddrForm::kAddrSpecAllowed, [&](const NameAddr& na) {
    if (!first) {
      first = na;
    }
  });
  if (!r) {
    return value_error(ParseErrorCode::kBadNameAddr, msg, *h, r.error().offset);
  }
  return first;
}

ParseResult<std::vector<std::string_view>> option_tags(const Message& msg, HeaderId id) {
  std::vector<std::string_view> out;
  for (const HeaderField& h : msg.headers()) {
    if (h.id != id) {
      continue;
    }
    if (auto bad = for_each_token(h.value, [&](std::string_view t) { out.push_back(t); })) {
      return value_error(ParseErrorCode::kBadHeader, msg, h, *bad);
    }
  }
  return out;
}

ParseResult<bool> has_option_tag(const Message& msg, HeaderId id, std::string_view tag) {
  bool found = false;
  for (const HeaderField& h : msg.headers()) {
    if (h.id != id) {
      continue;
    }
    if (auto bad = for_each_token(h.value, [&](std::string_view t) { found |= iequals(t, tag); })) {
      return value_error(ParseErrorCode::kBadHeader, msg, h, *bad);
    }
  }
  return found;
}

ParseResult<std::optional<std::uint32_t>> delta_seconds(const Message& msg, HeaderId id) {
  const HeaderField* h = msg.find(id);
  if (h == nullptr) {
    return std::optional<std::uint32_t>();
  }
  // Flow-Timer and Min-Expires are bare numbers; Expires too (RFC 3261 §20.19: delta-seconds).
  auto v = detail::parse_u32_saturated(h->value);
  if (!v) {
    return value_error(ParseErrorCode::kBadHeader, msg, *h, 0);
  }
  return std::optional<std::uint32_t>(*v);
}

std::optional<std::uint32_t> contact_expires(const NameAddr& contact) noexcept {
  auto p = contact.params.find("expires");
  if (!p || !p->has_value) {
    return std::nullopt;
  }
  return detail::parse_u32_saturated(p->value);
}

std::optional<std::uint16_t> contact_q(const NameAddr& contact) noexcept {
  // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
  auto p = contact.params.find("q");
  if (!p || !p->has_value || p->value.empty()) {
    return std::nullopt;
  }
  const std::string_view v = p->value;
  if (v[0] != '0' && v[0] != '1') {
    return std::nullopt;
  }
  unsigned q = static_cast<unsigned>(v[0] - '0') * 1000;
  if (v.size() > 1) {
    if (v[1] != '.' || v.size() > 5) {
      return std::nullopt;
    }
    unsigned scale = 100;
    for (std::size_t i = 2; i < v.size(); ++i) {
      if (!chars::is_digit(v[i])) {
        return std::nullopt;
      }
      q += static_cast<unsigned>(v[i] - '0') * scale;
      scale /= 10;
    }
  }
  if (q > 1000) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(q);
}

std::string_view contact_instance(const NameAddr& contact) noexcept {
  return strip_quotes(contact.params.value("+sip.instance"));
}

std::optional<std::uint32_t> contact_reg_id(const NameAddr& contact) noexcept {
  auto p = contact.params.find("reg-id");
  if (!p || !p->has_value) {
    return std::nullopt;
  }
  return detail::parse_u32_saturated(p->value);
}

ContactParams contact_params(const NameAddr& contact, std::string* other_params) {
  ContactParams out;
  bool expires_seen = false;
  bool instance_seen = false;
  bool reg_id_seen = false;
  for (const Param& p : contact.params) {
    if (iequals(p.name, "expires")) {
      if (!expires_seen && p.has_value) {
        out.expires = detail::parse_u32_saturated(p.value);
      }
      expires_seen = true;
      continue;
    }
    if (other_params != nullptr) {
      other_params->push_back(';');
      other_params->append(p.name);
      if (p.has_value) {
        other_params->push_back('=');
        other_params->append(p.value);
      }
    }
    if (!instance_seen && iequals(p.name, "+sip.instance")) {
      instance_seen = true;
      out.instance = strip_quotes(p.value);
    } else if (!reg_id_seen && iequals(p.name, "reg-id")) {
      reg_id_seen = true;
      if (p.has_value) {
        out.reg_id = detail::parse_u32_saturated(p.value);
      }
    }
  }
  return out;
}

// ---- auth ----

namespace {

// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" (RFC 7235 §2.1).
bool is_token68(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (chars::is(s[i], chars::kAlpha) || chars::is_digit(s[i]) || s[i] == '-' ||
                          s[i] == '.' || s[i] == '_' || s[i] == '~' || s[i] == '+' || s[i] == '/')) {
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

// Walks "name=value, name2="v2"" calling fn(name, value); returns false on a syntax error.
template <class Fn>
bool for_each_auth_param(std::string_view s, Fn&& fn) {
  std::size_t pos = 0;
  while (true) {
    pos = detail::skip_lws(s, pos);
    std::size_t e = pos;
    while (e < s.size() && chars::is_token(s[e])) {
      ++e;
    }
    if (e == pos) {
      return false;
    }
    const std::string_view name = s.substr(pos, e - pos);
    pos = detail::skip_lws(s, e);
    if (pos >= s.size() || s[pos] != '=') {
      return false;
    }
    pos = detail::skip_lws(s, pos + 1);
    std::size_t vend = pos;
    if (pos < s.size() && s[pos] == '"') {
      const std::size_t q = detail::quoted_string_length(s, pos);
      if (q == std::string_view::npos) {
        return false;
      }
      vend = pos + q;
    } else {
      while (vend < s.size() && chars::is_token(s[vend])) {
        ++vend;
      }
      if (vend == pos) {
        return false;
      }
    }
    if (!fn(name, s.substr(pos, vend - pos))) {
      return true;  // the callback asked to stop
    }
    pos = detail::skip_lws(s, vend);
    if (pos >= s.size()) {
      return true;
    }
    if (s[pos] != ',') {
      return false;
    }
    ++pos;
  }
}

}  // namespace

std::string_view AuthValue::param(std::string_view name) const noexcept {
  std::string_view found;
  for_each_auth_param(params, [&](std::string_view n, std::string_view v) {
    if (iequals(n, name)) {
      found = v;
      return false;
    }
    return true;
  });
  return found;
}

std::string_view AuthValue::bearer_token() const noexcept {
  if (!iequals(scheme, "Bearer")) {
    return {};
  }
  if (!token68.empty()) {
    return token68;
  }
  return strip_quotes(param("access_token"));
}

ParseResult<AuthValue> parse_auth_value(std::string_view text) noexcept {
  AuthValue out;
  const std::string_view t = detail::trim_lws(text);
  const auto off = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<std::size_t>(t.data() - text.data()) + i);
  };
  std::size_t e = 0;
  while (e < t.size() && chars::is_token(t[e])) {
    ++e;
  }
  if (e == 0) {
    return ParseError{ParseErrorCode::kBadHeader, off(0), {}};
  }
  out.scheme = t.substr(0, e);
  const std::size_t rest = detail::skip_lws(t, e);
  if (rest == t.size()) {
    return out;  // scheme alone (legal for challenges with no params)
  }
  if (rest == e) {
    return ParseError{ParseErrorCode::kBadHeader, off(e), {}};
  }
  const std::string_view tail = t.substr(rest);
  // "Bearer <token68>" (RFC 8898 §2.3) vs auth-param list (RFC 3261 §25.1, TS 24.371).
  if (is_token68(tail) && tail.find('=') == std::string_view::npos) {
    out.token68 = tail;
    return out;
  }
  if (is_token68(tail) && !for_each_auth_param(tail, [](auto, auto) { return true; })) {
    out.token68 = tail;  // base64 padding "abc==" is token68, not a param
    return out;
  }
  if (!for_each_auth_param(tail, [](auto, auto) { return true; })) {
    return ParseError{ParseErrorCode::kBadHeader, off(rest), {}};
  }
  out.params = tail;
  return out;
}

ParseResult<std::vector<AuthValue>> auth_values(const Message& msg, HeaderId id) {
  std::vector<AuthValue> out;
  for (const HeaderField& h : msg.headers()) {
    if (h.id != id) {
      continue;
    }
    auto v = parse_auth_value(h.value);
    if (!v) {
      return value_error(ParseErrorCode::kBadHeader, msg, h, v.error().offset);
    }
    out.push_back(*v);
  }
  return out;
}

ParseResult<std::optional<std::string_view>> bearer_token(const Message& msg) {
  for (const HeaderField& h : msg.headers()) {
    if (h.id != HeaderId::kAuthorization) {
      continue;
    }
    auto v = parse_auth_value(h.value);
    if (!v) {
      return value_error(ParseErrorCode::kBadHeader, msg, h, v.error().offset);
    }
    const std::string_view tok = v->bearer_token();
    if (!tok.empty()) {
      return std::optional<std::string_view>(tok);
    }
  }
  return std::optional<std::string_view>();
}

// ---- Reason ----

ParseResult<std::vector<ReasonValue>> reason_values(const Message& msg) {
  std::vector<ReasonValue> out;
  for (const HeaderField& h : msg.headers()) {
    if (h.id != HeaderId::kReason) {
      continue;
    }
    std::size_t pos = 0;
    const std::string_view v = h.value;
    while (true) {
      pos = detail::skip_lws(v, pos);
      const std::size_t len = detail::list_element_length(v.substr(pos));
      if (len == std::string_view::npos || len == 0) {
        return value_error(ParseErrorCode::kBadHeader, msg, h, pos);
      }
      const std::string_view item = v.substr(pos, len);
      // reason-value = protocol *(SEMI reason-params)
      std::size_t e = 0;
      while (e < item.size() && chars::is_token(item[e])) {
        ++e;
      }
      if (e == 0) {
        return value_error(ParseErrorCode::kBadHeader, msg, h, pos);
      }
      ReasonValue rv;
      rv.protocol = item.substr(0, e);
      const std::size_t p = detail::skip_lws(item, e);
      auto plen = scan_params(item.substr(p), ParamList::Kind::kHeader);
      if (!plen || detail::skip_lws(item, p + *plen) != item.size()) {
        return value_error(ParseErrorCode::kBadHeader, msg, h, pos + p);
      }
      rv.params = ParamList(item.substr(p, *plen), ParamList::Kind::kHeader);
      if (auto cause = rv.params.find("cause"); cause && cause->has_value) {
        auto c = detail::parse_u32_saturated(cause->value);
        if (!c || *c > 65535) {
          return value_error(ParseErrorCode::kBadHeader, msg, h, pos + p);
        }
        rv.cause = static_cast<std::uint16_t>(*c);
      }
      rv.text = rv.params.value("text");
      out.push_back(rv);
      pos += len;
      if (pos >= v.size()) {
        break;
      }
      ++pos;
    }
  }
  return out;
}

// ---- Retry-After ----

ParseResult<std::optional<RetryAfter>> retry_after(const Message& msg) {
  const HeaderField* h = msg.find(HeaderId::kRetryAfter);
  if (h == nullptr) {
    return std::optional<RetryAfter>();
  }
  // Retry-After = delta-seconds [ comment ] *( SEMI retry-param )
  const std::string_view v = h->value;
  std::size_t pos = 0;
  auto secs = detail::parse_digits(v, pos, 0xffffffffULL);
  if (!secs) {
    return value_error(ParseErrorCode::kBadHeader, msg, *h, 0);
  }
  RetryAfter ra;
  ra.seconds = static_cast<std::uint32_t>(*secs);
  pos = detail::skip_lws(v, pos);
  if (pos < v.size() && v[pos] == '(') {
    // comment: nested parentheses, quoted-pairs.
    int depth = 0;
    std::size_t i = pos;
    for (; i < v.size(); ++i) {
      if (v[i] == '\\') {
        ++i;
      } else if (v[i] == '(') {
        ++depth;
      } else if (v[i] == ')' && --depth == 0) {
        break;
      }
    }
    if (i >= v.size()) {
      return value_error(ParseErrorCode::kBadHeader, msg, *h, pos);
    }
    ra.comment = v.substr(pos, i + 1 - pos);
    pos = detail::skip_lws(v, i + 1);
  }
  auto plen = scan_params(v.substr(pos), ParamList::Kind::kHeader);
  if (!plen || detail::skip_lws(v, pos + *plen) != v.size()) {
    return value_error(ParseErrorCode::kBadHeader, msg, *h, pos);
  }
  ra.params = ParamList(v.substr(pos, *plen), ParamList::Kind::kHeader);
  if (auto d = ra.params.find("duration"); d && d->has_value) {
    auto dv = detail::parse_u32_saturated(d->value);
    if (!dv) {
      return value_error(ParseErrorCode::kBadHeader, msg, *h, pos);
    }
    ra.duration = *dv;
  }
  return std::optional<RetryAfter>(ra);
}

// ---- Content-Type ----

ParseResult<std::optional<MediaType>> content_type(const Message& msg) {
  const HeaderField* h = msg.find(HeaderId::kContentType);
  if (h == nullptr) {
    return std::optional<MediaType>();
  }
  const std::string_view v = h->value;
  std::size_t e = 0;
  while (e < v.size() && chars::is_token(v[e])) {
    ++e;
  }
  std::size_t slash = detail::skip_lws(v, e);
  if (e == 0 || slash >= v.size() || v[slash] != '/') {
    return value_error(ParseErrorCode::kBadHeader, msg, *h, e);
  }
  MediaType mt;
  mt.type = v.substr(0, e);
  std::size_t s = detail::skip_lws(v, slash + 1);
  std::size_t se = s;
  while (se < v.size() && chars::is_token(v[se])) {
    ++se;
  }
  if (se == s) {
    return value_error(ParseErrorCode::kBadHeader, msg, *h, s);
  }
  mt.subtype = v.substr(s, se - s);
  const std::size_t p = detail::skip_lws(v, se);
  auto plen = scan_params(v.substr(p), ParamList::Kind::kHeader);
  if (!plen || detail::skip_lws(v, p + *plen) != v.size()) {
    return value_error(ParseErrorCode::kBadHeader, msg, *h, p);
  }
  mt.params = ParamList(v.substr(p, *plen), ParamList::Kind::kHeader);
  return std::optional<MediaType>(mt);
}

}  // namespace wimpu::sip
