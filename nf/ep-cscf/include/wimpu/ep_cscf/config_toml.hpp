#pragma once
// Loading the eP-CSCF configuration from TOML (nf/ep-cscf/README.md documents every key;
// examples/ep-cscf.toml is a complete example). Used by wimpu-ep-cscf and apps/wimpud.
#include <string>

#include <toml++/toml.h>

#include "wimpu/common/expected.hpp"
#include "wimpu/ep_cscf/config.hpp"

namespace wimpu::ep_cscf {

/// What is wrong with a configuration: the dotted key ("domains[0].block.range_first") and why.
struct ConfigError {
  std::string key;
  std::string reason;
  /// "<key>: <reason>".
  std::string message() const { return key + ": " + reason; }
};

/// Parses and validates the eP-CSCF sections of `root`: [ep_cscf], [[listeners]], [proxy],
/// [timers], [registrar], [registration], [standard], [[domains]] (with [domains.block],
/// [[domains.issuers]], [domains.registration]). Relative jwks_file paths are kept as written
/// (the caller resolves them against the config file's folder if it wants). Unknown keys in the
/// eP-CSCF's own sections are errors (a typo must not silently become a default).
/// Threading: any thread; no I/O (JWKS files are read by Server::start()). Never throws.
Expected<EpCscfConfig, ConfigError> parse_ep_cscf_config(const toml::table& root);

/// Reads `path` and parses it as above; a TOML syntax error is reported with key "<file>" and
/// the parser's line/column. Never throws.
Expected<EpCscfConfig, ConfigError> load_ep_cscf_config(const std::string& path);

}  // namespace wimpu::ep_cscf
