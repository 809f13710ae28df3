#pragma once
// A self-signed certificate (CN 127.0.0.1) in a temporary directory for the transport
// benchmarks' TLS servers; the files go when the CertFiles object does.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

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

inline bool make_cert(const std::string& type, CertFiles& out) {
  char tmpl[] = "/tmp/wimpu-tlsmem-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    return false;
  }
  out.dir = tmpl;
  out.cert = out.dir + "/cert.pem";
  out.key = out.dir + "/key.pem";
  EVP_PKEY* pkey = type == "rsa" ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_sign(x, pkey, EVP_sha256());
  FILE* f = std::fopen(out.cert.c_str(), "w");
  PEM_write_X509(f, x);
  std::fclose(f);
  f = std::fopen(out.key.c_str(), "w");
  PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(pkey);
  return true;
}

}  // namespace wimpu::bench
