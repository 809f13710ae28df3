#include "wimpu/loadgen/url.hpp"

#include <charconv>

namespace wimpu::loadgen {

std::string WsUrl::host_header() const {
  const bool v6 = host.find(':') != std::string::npos;
  std::string out = v6 ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) {
    out += ":" + std::to_string(port);
  }
  return out;
}

std::string WsUrl::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "wss://" : "ws://") + (v6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port) + target;
}

Expected<WsUrl, Error> parse_ws_url(std::string_view text) {
  WsUrl url;
  if (text.starts_with("ws://")) {
    text.remove_prefix(5);
  } else if (text.starts_with("wss://")) {
    url.tls = true;
    text.remove_prefix(6);
  } else {
    return Error("URL must start with ws:// or wss://");
  }
  if (text.find('#') != std::string_view::npos) {
    return Error("a WebSocket URL has no fragment (RFC 6455 §3)");
  }
  const std::size_t slash = text.find_first_of("/?");
  std::string_view authority = text.substr(0, slash);
  if (slash != std::string_view::npos) {
    url.target = std::string(text.substr(slash));
    if (url.target.front() == '?') {
      url.target.insert(url.target.begin(), '/');
    }
  }
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Error("unterminated IPv6 literal");
    }
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return Error("junk after IPv6 literal");
      }
      port_text = rest.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
    }
  }
  if (url.host.empty()) {
    return Error("empty host");
  }
  url.port = url.tls ? 443 : 80;
  if (!port_text.empty()) {
    unsigned v = 0;
    const auto res = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
    if (res.ec != std::errc{} || res.ptr != port_text.data() + port_text.size() || v == 0 ||
        v > 65535) {
      return Error("bad port '" + std::string(port_text) + "'");
    }
    url.port = static_cast<std::uint16_t>(v);
  }
  return url;
}

}  // namespace wimpu::loadgen
