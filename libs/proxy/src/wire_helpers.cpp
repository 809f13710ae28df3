#include "wire_helpers.hpp"

#include <algorithm>
#include <charconv>

#include "locality.hpp"

namespace wimpu::proxy::detail {
namespace {

using transaction::Protocol;

struct Fnv {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  void add(std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    h ^= 0xff;  // field separator
    h *= 0x100000001b3ULL;
  }
};

void append_hex64(std::uint64_t v, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[16];
  for (int i = 15; i >= 0; --i) {
    buf[i] = kHex[v & 0xf];
    v >>= 4;
  }
  out.append(buf, sizeof buf);
}

}  // namespace

bool resolve_uri(const sip::Uri& uri, transaction::Peer& out) {
  if (!uri.is_sip()) {
    return false;
  }
  const bool secure = uri.scheme == sip::UriScheme::kSips;
  Protocol p = secure ? Protocol::kTls : Protocol::kUdp;
  if (!uri.transport().empty()) {
    if (!transaction::protocol_from_param(uri.transport(), p)) {
      return false;
    }
    if (secure && (p == Protocol::kTcp || p == Protocol::kUdp)) {
      p = Protocol::kTls;
    } else if (secure && p == Protocol::kWs) {
      p = Protocol::kWss;
    }
  }
  // maddr overrides the host (RFC 3261 §19.1.1) when it is a literal.
  std::string_view host = uri.param("maddr");
  if (host.empty()) {
    host = uri.host;
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) {
    return false;
  }
  out = transaction::Peer{};
  out.protocol = p;
  out.remote = transaction::Endpoint{addr, uri.port.value_or(default_port(p))};
  return true;
}

std::string_view format_address(const boost::asio::ip::address& address, AddressText& buf) {
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    char* p = buf.data();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      if (i != 0) {
        *p++ = '.';
      }
      p = std::to_chars(p, buf.data() + buf.size(), bytes[i]).ptr;
    }
    return {buf.data(), static_cast<std::size_t>(p - buf.data())};
  }
  // IPv6 (rare here): the library's text, scope included, as before.
  const std::string text = address.to_string();
  const std::size_t n = std::min(text.size(), buf.size());
  std::copy_n(text.data(), n, buf.data());
  return {buf.data(), n};
}

bool via_with_received(const sip::Via& via, const transaction::Endpoint& source, std::string& out) {
  AddressText ip_buf;
  const std::string_view source_ip = format_address(source.address, ip_buf);
  std::string_view host = via.host;
  if (host.size() > 2 && host.front() == '[') {
    host = host.substr(1, host.size() - 2);
  }
  const bool empty_rport = via.has_rport && !via.rport;
  const bool need_received = via.received.empty() && (host != source_ip || via.has_rport);
  if (!empty_rport && !need_received) {
    return false;
  }
  out.clear();
  std::size_t copied = 0;
  if (empty_rport) {
    for (const sip::Param& p : via.params) {
      if (sip::iequals(p.name, "rport")) {
        const std::size_t end = static_cast<std::size_t>(p.name.data() - via.text.data()) +
                                p.name.size();
        out.append(via.text.substr(0, end));
        out.push_back('=');
        char port[8];
        const auto [port_end, port_ec] = std::to_chars(port, port + sizeof port, source.port);
        (void)port_ec;
        out.append(port, port_end);
        copied = end;
        break;
      }
    }
  }
  out.append(via.text.substr(copied));
  if (need_received) {
    out.append(";received=");
    out.append(source_ip);
  }
  return true;
}

void append_loop_hash(const sip::Message& request, std::string& out) {
  Fnv f;
  f.add(request.request_uri().text);
  f.add(request.from_tag());
  f.add(request.to_tag());
  f.add(request.call_id());
  char num[12];
  auto [end, ec] = std::to_chars(num, num + sizeof num, request.cseq().number);
  (void)ec;
  f.add(std::string_view(num, static_cast<std::size_t>(end - num)));
  for (const sip::HeaderField& h : request.headers()) {
    // RFC 3261 §16.6 step 8: "all information affecting processing of a request", so the Route
    // set too: an IMS spiral (S-CSCF originating -> I-CSCF -> same S-CSCF terminating) comes
    // back with the same Request-URI and tags but another Route, and is not a loop.
    if (h.id == sip::HeaderId::kProxyRequire || h.id == sip::HeaderId::kProxyAuthorization ||
        h.id == sip::HeaderId::kRoute) {
      f.add(h.value);
    }
  }
  append_hex64(f.h, out);
}

void append_stateless_hash(const sip::Message& request, std::string& out) {
  Fnv f;
  f.add(request.top_via().branch);
  f.add(request.top_via().sent_by());
  f.add(request.call_id());
  append_hex64(f.h, out);
}

}  // namespace wimpu::proxy::detail
