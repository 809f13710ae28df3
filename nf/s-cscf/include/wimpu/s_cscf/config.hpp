#pragma once
// S-CSCF configuration: the [s_cscf] section (parse_s_cscf_config, also called by wimpud) and the
// standalone process's whole file (load_s_cscf_process_config). Keys are documented in
// nf/s-cscf/README.md. Loaded at start-up only.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "wimpu/common/expected.hpp"
#include "wimpu/cscf_node/sip_node.hpp"
#include "wimpu/diameter/node_config.hpp"

namespace wimpu::s_cscf {

/// The I-CSCF that fronts a terminating domain (TS 24.229 §5.4.3.2: the S-CSCF forwards an
/// originating request toward the I-CSCF of the callee's home network).
struct IcscfRoute {
  std::string domain;  ///< Request-URI host (case-insensitive)
  std::string uri;     ///< SIP URI of the I-CSCF, e.g. "sip:127.0.0.1:5060"
};

/// A node trusted by address: "ip" (any port) or "ip:port" ("[v6]:port" for IPv6).
struct TrustedAddress {
  std::string host;
  std::uint16_t port = 0;  ///< 0: any port
};

/// The S-CSCF's own settings (TOML section [s_cscf]).
struct ScscfConfig {
  /// Our SIP URI as the HSS stores it (SAR Server-Name) and the I-CSCF routes to it
  /// ("sip:host:port"). Required.
  std::string server_name;
  /// Domains whose users this S-CSCF serves (a request to one of them that is not forwarded to an
  /// I-CSCF is terminated here).
  std::vector<std::string> home_domains;
  /// Per-domain I-CSCF for originating requests.
  std::vector<IcscfRoute> icscfs;
  /// eP-CSCFs whose `integrity-protected="auth-done"` is believed (TS 24.229 §5.4.1.2.2F,
  /// trusted node authentication; requirements X-03).
  std::vector<TrustedAddress> trusted_nodes;
  /// Intermediate proxies (our I-CSCFs) through which a trusted node's REGISTER may arrive: when
  /// the request comes from one of them, the Via below the top one names the trusted node.
  std::vector<TrustedAddress> trusted_proxies;
  /// Digest nonce lifetime (a credential with an older nonce gets 401 stale=true,
  /// RFC 2617 §3.2.1).
  std::chrono::seconds nonce_ttl{300};
  /// Registration expiry (RFC 3261 §10.3 step 7): default when the UE gives none, the floor
  /// (423 + Min-Expires below it) and the ceiling.
  std::uint32_t default_expires = 3600;
  std::uint32_t min_expires = 60;
  std::uint32_t max_expires = 7200;
  /// How often shard 0 removes expired contacts and sends SAR TIMEOUT_DEREGISTRATION.
  std::chrono::milliseconds sweep_interval{1000};
};

/// A configuration error: the key (dotted path) and why.
struct ConfigError {
  std::string key;
  std::string reason;
  /// "s_cscf.server_name: required" style text.
  std::string message() const { return key + ": " + reason; }
};

/// Parses the [s_cscf] table (`section` is that table, not the file root). Never throws; the
/// error names the bad key and why.
Expected<ScscfConfig, ConfigError> parse_s_cscf_config(const toml::table& section);

/// The standalone wimpu-s-cscf process: SIP node, S-CSCF, HSS client and Diameter node.
struct ScscfProcessConfig {
  cscf_node::SipNodeConfig sip;
  ScscfConfig s_cscf;
  diameter::NodeConfig diameter;
  std::string hss_realm;                      ///< [hss] realm (Destination-Realm)
  std::string hss_host;                       ///< [hss] host (Destination-Host), optional
  std::chrono::milliseconds hss_timeout{2000};  ///< [hss] timeout_ms
};

/// Reads `path`: [[listeners]], [proxy], [timers], [s_cscf], [hss], [diameter]. Throws
/// std::runtime_error naming the bad key (start-up only).
ScscfProcessConfig load_s_cscf_process_config(const std::filesystem::path& path);

}  // namespace wimpu::s_cscf
