#include "wimpu/transaction/types.hpp"

#include "wimpu/sip/uri.hpp"
#include "wimpu/transaction/sender.hpp"

namespace wimpu::transaction {

std::string_view to_string(Protocol p) noexcept {
  switch (p) {
    case Protocol::kUdp: return "udp";
    case Protocol::kTcp: return "tcp";
    case Protocol::kTls: return "tls";
    case Protocol::kWs: return "ws";
    case Protocol::kWss: return "wss";
  }
  return "unknown";
}

std::string_view via_token(Protocol p) noexcept {
  switch (p) {
    case Protocol::kUdp: return "UDP";
    case Protocol::kTcp: return "TCP";
    case Protocol::kTls: return "TLS";
    case Protocol::kWs: return "WS";
    case Protocol::kWss: return "WSS";
  }
  return "UDP";
}

bool protocol_from_via(sip::Transport t, Protocol& out) noexcept {
  switch (t) {
    case sip::Transport::kUdp: out = Protocol::kUdp; return true;
    case sip::Transport::kTcp: out = Protocol::kTcp; return true;
    case sip::Transport::kTls: out = Protocol::kTls; return true;
    case sip::Transport::kWs: out = Protocol::kWs; return true;
    case sip::Transport::kWss: out = Protocol::kWss; return true;
    default: return false;
  }
}

bool protocol_from_param(std::string_view value, Protocol& out) noexcept {
  static constexpr std::pair<std::string_view, Protocol> kNames[] = {
      {"udp", Protocol::kUdp}, {"tcp", Protocol::kTcp}, {"tls", Protocol::kTls},
      {"ws", Protocol::kWs},   {"wss", Protocol::kWss}};
  for (const auto& [name, p] : kNames) {
    if (sip::iequals(value, name)) {
      out = p;
      return true;
    }
  }
  return false;
}

std::string Endpoint::to_string() const {
  std::string s;
  if (address.is_v6()) {
    s.push_back('[');
    s += address.to_string();
    s.push_back(']');
  } else {
    s += address.to_string();
  }
  s.push_back(':');
  s += std::to_string(port);
  return s;
}

std::string_view to_string(SendError e) noexcept {
  switch (e) {
    case SendError::kFlowDead: return "flow_dead";
    case SendError::kUnreachable: return "unreachable";
    case SendError::kTooLarge: return "too_large";
    case SendError::kOverload: return "overload";
  }
  return "unknown";
}

}  // namespace wimpu::transaction
