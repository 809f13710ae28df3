#include "wimpu/wimpud/self_signed.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <sys/stat.h>

#include <boost/asio/ip/address.hpp>

namespace wimpu::wimpud {
namespace {

namespace fs = std::filesystem;

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::string san_list(const std::vector<std::string>& hosts) {
  std::string out;
  for (const std::string& h : hosts) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(h, ec);
    out += (out.empty() ? "" : ",") + std::string(ec ? "DNS:" : "IP:") + h;
  }
  return out;
}

bool add_ext(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Free> ext(
      X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

}  // namespace

Expected<bool, std::string> ensure_self_signed(const std::string& cert_file,
                                               const std::string& key_file,
                                               const std::vector<std::string>& hosts) {
  std::error_code ec;
  if (fs::exists(cert_file, ec) && fs::exists(key_file, ec)) {
    return false;
  }
  for (const std::string& f : {cert_file, key_file}) {
    const fs::path dir = fs::path(f).parent_path();
    if (!dir.empty()) {
      fs::create_directories(dir, ec);
      if (ec) {
        return "cannot create " + dir.string() + ": " + ec.message();
      }
    }
  }
  std::unique_ptr<EVP_PKEY, Free> key(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, Free> cert(X509_new());
  if (!key || !cert) {
    return std::string("OpenSSL could not make a key");
  }
  X509_set_version(cert.get(), 2);  // v3
  // A random serial (RFC 5280 §4.1.2.2: positive, at most 20 octets).
  unsigned char serial[16];
  std::FILE* rnd = std::fopen("/dev/urandom", "rb");
  const bool got = rnd != nullptr && std::fread(serial, 1, sizeof serial, rnd) == sizeof serial;
  if (rnd != nullptr) {
    std::fclose(rnd);
  }
  if (!got) {
    return std::string("cannot read /dev/urandom");
  }
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn = hosts.empty() ? "wimpu" : hosts.front();
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("wimpu self-signed"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  if ((!hosts.empty() && !add_ext(cert.get(), NID_subject_alt_name, san_list(hosts))) ||
      !add_ext(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(cert.get(), NID_ext_key_usage, "serverAuth")) {
    return std::string("OpenSSL refused the certificate extensions (hosts: ") + san_list(hosts) + ")";
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return std::string("OpenSSL could not sign the certificate");
  }
  const mode_t old = ::umask(077);  // the key is created 0600
  std::unique_ptr<std::FILE, Free> kf(std::fopen(key_file.c_str(), "wb"));
  std::unique_ptr<std::FILE, Free> cf(std::fopen(cert_file.c_str(), "wb"));
  ::umask(old);
  if (!kf || !cf) {
    return "cannot write " + (kf ? cert_file : key_file);
  }
  if (PEM_write_PrivateKey(kf.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_X509(cf.get(), cert.get()) != 1) {
    return "cannot write the PEM files " + cert_file + ", " + key_file;
  }
  return true;
}

}  // namespace wimpu::wimpud
