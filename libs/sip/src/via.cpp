// Via (RFC 3261 §20.42, §25.1 via-parm; RFC 3581 rport; RFC 7118 §5 WS/WSS; RFC 5118 §4.5).
#include "chars.hpp"
#include "lex.hpp"
#include "wimpu/sip/name_addr.hpp"
#include "wimpu/sip/via.hpp"

namespace wimpu::sip {
namespace {

ParseError via_error(std::size_t offset) {
  return ParseError{ParseErrorCode::kBadVia, static_cast<std::uint32_t>(offset), {}};
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

ParseResult<Via> parse_via(std::string_view text) noexcept {
  Via via;
  const std::size_t n = text.size();
  std::size_t pos = detail::skip_lws(text, 0);
  const std::size_t begin = pos;
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport (SLASH = SWS "/" SWS).
  std::size_t e = scan_token(text, pos);
  if (e == pos) {
    return via_error(pos);
  }
  via.protocol = text.substr(pos, e - pos);
  pos = detail::skip_lws(text, e);
  if (pos >= n || text[pos] != '/') {
    return via_error(pos);
  }
  pos = detail::skip_lws(text, pos + 1);
  e = scan_token(text, pos);
  if (e == pos) {
    return via_error(pos);
  }
  via.version = text.substr(pos, e - pos);
  pos = detail::skip_lws(text, e);
  if (pos >= n || text[pos] != '/') {
    return via_error(pos);
  }
  pos = detail::skip_lws(text, pos + 1);
  e = scan_token(text, pos);
  if (e == pos) {
    return via_error(pos);
  }
  via.transport_text = text.substr(pos, e - pos);
  via.transport = transport_from_text(via.transport_text);
  if (!iequals(via.protocol, "SIP") || via.version != "2.0") {
    return via_error(begin);
  }
  pos = detail::skip_lws(text, e);
  if (pos == e) {
    return via_error(pos);  // LWS required before sent-by
  }
  const std::size_t host_begin = pos;
  via.host_type = detail::parse_host(text, pos);
  if (via.host_type == HostType::kNone) {
    return via_error(host_begin);
  }
  via.host = text.substr(host_begin, pos - host_begin);
  std::size_t p = detail::skip_lws(text, pos);
  if (p < n && text[p] == ':') {
    p = detail::skip_lws(text, p + 1);
    auto port = detail::parse_digits(text, p, 100000);
    if (!port || *port > 65535) {
      return via_error(p);
    }
    via.port = static_cast<std::uint16_t>(*port);
    pos = p;
    p = detail::skip_lws(text, pos);
  }
  if (p < n && text[p] == ';') {
    auto len = scan_params(text.substr(p), ParamList::Kind::kHeader);
    if (!len) {
      return via_error(p);
    }
    via.params = ParamList(text.substr(p, *len), ParamList::Kind::kHeader);
    pos = p + *len;
    p = detail::skip_lws(text, pos);
  }
  if (p != n) {
    return via_error(p);
  }
  via.text = text.substr(begin, pos - begin);

  for (const Param& prm : via.params) {
    if (iequals(prm.name, "branch")) {
      via.branch = prm.value;
    } else if (iequals(prm.name, "received")) {
      via.received = prm.value;
    } else if (iequals(prm.name, "maddr")) {
      via.maddr = prm.value;
    } else if (iequals(prm.name, "ttl")) {
      auto v = detail::parse_u32_saturated(prm.value);
      if (!v || *v > 255) {
        return via_error(static_cast<std::size_t>(prm.name.data() - text.data()));
      }
      via.ttl = static_cast<std::uint8_t>(*v);
    } else if (iequals(prm.name, "rport")) {
      via.has_rport = true;
      if (prm.has_value) {
        auto v = detail::parse_u32_saturated(prm.value);
        if (!v || *v > 65535) {
          return via_error(static_cast<std::size_t>(prm.name.data() - text.data()));
        }
        via.rport = static_cast<std::uint16_t>(*v);
      }
    }
  }
  return via;
}

}  // namespace wimpu::sip
