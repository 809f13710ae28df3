// A throw-away self-signed certificate so that freeDiameter starts when the operator configured
// no TLS files (freeDiameter refuses to start without TLS_Cred even if every peer is No_TLS).
// Made by the project's one generator (wimpu/http/self_signed.hpp).
#include <chrono>
#include <stdexcept>
#include <string>

#include "fd_bridge.hpp"
#include "wimpu/http/self_signed.hpp"

namespace wimpu::diameter::detail {

TlsFiles make_self_signed(const std::string& identity, const std::filesystem::path& dir) {
  // GnuTLS (freeDiameter's TLS library) checks at start that our own certificate chains to a
  // trusted CA and matches our identity: a self-signed CA certificate with the identity as SAN
  // (the node trusts its own certificate, `ca` below). Ten years: a long-running node must not
  // find its credentials expired; nobody else trusts this certificate.
  http::SelfSignedOptions options;
  options.hosts = {identity};
  options.ca = true;
  options.valid_for = std::chrono::hours(24 * 3650);
  auto pem = http::make_self_signed_certificate(options);
  if (!pem) {
    throw std::runtime_error("diameter: cannot create self-signed certificate: " + pem.error());
  }
  TlsFiles files{dir / "cert.pem", dir / "key.pem", dir / "cert.pem"};
  if (auto written = http::write_pem_files(*pem, files.cert, files.key); !written) {
    throw std::runtime_error("diameter: cannot create self-signed certificate: " +
                             written.error());
  }
  return files;
}

}  // namespace wimpu::diameter::detail
