#include "wimpu/wimpud/self_signed.hpp"

#include <chrono>
#include <filesystem>

#include "wimpu/http/self_signed.hpp"

namespace wimpu::wimpud {

Expected<bool, std::string> ensure_self_signed(const std::string& cert_file,
                                               const std::string& key_file,
                                               const std::vector<std::string>& hosts) {
  std::error_code ec;
  if (std::filesystem::exists(cert_file, ec) && std::filesystem::exists(key_file, ec)) {
    return false;
  }
  // What browsers accept for the WWSF's HTTPS and the WSS listeners once the user has accepted
  // the warning: an end-entity certificate (CA:FALSE) for the server role only, naming every
  // configured host. A year, so that a development setup does not expire under its user.
  http::SelfSignedOptions options;
  options.hosts = hosts;
  options.organization = "wimpu self-signed";
  options.ca = false;
  options.server_auth_only = true;
  options.valid_for = std::chrono::hours(365 * 24);
  auto pem = http::make_self_signed_certificate(options);
  if (!pem) {
    return pem.error();
  }
  if (auto written = http::write_pem_files(*pem, cert_file, key_file); !written) {
    return written.error();
  }
  return true;
}

}  // namespace wimpu::wimpud
