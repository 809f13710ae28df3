#pragma once
// Configuration of the process's Diameter node, and the freeDiameter configuration file generated
// from it. wimpud's own config (or the HSS's) fills a NodeConfig; DiameterNode::start() renders it
// with render_freediameter_conf(), writes it into the state directory and loads it with
// fd_core_parseconf(). Nobody edits a freeDiameter.conf by hand.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wimpu::diameter {

/// A peer we connect to (freeDiameter "ConnectPeer").
struct PeerConfig {
  std::string identity;               ///< its Diameter identity (FQDN), e.g. "hss.example"
  std::string address = "127.0.0.1";  ///< ConnectTo: a numeric IPv4/IPv6 address
  std::uint16_t port = 3868;          ///< its listening port (its TLS port when tls is true)
  bool tls = false;  ///< false: plain TCP ("No_TLS"); true: TLS at connection (RFC 6733 §13)
  std::string realm;  ///< if set, the realm it must announce in CER/CEA
};

/// PEM files for TLS. freeDiameter needs a certificate and key even when no peer uses TLS.
struct TlsFiles {
  std::filesystem::path cert;  ///< our certificate (chain); its CN/SAN must match the identity
  std::filesystem::path key;   ///< its private key
  std::filesystem::path ca;    ///< trust anchors for peers' certificates
};

/// Everything the Diameter node needs. Defaults suit a loopback test; see docs/diameter.md.
struct NodeConfig {
  std::string identity;  ///< our Diameter identity (FQDN), e.g. "icscf.example"
  std::string realm;     ///< our realm, e.g. "example"
  /// Local address to listen on (one numeric address; loopback allowed, see docs/diameter.md).
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 0;      ///< plain TCP port; 0 = do not listen (a pure client)
  std::uint16_t tls_port = 0;  ///< separate TLS port; 0 = none
  std::vector<PeerConfig> peers;  ///< peers we connect to
  /// Identities allowed to connect to us without being in `peers` ("*" = anyone). Plain TCP is
  /// accepted from them unless require_tls.
  std::vector<std::string> accept_peers;
  bool require_tls = false;
  /// Certificate, key and CA. When absent, a self-signed certificate for `identity` is generated
  /// at start into state_dir/tls (it is then also the only trust anchor).
  std::optional<TlsFiles> tls;
  /// Where freeDiameter.conf and generated TLS files go. Required; created if missing.
  std::filesystem::path state_dir;
  /// Extra freeDiameter extensions (.fdx paths) to load; none are needed for Cx.
  std::vector<std::filesystem::path> extensions;
  /// Reconnect interval to peers (freeDiameter TcTimer, RFC 6733 §2.1 Tc).
  std::chrono::seconds tc_timer{30};
  /// Device-watchdog interval (RFC 3539 Tw; freeDiameter requires > 5 s).
  std::chrono::seconds tw_timer{30};
  /// freeDiameter dispatch threads (they only copy bytes and post; 2 is plenty).
  unsigned app_threads = 2;
  /// Threshold of freeDiameter log lines forwarded to stderr: "debug", "notice", "error" or "fatal".
  std::string log_level = "error";
};

/// Checks what freeDiameter would reject late or silently: identity/realm syntax (letters, digits,
/// '-', '.'), a numeric listen address, port values, tw_timer > 5 s, no '"' in paths.
/// Returns an empty string when valid, otherwise the reason.
std::string validate(const NodeConfig& config);

/// The freeDiameter.conf text for `config` with the TLS files `tls` (the caller has resolved the
/// generated ones). Pure function (unit-tested). Notes: "ListenOn" is not emitted because
/// freeDiameter drops loopback addresses from it; DiameterNode adds the endpoint itself.
std::string render_freediameter_conf(const NodeConfig& config, const TlsFiles& tls);

}  // namespace wimpu::diameter
