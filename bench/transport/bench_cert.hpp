#pragma once
// A self-signed certificate (CN and SAN 127.0.0.1, from wimpu/http/self_signed.hpp) in a
// temporary directory for the transport benchmarks' TLS servers; the files go when the CertFiles
// object does. RSA stays selectable: tls_memory measures the heap per connection by key type.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "wimpu/http/self_signed.hpp"

namespace wimpu::bench {

struct CertFiles {
  std::string dir, cert, key;
  ~CertFiles() {
    if (!dir.empty()) {
      ::unlink(cert.c_str());
      ::unlink(key.c_str());
      ::rmdir(dir.c_str());
    }
  }
};

/// `type`: "rsa" (RSA 2048) or anything else (P-256). False, with the reason on stderr, on failure.
inline bool make_cert(const std::string& type, CertFiles& out) {
  char tmpl[] = "/tmp/wimpu-tlsmem-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    return false;
  }
  out.dir = tmpl;
  out.cert = out.dir + "/cert.pem";
  out.key = out.dir + "/key.pem";
  http::SelfSignedOptions options;
  options.hosts = {"127.0.0.1"};
  options.key_type = type == "rsa" ? http::CertKeyType::kRsa2048 : http::CertKeyType::kP256;
  auto pem = http::make_self_signed_certificate(options);
  auto written = pem ? http::write_pem_files(*pem, out.cert, out.key)
                     : Expected<void, std::string>(boost::system::in_place_error, pem.error());
  if (!written) {
    std::fprintf(stderr, "certificate: %s\n", written.error().c_str());
    return false;
  }
  return true;
}

}  // namespace wimpu::bench
