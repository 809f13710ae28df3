#pragma once
// The WWSF network function (TR 23.706 §5.2.2.5.2 steps 1-3; requirements, T-10, W-11):
// web login over HTTPS, server-side sessions, identity assertions (JWT) for the eP-CSCF, the JWKS
// that verifies them, and the WIC's static files and /wic-config.json.
//
// HTTP API (JSON bodies; every POST needs an allowed Origin, and all but login the session's
// X-CSRF-Token):
//   POST /api/login   {"username","password"} -> 200 {"username","block","csrf_token"} + cookie;
//                     401 bad credentials; 429 + Retry-After when rate-limited
//   POST /api/logout  -> 204, session erased, cookie cleared
//   GET  /api/me      -> 200 {"username","block","csrf_token"} or 401
//   POST /api/token   -> 200 {"token","token_type":"Bearer","expires_in","expires_at","block"}
//   GET  /.well-known/jwks.json, GET /wic-config.json, GET /* (static WIC files)
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wimpu/common/clock.hpp"
#include "wimpu/common/expected.hpp"
#include "wimpu/wwsf/config.hpp"
#include "wimpu/wwsf/token_minter.hpp"

namespace wimpu::wwsf {

/// Name of the session cookie over HTTPS: the __Host- prefix makes the browser insist on Secure,
/// Path=/ and no Domain (RFC 6265bis §4.1.3.2), so a sibling host cannot plant one.
inline constexpr const char* kSessionCookie = "__Host-wimpu_sid";
/// Name used in plain-HTTP test mode, where __Host- cookies are not allowed.
inline constexpr const char* kPlainSessionCookie = "wimpu_sid";
/// Request header carrying the session's CSRF token.
inline constexpr const char* kCsrfHeader = "X-CSRF-Token";

/// The token minter for `config`: issuer, audience, lifetime, signing key file (empty: a fresh
/// key) and retired key files. Startup-time: errors are returned as text.
Expected<TokenMinterPtr, std::string> make_minter(
    const WwsfConfig& config, common::ClockPtr clock = common::SystemClock::instance());

/// A running WWSF: owns its io_context, I/O threads and password-check pool.
class Wwsf {
public:
  /// Validates `config` (issuer, audience, block, user store path, TLS files unless plain) and
  /// builds the server. `minter` signs tokens; `clock` gives session/rate-limit time and the
  /// token times (wall clock). Startup-time: errors are returned as text.
  static Expected<std::unique_ptr<Wwsf>, std::string> create(
      WwsfConfig config, TokenMinterPtr minter,
      common::ClockPtr clock = common::SystemClock::instance());
  ~Wwsf();
  Wwsf(const Wwsf&) = delete;
  Wwsf& operator=(const Wwsf&) = delete;

  /// Binds the listener and starts the threads. Returns once the port is bound.
  Expected<void, std::string> start();
  /// The bound TCP port (after start()).
  std::uint16_t port() const;
  /// Stops accepting, stops the threads and joins them. Idempotent; called by the destructor.
  void stop();
  /// The WwsfConfig given to create(); allowed_origins there is the start-up list (see
  /// allowed_origins() for the one in force).
  const WwsfConfig& config() const;
  /// Reload (issue 7 "SIGHUP reloads"): `allowed` replaces WwsfConfig::allowed_origins for every
  /// request that starts after this call (Origin check of POSTs, CORS answers and preflights);
  /// requests already being handled finish under the list they started with. Thread-safe.
  void set_allowed_origins(std::vector<std::string> allowed);
  /// The cross-origin callers in force. Thread-safe.
  std::vector<std::string> allowed_origins() const;

  struct Impl;

private:
  explicit Wwsf(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wimpu::wwsf
