// name-addr / addr-spec (RFC 3261 §20.10, §25.1).
#include "chars.hpp"
#include "lex.hpp"
#include "wimpu/sip/name_addr.hpp"

namespace wimpu::sip {
namespace {

ParseError na_error(std::size_t offset) {
  return ParseError{ParseErrorCode::kBadNameAddr, static_cast<std::uint32_t>(offset), {}};
}

bool is_lws_start(std::string_view s, std::size_t i) {
  return detail::skip_lws(s, i) != i;
}

}  // namespace

ParseResult<NameAddr> parse_name_addr(std::string_view text, NameAddrForm form) noexcept {
  NameAddr na;
  const std::size_t n = text.size();
  std::size_t pos = detail::skip_lws(text, 0);
  if (pos >= n) {
    return na_error(pos);
  }
  std::size_t lt = std::string_view::npos;
  const std::size_t value_begin = pos;
  if (text[pos] == '"') {
    const std::size_t q = detail::quoted_string_length(text, pos);
    if (q == std::string_view::npos) {
      return na_error(pos);
    }
    na.display_name = text.substr(pos, q);
    pos = detail::skip_lws(text, pos + q);
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
        i = detail::skip_lws(text, i);
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
    auto uri = parse_uri(text.substr(lt + 1, gt - lt - 1));
    if (!uri) {
      return na_error(lt + 1 + uri.error().offset);
    }
    na.uri = *uri;
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
    auto uri = parse_uri(text.substr(pos, i - pos));
    if (!uri) {
      return na_error(pos + uri.error().offset);
    }
    na.uri = *uri;
    pos = i;
  }

  std::size_t p = detail::skip_lws(text, pos);
  if (p < n && text[p] == ';') {
    auto len = scan_params(text.substr(p), ParamList::Kind::kHeader);
    if (!len) {
      return na_error(p);
    }
    na.params = ParamList(text.substr(p, *len), ParamList::Kind::kHeader);
    pos = p + *len;
    p = detail::skip_lws(text, pos);
  }
  if (p != n) {
    return na_error(p);
  }
  na.text = text.substr(value_begin, pos - value_begin);
  return na;
}

}  // namespace wimpu::sip
