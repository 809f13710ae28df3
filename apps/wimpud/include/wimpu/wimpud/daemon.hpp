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

/// What one reload did (Daemon::reload).
struct ReloadReport {
  bool applied = false;            ///< false: refused, nothing changed
  std::vector<std::string> lines;  ///< one per action, change or refusal (for the log)
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
  /// SIGHUP with the file re-read (main.cpp: load_config() of the same file and --set
  /// overrides). Atomic: `next` is refused as a whole (report.applied false, one line saying why,
  /// counter wimpud.reload.refused) when it failed validation or when something it names cannot
  /// be loaded (HSS subscriber file, WWSF signing key, an eP-CSCF issuer's JWKS); the running
  /// configuration then stays. Otherwise it puts in force, for requests that start afterwards:
  ///  - hss.subscribers (re-read; registration state kept),
  ///  - wwsf.signing_key_file / retired_key_files (re-read when a file is configured),
  ///  - wwsf.allowed_origins,
  ///  - ep_cscf.domains[n].issuers (added, removed, JWKS re-read) and ep_cscf.allowed_origins.
  /// Every other changed key keeps its running value and gets a line "restart needed: <key>
  /// changed" (counter wimpud.reload.restart_needed), e.g. listeners, blocks, the registrar,
  /// domains. Requests in flight finish under the configuration they started with.
  ReloadReport reload(const Expected<DaemonConfig, ConfigError>& next);
  /// reload() of an already validated configuration.
  ReloadReport reload(const DaemonConfig& next);
  /// reload() of the running configuration: re-reads the files it names (HSS subscribers, WWSF
  /// signing key, eP-CSCF JWKS files). Returns the report's lines.
  std::vector<std::string> reload();
  /// SIGTERM (issue 7 "drains"): readiness goes false (/readyz 503 "draining"), the WWSF stops
  /// minting, the eP-CSCF de-registers its blocks upstream (bounded by deregister_wait) while the
  /// eI-CSCF and S-CSCF of this process still run, then the functions stop in reverse start
  /// order; the eP-CSCF's transport closes every WIC WebSocket with 1001 "going away" (RFC 6455
  /// §7.4.1) so the WICs reconnect (to another eP-CSCF, or to this one once restarted).
  /// Idempotent. Main thread.
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
