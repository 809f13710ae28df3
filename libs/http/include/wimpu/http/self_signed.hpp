#pragma once
// The project's one self-signed certificate generator: tests, benchmarks, the all-in-one daemon
// (`[tls] self_signed`) and the Diameter node without configured TLS files all use it. Real
// deployments use certificates from their own CA (docs/deployment.md). Startup-time code: errors
// are returned as text, never thrown.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "wimpu/common/expected.hpp"
#include "wimpu/http/tls.hpp"

namespace wimpu::http {

/// The key algorithm of a generated certificate (and of its signature).
enum class CertKeyType {
  kP256,     ///< ECDSA on P-256 with SHA-256: the default, cheap to make and to use
  kEd25519,  ///< Ed25519 (RFC 8410); needs TLS 1.3 or a TLS 1.2 peer offering it (RFC 8422)
  kRsa2048,  ///< RSA 2048 with SHA-256: only where RSA itself is measured (bench/transport)
};

/// What to put in a self-signed certificate. The defaults make a one-day P-256 trust anchor for
/// loopback ("localhost", 127.0.0.1, ::1).
struct SelfSignedOptions {
  /// subjectAltName entries: IP literals (v4 or v6) become iPAddress entries, anything else a
  /// dNSName (RFC 5280 §4.2.1.6). Empty: no subjectAltName extension.
  std::vector<std::string> hosts = {"localhost", "127.0.0.1", "::1"};
  /// Subject (and issuer) CN. Empty: the first host, or "wimpu" without hosts.
  std::string common_name = {};
  /// Subject (and issuer) O; empty: none.
  std::string organization = {};
  CertKeyType key_type = CertKeyType::kP256;
  /// notBefore is this far before now, as slack for clocks of other processes and peers.
  std::chrono::seconds backdate = std::chrono::hours(1);
  /// notAfter is this far after now.
  std::chrono::seconds valid_for = std::chrono::hours(24);
  /// true: a CA certificate (basicConstraints critical CA:TRUE, keyUsage critical digitalSignature
  /// and keyCertSign, subjectKeyIdentifier: RFC 5280 §4.2.1.2, §4.2.1.3, §4.2.1.9), which a peer
  /// can use as its trust anchor and GnuTLS (freeDiameter) accepts as its own chain.
  /// false: an end-entity certificate (basicConstraints critical CA:FALSE), as browsers expect.
  bool ca = true;
  /// true: extendedKeyUsage serverAuth only (RFC 5280 §4.2.1.12), so the certificate cannot
  /// serve as a TLS client certificate. false: no extendedKeyUsage (any purpose).
  bool server_auth_only = false;
};

/// Generates a fresh key and a self-signed X.509 v3 certificate (random positive 128-bit serial,
/// RFC 5280 §4.1.2.2) as PEM text (PKCS#8 key). Errors name the OpenSSL step or the bad host.
/// Thread-safe (OpenSSL 3); takes a few ms for EC keys and ~100 ms for RSA 2048.
Expected<CertificatePem, std::string> make_self_signed_certificate(
    const SelfSignedOptions& options = {});

/// Writes `pem` to `cert_file` (mode 0644) and `key_file` (mode 0600), creating the parent
/// directories and replacing existing files (removed first, so a pre-existing file's mode does not
/// survive). Errors name the file. Not atomic across the two files.
Expected<void, std::string> write_pem_files(const CertificatePem& pem,
                                            const std::filesystem::path& cert_file,
                                            const std::filesystem::path& key_file);

}  // namespace wimpu::http
