// Via (RFC 3261 §20.42, §25.1 via-parm; RFC 3581 rport; RFC 7118 §5 WS/WSS; RFC 5118 §4.5).
#include "chars.hpp"
#include "lex.hpp"
#include "wimpu/sip/name_addr.hpp"
#include "wimpu/sip/via.hpp"

namespace wimpu::sip {
namespace {

std::optional<std::uint32_t> via_error(std::size_t offset) {
  return static_cast<std::uint32_t>(offset);
}

std::size_t scan_token(std::string_view s, std::size_t pos) {
  while (pos < s.size() && chars::is_token(s[pos])) {
    ++pos;
  }
  return pos;
}

}  // namespace

Transport transport_from_text(std::string_view text) noexcept {
  if (iequals(text, "UDP")) {
    return Transport::kUdp;
  }
  if (iequals(text, "TCP")) {
    return Transport::kTcp;
  }
  if (iequals(text, "TLS")) {
    return Transport::kTls;
  }
  if (iequals(text, "WSS")) {
    return Transport::kWss;
  }
  if (iequals(text, "WS")) {
    return Transport::kWs;
  }
  if (iequals(text, "SCTP")) {
    return Transport::kSctp;
  }
  if (iequals(text, "TLS-SCTP")) {
    return Transport::kTlsSctp;
  }
  return Transport::kOther;
}

std::string_view to_string(Transport t) noexcept {
  switch (t) {
    case Transport::kUdp: return "UDP";
    case Transport::kTcp: return "TCP";
    case Transport::kTls: return "TLS";
    case Transport::kSctp: return "SCTP";
    case Transport::kTlsSctp: return "TLS-SCTP";
    case Transport::kWs: return "WS";
    case Transport::kWss: return "WSS";
    case Transport::kOther: return {};
  }
  return {};
}

bool is_reliable(Transport t) noexcept {
  return t != Transport::kUdp && t != Transport::kOther;
}

std::string_view Via::sent_by() const {
  if (host.empty()) {
    return {};
  }
  const char* b = host.data();
  std::size_t end = static_cast<std::size_t>(host.data() - text.data()) + host.size();
  if (port) {
    std::size_t j = detail::skip_lws(text, end);
    if (j < text.size() && text[j] == ':') {
      j = detail::skip_lws(text, j + 1);
      while (j < text.size() && chars::is_digit(text[j])) {
        ++j;
      }
      end = j;
    }
  }
  return std::string_view(b, static_cast<std::size_t>(text.data() + end - b));
}

namespace detail {

std::optional<std::uint32_t> parse_via_into(std::string_view text, Via& via) noexcept {
  via = Via{};
  const std::size_t n = text.size();
  std::size_t pos = skip_lws(text, 0);
  const std::size_t begin = pos;
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport (SLASH = SWS "/" SWS).
  std::size_t e = scan_token(text, pos);
  if (e == pos) {
    return via_error(pos);
  }
  via.protocol = text.substr(pos, e - pos);
  pos = skip_lws(text, e);
  if (pos >= n || text[pos] != '/') {
    return via_error(pos);
  }
  pos = skip_lws(text, pos + 1);
  e = scan_token(text, pos);
  if (e == pos) {
    return via_error(pos);
  }
  via.version = text.substr(pos, e - pos);
  pos = skip_lws(text, e);
  if (pos >= n || text[pos] != '/') {
    return via_error(pos);
  }
  pos = skip_lws(text, pos + 1);
  e = scan_token(text, pos);
  if (e == pos) {
    return via_error(pos);
  }
  via.transport_text = text.substr(pos, e - pos);
  via.transport = transport_from_text(via.transport_text);
  if (!iequals(via.protocol, "SIP") || via.version != "2.0") {
    return via_error(begin);
  }
  pos = skip_lws(text, e);
  if (pos == e) {
    return via_error(pos);  // LWS required before sent-by
  }
  const std::size_t host_begin = pos;
  via.host_type = parse_host(text, pos);
  if (via.host_type == HostType::kNone) {
    return via_error(host_begin);
  }
  via.host = text.substr(host_begin, pos - host_begin);
  std::size_t p = skip_lws(text, pos);
  if (p < n && text[p] == ':') {
    p = skip_lws(text, p + 1);
    auto port = parse_digits(text, p, 100000);
    if (!port || *port > 65535) {
      return via_error(p);
    }
    via.port = static_cast<std::uint16_t>(*port);
    pos = p;
    p = skip_lws(text, pos);
  }
  if (p < n && text[p] == ';') {
    // One pass over the params: validate and pick out the ones a proxy reads (RFC 3261 §18.2.1,
    // RFC 3581 rport).
    bool bad_value = false;
    auto len = scan_params_with(text.substr(p), ParamList::Kind::kHeader,
                                [&](std::string_view name, std::string_view value, bool has_value) {
                                  if (iequals(name, "branch")) {
                                    via.branch = value;
                                  } else if (iequals(name, "received")) {
                                    via.received = value;
                                  } else if (iequals(name, "rport")) {
                                    via.has_rport = true;
                                    if (has_value) {
                                      auto v = parse_u32_saturated(value);
                                      bad_value |= !v || *v > 65535;
                                      via.rport = static_cast<std::uint16_t>(v.value_or(0));
                                    }
                                  } else if (iequals(name, "maddr")) {
                                    via.maddr = value;
                                  } else if (iequals(name, "ttl")) {
                                    auto v = parse_u32_saturated(value);
                                    bad_value |= !v || *v > 255;
                                    via.ttl = static_cast<std::uint8_t>(v.value_or(0));
                                  }
                                });
    if (!len || bad_value) {
      return via_error(p);
    }
    via.params = ParamList(text.substr(p, *len), ParamList::Kind::kHeader);
    pos = p + *len;
    p = skip_lws(text, pos);
  }
  if (p != n) {
    return via_error(p);
  }
  via.text = text.substr(begin, pos - begin);
  return std::nullopt;
}

}  // namespace detail

ParseResult<Via> parse_via(std::string_view text) noexcept {
  Via via;
  if (auto bad = detail::parse_via_into(text, via)) {
    return ParseError{ParseErrorCode::kBadVia, *bad, {}};
  }
  return via;
}

}  // namespace wimpu::sip
