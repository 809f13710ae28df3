#pragma once
// A self-signed certificate for development and the all-in-one deployment (issue 7): ECDSA P-256,
// subjectAltName = the configured hosts (DNS names or IP literals), valid 365 days, made by
// wimpu/http/self_signed.hpp. Real deployments use certificates from their own CA
// (docs/deployment.md).
#include <string>
#include <vector>

#include "wimpu/common/expected.hpp"

namespace wimpu::wimpud {

/// Writes `cert_file` (mode 0644) and `key_file` (mode 0600), directories created, unless both
/// exist already.
/// Returns true when it generated them. Startup-time: errors are returned as text.
Expected<bool, std::string> ensure_self_signed(const std::string& cert_file,
                                               const std::string& key_file,
                                               const std::vector<std::string>& hosts);

}  // namespace wimpu::wimpud
