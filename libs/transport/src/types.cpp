#include "wimpu/transport/types.hpp"

#include <stdexcept>

#include "wimpu/transport/net_transport.hpp"

namespace wimpu::transport {

std::string_view to_string(Protocol p) {
  switch (p) {
    case Protocol::kUdp: return "udp";
    case Protocol::kTcp: return "tcp";
    case Protocol::kTls: return "tls";
    case Protocol::kWs: return "ws";
    case Protocol::kWss: return "wss";
  }
  return "unknown";
}

std::string_view to_string(CloseReason r) {
  switch (r) {
    case CloseReason::kPeerClosed: return "peer_closed";
    case CloseReason::kNetworkError: return "network_error";
    case CloseReason::kLocalClose: return "local_close";
    case CloseReason::kIdleTimeout: return "idle_timeout";
    case CloseReason::kKeepAliveTimeout: return "keepalive_timeout";
    case CloseReason::kFramingError: return "framing_error";
    case CloseReason::kMessageTooLarge: return "message_too_large";
    case CloseReason::kWriteQueueFull: return "write_queue_full";
    case CloseReason::kConnectFailed: return "connect_failed";
    case CloseReason::kHandshakeFailed: return "handshake_failed";
    case CloseReason::kShutdown: return "shutdown";
  }
  return "unknown";
}

std::string_view to_string(SendError e) {
  switch (e) {
    case SendError::kFlowDead: return "flow_dead";
    case SendError::kNotOnShard: return "not_on_shard";
    case SendError::kNoListener: return "no_listener";
    case SendError::kMessageTooLarge: return "message_too_large";
    case SendError::kQueueFull: return "queue_full";
    case SendError::kFlowTableFull: return "flow_table_full";
    case SendError::kNetworkError: return "network_error";
    case SendError::kStopped: return "stopped";
  }
  return "unknown";
}

std::string_view to_string(FlowTokenError e) {
  switch (e) {
    case FlowTokenError::kTampered: return "tampered";
    case FlowTokenError::kFlowDead: return "flow_dead";
  }
  return "unknown";
}

std::string Endpoint::to_string() const {
  std::string out;
  if (address.is_v6()) {
    out = "[" + address.to_string() + "]";
  } else {
    out = address.to_string();
  }
  out += ':';
  out += std::to_string(port);
  return out;
}

std::string FlowId::to_string() const {
  return "f" + std::to_string(shard) + "." + std::to_string(slot) + "." +
         std::to_string(generation);
}

void throw_exception_from_error(SendError e, const boost::source_location&) {
  throw std::runtime_error("wimpu::transport::SendError " + std::string(to_string(e)));
}

void throw_exception_from_error(FlowTokenError e, const boost::source_location&) {
  throw std::runtime_error("wimpu::transport::FlowTokenError " + std::string(to_string(e)));
}

void throw_exception_from_error(const StartupError& e, const boost::source_location&) {
  throw std::runtime_error("wimpu::transport: " + e.message);
}

}  // namespace wimpu::transport
