#pragma once
// wimpud's process: the network functions a DaemonConfig names, started in dependency order, each
// on its own listeners and threads, plus the admin endpoint. main.cpp only parses the command
// line, maps signals to drain()/reload() and exits; tests run this same object in-process.
//
// Start order: HSS (its own executor) -> Diameter node -> eP-CSCF (needs the WWSF's public keys,
// taken directly from the in-process token minter) -> WWSF (its WIC config names the eP-CSCF's
// bound WSS listeners) -> eI-CSCF (W4 = the eP-CSCF's registrar in one process; Cx = the HSS
// in-process, since freeDiameter is a per-process singleton) -> admin. Stop is the reverse, with
// the WWSF first so no new tokens are minted while the SIP side drains.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wimpu/common/expected.hpp"
#include "wimpu/transport/types.hpp"
#include "wimpu/wimpud/config.hpp"

namespace wimpu::wimpud {

/// One bound listener of one function (for logs, health and tests).
struct BoundListener {
  std::string function;  ///< "wwsf", "ep_cscf", "ei_cscf", "hss", "admin"
  std::string protocol;  ///< "udp", "tcp", "tls", "ws", "wss", "https", "http", "diameter"
  std::string address;
  std::uint16_t port = 0;
};

/// Lifecycle (main thread only): create() -> start() -> [reload()...] -> drain().
class Daemon {
public:
  /// Builds nothing yet; `config` must come from parse_config().
  explicit Daemon(DaemonConfig config);
  /// Calls drain().
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// Creates the state directory and generated files (self-signed TLS, demo user), then starts
  /// every configured function. On error everything started so far is stopped again and the
  /// text names the function and the cause.
  Expected<void, std::string> start();
  /// SIGHUP (issue 7) with `fresh`, the configuration file read again (main.cpp re-runs
  /// load_config; what cannot change without a restart is taken from the running one): the HSS
  /// subscriber file; the WWSF's signing keys when it has a signing_key_file (its users are
  /// re-read by the WWSF itself when the file changes); the eP-CSCF's trusted-issuer keys (the
  /// in-process WWSF's new JWKS, or jwks_file re-read) and allowed Origins. A part that fails
  /// keeps what is in force. Returns one line per action. Main thread.
  std::vector<std::string> reload(const DaemonConfig& fresh);
  /// reload(config()): the running configuration (files it names are re-read).
  std::vector<std::string> reload();
  /// SIGTERM: readiness goes false (/readyz 503 "draining"), the WWSF stops minting, the
  /// eP-CSCF de-registers its blocks upstream (bounded by deregister_wait) while the CSCFs of
  /// this process still run, then the functions stop in reverse start order: the transport
  /// closes every WIC connection, and the WICs reconnect (to another eP-CSCF or this one once
  /// restarted). Idempotent.
  void drain();

  /// Every bound listener, after start().
  const std::vector<BoundListener>& listeners() const;
  /// The admin port (0 without [admin]).
  std::uint16_t admin_port() const;
  /// The URL a browser opens (https://<address>:<port>/), empty without [wwsf].
  std::string wwsf_url() const;
  const DaemonConfig& config() const;

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace wimpu::wimpud
