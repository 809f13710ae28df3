#pragma once
// wimpud's configuration: one TOML file naming the network functions this process runs, each with
// its own listeners (docs/config.md documents every key with its default). Parsing is strict and
// typed: a wrong type, an out-of-range value, a missing required key or an unknown key is refused
// with the key's path ("ep_cscf.listeners[1].port") and the reason, before anything starts.
//
// Sections: [wimpud] [admin] [tls] [[blocks]] [registrar] [wwsf] [ep_cscf] [ei_cscf] [s_cscf]
// [hss] [diameter] ([ep_cscf] is nf/ep-cscf's own layout, parsed by
// ep_cscf::parse_ep_cscf_config; [s_cscf]'s own keys go to s_cscf::parse_s_cscf_config.)
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "wimpu/admin/admin_server.hpp"
#include "wimpu/cscf_node/sip_node.hpp"
#include "wimpu/common/expected.hpp"
#include "wimpu/diameter/node_config.hpp"
#include "wimpu/ei_cscf/ei_cscf.hpp"
#include "wimpu/ep_cscf/config.hpp"
#include "wimpu/registrar/block.hpp"
#include "wimpu/registrar/redis_registrar.hpp"
#include "wimpu/s_cscf/config.hpp"
#include "wimpu/wwsf/config.hpp"

namespace wimpu::wimpud {

/// A refused configuration: where and why.
struct ConfigError {
  std::string key;     ///< dotted path with array indexes, e.g. "ep_cscf.domains[0].block"
  std::string reason;  ///< e.g. "expected an integer in 0..65535, got 70000"
  /// "config error at <key>: <reason>" (one line).
  std::string to_string() const;
};

/// [tls]: the certificate the WSS listeners and the WWSF's HTTPS share unless they name their own.
struct TlsSection {
  std::string cert_file;  ///< PEM chain; empty with self_signed: state_dir/tls/cert.pem
  std::string key_file;   ///< PEM key; empty with self_signed: state_dir/tls/key.pem
  /// Make a self-signed certificate on first run when the files do not exist (dev, all-in-one).
  bool self_signed = false;
  /// subjectAltNames of the generated certificate (DNS names or IP literals).
  std::vector<std::string> hosts{"localhost", "127.0.0.1", "::1"};
};

enum class CxMode : std::uint8_t {
  kInProcess,  ///< the eI-CSCF calls the [hss] of this process directly (no Diameter)
  kDiameter,   ///< Cx over the process's [diameter] node
};

/// [ei_cscf]: the SIP node (listeners/proxy/timers) and the eI-CSCF policy.
struct EiCscfSection {
  cscf_node::SipNodeConfig sip;
  ei_cscf::EiCscfConfig policy;
  CxMode cx = CxMode::kInProcess;
  std::string hss_realm;  ///< Destination-Realm of Cx requests (diameter mode)
  std::string hss_host;   ///< Destination-Host, optional
  std::chrono::milliseconds hss_timeout{2000};
};

/// [s_cscf]: the SIP node (listeners/proxy/timers), the S-CSCF's own keys (nf/s-cscf) and its
/// Cx (the [hss] of this process, or Diameter).
struct ScscfSection {
  cscf_node::SipNodeConfig sip;
  s_cscf::ScscfConfig policy;
  CxMode cx = CxMode::kInProcess;
  std::string hss_realm;  ///< Destination-Realm of Cx requests (diameter mode)
  std::string hss_host;   ///< Destination-Host, optional
  std::chrono::milliseconds hss_timeout{2000};
};

/// [hss]: the reference HSS.
struct HssSection {
  std::filesystem::path subscribers;  ///< TOML subscriber file (nf/hss), re-read on SIGHUP
  std::string identity = "hss.wimpu.local";  ///< Origin-Host of in-process answers
  std::string realm = "wimpu.local";         ///< Origin-Realm of in-process answers
  bool serve_diameter = false;  ///< also serve Cx over the [diameter] node (split deployments)
};

/// [registrar]: which W4 backend the eP-CSCF (and the eI-CSCF without an eP-CSCF) use.
struct RegistrarSection {
  ep_cscf::RegistrarBackend backend = ep_cscf::RegistrarBackend::kMemory;
  registrar::RedisOptions redis;
};

/// The whole file, validated. Relative paths are already resolved against the file's directory.
struct DaemonConfig {
  std::filesystem::path base_dir;   ///< directory of the config file
  std::filesystem::path state_dir;  ///< [wimpud] state_dir (generated TLS, WWSF users)
  std::optional<admin::AdminOptions> admin;  ///< [admin]; absent when enabled = false
  TlsSection tls;
  /// [[blocks]], or with [ep_cscf] the blocks of its domains (ep_cscf->domains[].block).
  std::vector<registrar::BlockConfig> blocks;
  RegistrarSection registrar;
  std::optional<wwsf::WwsfConfig> wwsf;
  std::optional<ep_cscf::EpCscfConfig> ep_cscf;
  std::optional<EiCscfSection> ei_cscf;
  std::optional<HssSection> hss;
  /// [s_cscf]; in one process with [hss] its Cx goes to that HSS in-process, like the eI-CSCF's.
  std::optional<ScscfSection> s_cscf;
  std::optional<diameter::NodeConfig> diameter;
  /// Demo user created in the WWSF store when it has no users ([wwsf] demo_user/demo_password).
  std::string demo_user;
  std::string demo_password;
  /// The parsed file (overrides applied) this was validated from: a SIGHUP reload compares the
  /// re-read file with it to name the changed keys that need a restart (Daemon::reload).
  toml::table source;
};

/// Validates `root` (a parsed file) whose relative paths are relative to `base_dir`.
Expected<DaemonConfig, ConfigError> parse_config(const toml::table& root,
                                                 const std::filesystem::path& base_dir);

/// Applies one command-line override "a.b[1].c=value" to `root` (wimpud --set): the value is
/// read as a TOML value (`admin.port=0`, `tls.self_signed=false`, `wwsf.allowed_origins=["x"]`),
/// else taken as a string (`wwsf.static_root=/srv/wic`). Missing tables are created; array
/// elements must exist. The error's key is the override's path.
Expected<void, ConfigError> apply_override(toml::table& root, std::string_view assignment);

/// Reads `path`, applies `overrides` in order, and validates the result; TOML syntax errors name
/// the line and column.
Expected<DaemonConfig, ConfigError> load_config(const std::filesystem::path& path,
                                                const std::vector<std::string>& overrides = {});

}  // namespace wimpu::wimpud
