#pragma once
// The WebSocket handshake hook (RFC 7118 §7 and App. A.1: Origin check, cookies, HTTP 401/403
// before the upgrade; RFC 6455 §4.2.2 lets the server refuse with any HTTP error).
#include <functional>
#include <string>
#include <string_view>

#include "wimpu/transport/types.hpp"

namespace wimpu::transport {

/// A WebSocket upgrade request that already negotiated the `sip` subprotocol (RFC 7118 §4.1;
/// requests without it were refused with 400 before the hook is asked).
/// The views point into the request and are valid only during the hook call.
struct WsHandshakeRequest {
  Protocol protocol = Protocol::kWs;  ///< kWs or kWss.
  ListenerId listener = 0;
  Endpoint local;
  Endpoint remote;
  std::string_view target;         ///< Request target (path and query).
  std::string_view host;           ///< Host header.
  std::string_view origin;         ///< Origin header, empty when absent.
  std::string_view cookie;         ///< Cookie header(s), joined with "; ", empty when absent.
  std::string_view authorization;  ///< Authorization header, empty when absent.
  std::string_view user_agent;
};

/// The hook's answer.
struct WsHandshakeDecision {
  enum class Verdict { kAccept, kForbidden, kUnauthorized };
  Verdict verdict = Verdict::kAccept;
  /// For kUnauthorized: the WWW-Authenticate challenge to send with the 401 (may be empty).
  std::string www_authenticate;

  static WsHandshakeDecision accept() { return {}; }
  static WsHandshakeDecision forbidden() { return {Verdict::kForbidden, {}}; }
  static WsHandshakeDecision unauthorized(std::string challenge) {
    return {Verdict::kUnauthorized, std::move(challenge)};
  }
};

/// Decides whether a WebSocket upgrade goes ahead: kAccept upgrades (101 with
/// `Sec-WebSocket-Protocol: sip`), kForbidden answers 403 and kUnauthorized 401, then the
/// connection closes (counter transport.<proto>.handshake_refused_by_hook).
///
/// Threading: called on the shard that accepted the connection, concurrently from several shards;
/// it must not block (no I/O; consult an immutable snapshot, e.g. an Origin allow-list).
/// An empty hook accepts every request.
using WsHandshakeHook = std::function<WsHandshakeDecision(const WsHandshakeRequest&)>;

}  // namespace wimpu::transport
