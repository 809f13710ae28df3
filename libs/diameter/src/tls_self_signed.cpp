// A throw-away self-signed certificate so that freeDiameter starts when the operator configured
// no TLS files (freeDiameter refuses to start without TLS_Cred even if every peer is No_TLS).
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "fd_bridge.hpp"

namespace wimpu::diameter::detail {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};
struct FileClose {
  void operator()(FILE* f) const { std::fclose(f); }
};

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("diameter: cannot create self-signed certificate: " + what);
}

void add_ext(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ExtFree> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid,
                                                                   value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    fail("extension " + value);
  }
}

std::unique_ptr<FILE, FileClose> open_private(const std::filesystem::path& path, mode_t mode) {
  std::filesystem::remove(path);
  const mode_t old = ::umask(static_cast<mode_t>(0777 & ~mode));
  std::unique_ptr<FILE, FileClose> f(std::fopen(path.c_str(), "w"));
  ::umask(old);
  if (!f) {
    fail("cannot write " + path.string());
  }
  return f;
}

}  // namespace

TlsFiles make_self_signed(const std::string& identity, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  std::unique_ptr<EVP_PKEY, KeyFree> key(EVP_EC_gen("P-256"));
  if (!key) {
    fail("key generation");
  }
  std::unique_ptr<X509, CertFree> cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) {
    fail("X509_new");
  }
  unsigned char serial[8];
  if (RAND_bytes(serial, sizeof serial) != 1) {
    fail("serial");
  }
  serial[0] &= 0x7f;  // positive
  std::uint64_t s = 0;
  for (unsigned char b : serial) {
    s = (s << 8) | b;
  }
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), s);
  // One hour of slack for clock differences between processes and peers.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 3650);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(identity.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  // GnuTLS (freeDiameter's TLS library) checks at start that our own certificate chains to a
  // trusted CA and matches our identity: a self-signed CA certificate with the identity as SAN.
  add_ext(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_ext(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign");
  add_ext(cert.get(), NID_subject_key_identifier, "hash");
  add_ext(cert.get(), NID_subject_alt_name, "DNS:" + identity);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    fail("signature");
  }

  TlsFiles files{dir / "cert.pem", dir / "key.pem", dir / "cert.pem"};
  {
    auto f = open_private(files.key, 0600);
    if (PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      fail("write key");
    }
  }
  {
    auto f = open_private(files.cert, 0644);
    if (PEM_write_X509(f.get(), cert.get()) != 1) {
      fail("write certificate");
    }
  }
  return files;
}

}  // namespace wimpu::diameter::detail
