#pragma once
// Loading the eP-CSCF configuration from TOML (nf/ep-cscf/README.md documents every key;
// examples/ep-cscf.toml is a complete example). Used by wimpu-ep-cscf and apps/wimpud.
#include <string>
#include <string_view>
#include <vector>

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

/// What a caller embedding the eP-CSCF (apps/wimpud) adds to the rules below.
struct ParseOptions {
  /// Issuers whose keys the caller supplies itself (e.g. a WWSF minting tokens in the same
  /// process): for these, jwks_file/jwks may both be absent (at most one is still allowed).
  std::vector<std::string> keyless_issuers;
  /// Appended to the "exactly one of jwks_file and jwks is required" reason, to tell the user
  /// which issuers could go without (e.g. "unless the issuer is the [wwsf] of this process").
  std::string keyless_hint;
};

/// Parses and validates the eP-CSCF sections of `root`: [ep_cscf], [[listeners]], [proxy],
/// [timers], [registrar], [registration], [standard], [[domains]] (with [domains.block],
/// [[domains.issuers]], [domains.registration]). Relative jwks_file paths are kept as written
/// (the caller resolves them against the config file's folder if it wants). Unknown keys in the
/// eP-CSCF's own sections are errors (a typo must not silently become a default).
/// Threading: any thread; no I/O (JWKS files are read by Server::start()). Never throws.
Expected<EpCscfConfig, ConfigError> parse_ep_cscf_config(const toml::table& root);

/// As above, with the caller's additions (an issuer in `options.keyless_issuers` gets a
/// TrustedIssuer with empty jwks_file and jwks, which the caller must fill before
/// Server::start()). Never throws.
Expected<EpCscfConfig, ConfigError> parse_ep_cscf_config(const toml::table& root,
                                                         const ParseOptions& options);

/// Empty when `origin` is a web origin as browsers send it in the Origin header (RFC 6454 §6.2):
/// "http://" or "https://", then a lower-case host (name, IPv4, or [IPv6]) and an optional
/// ":port", nothing else (no path, no trailing '/'); otherwise why not. A configured Origin that
/// is not in this form would never match one. Used for ep_cscf.allowed_origins and, by
/// apps/wimpud, wwsf.allowed_origins. Thread-safe.
std::string origin_error(std::string_view origin);

/// Reads `path` and parses it as above; a TOML syntax error is reported with key "<file>" and
/// the parser's line/column. Never throws.
Expected<EpCscfConfig, ConfigError> load_ep_cscf_config(const std::string& path);

}  // namespace wimpu::ep_cscf
