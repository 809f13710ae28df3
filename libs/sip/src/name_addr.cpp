// name-addr / addr-spec (RFC 3261 §20.10, §25.1).
#include "chars.hpp"
#include "lex.hpp"
#include "wimpu/sip/name_addr.hpp"

namespace wimpu::sip {
namespace {

std::optional<std::uint32_t> na_error(std::size_t offset) {
  return static_cast<std::uint32_t>(offset);
}

bool is_lws_start(std::string_view s, std::size_t i) {
  return detail::skip_lws(s, i) != i;
}

}  // namespace

namespace detail {

std::optional<std::uint32_t> parse_name_addr_into(std::string_view text, NameAddrForm form,
                                                  NameAddr& na) noexcept {
  na.display_name = {};
  na.bracketed = false;
  na.params = ParamList();
  const std::size_t n = text.size();
  std::size_t pos = skip_lws(text, 0);
  if (pos >= n) {
    return na_error(pos);
  }
  std::size_t lt = std::string_view::npos;
  const std::size_t value_begin = pos;
  if (text[pos] == '"') {
    const std::size_t q = quoted_string_length(text, pos);
    if (q == std::string_view::npos) {
      return na_error(pos);
    }
    na.display_name = text.substr(pos, q);
    pos = skip_lws(text, pos + q);
    if (pos >= n || text[pos] != '<') {
      return na_error(pos);
    }
    lt = pos;
  } else if (text[pos] == '<') {
    lt = pos;
  } else {
    // Either *(token LWS) "<" (display name of tokens, RFC 4475 §3.1.1.6) or an addr-spec.
    std::size_t i = pos;
    std::size_t last_token_end = pos;
    while (i < n) {
      if (chars::is_token(text[i])) {
        ++i;
        last_token_end = i;
      } else if (is_lws_start(text, i)) {
        i = skip_lws(text, i);
      } else {
        break;
      }
    }
    if (i < n && text[i] == '<') {
      na.display_name = text.substr(pos, last_token_end - pos);
      lt = i;
    }
  }

  if (lt != std::string_view::npos) {
    na.bracketed = true;
    // No LWS inside the brackets (LAQUOT / RAQUOT, RFC 4475 §3.1.2.14).
    const std::size_t gt = text.find('>', lt + 1);
    if (gt == std::string_view::npos) {
      return na_error(lt);
    }
    if (auto bad = parse_uri_into(text.substr(lt + 1, gt - lt - 1), na.uri)) {
      return na_error(lt + 1 + *bad);
    }
    pos = gt + 1;
  } else {
    if (form == NameAddrForm::kNameAddrOnly) {
      return na_error(pos);
    }
    // addr-spec: the URI ends at the first ';' (header params follow), LWS or ','. It must not
    // contain ',', '?' or ';' (RFC 3261 §20.10; RFC 4475 §3.1.2.15).
    std::size_t i = pos;
    while (i < n && text[i] != ';' && text[i] != ',' && text[i] != ' ' && text[i] != '\t' &&
           text[i] != '\r' && text[i] != '\n') {
      if (text[i] == '?') {
        return na_error(i);
      }
      ++i;
    }
    if (auto bad = parse_uri_into(text.substr(pos, i - pos), na.uri)) {
      return na_error(pos + *bad);
    }
    pos = i;
  }

  std::size_t p = skip_lws(text, pos);
  if (p < n && text[p] == ';') {
    auto len = scan_params(text.substr(p), ParamList::Kind::kHeader);
    if (!len) {
      return na_error(p);
    }
    na.params = ParamList(text.substr(p, *len), ParamList::Kind::kHeader);
    pos = p + *len;
    p = skip_lws(text, pos);
  }
  if (p != n) {
    return na_error(p);
  }
  na.text = text.substr(value_begin, pos - value_begin);
  return std::nullopt;
}

}  // namespace detail

ParseResult<NameAddr> parse_name_addr(std::string_view text, NameAddrForm form) noexcept {
  NameAddr na;
  if (auto bad = detail::parse_name_addr_into(text, form, na)) {
    return ParseError{ParseErrorCode::kBadNameAddr, *bad, {}};
  }
  return na;
}

}  // namespace wimpu::sip
