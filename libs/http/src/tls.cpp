#include "wimpu/http/tls.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <optional>
#include <sstream>

namespace wimpu::http {

namespace ssl = boost::asio::ssl;

namespace {

std::string openssl_error(const char* what) {
  std::string out = what;
  if (const unsigned long e = ERR_get_error(); e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += ": ";
    out += buf;
  }
  ERR_clear_error();
  return out;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

std::string to_pem(EVP_PKEY* key, X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (cert != nullptr) {
    PEM_write_bio_X509(bio.get(), cert);
  } else {
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

// CertificatePem is constructible from a string, so name the error alternative explicitly.
Expected<CertificatePem, std::string> cert_error(const char* what) {
  return {boost::system::in_place_error, openssl_error(what)};
}

}  // namespace

Expected<std::shared_ptr<ssl::context>, std::string> make_server_tls_context(
    const CertificatePem& pem) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use,
                   ec);
  if (!ec) {
    ctx->use_certificate_chain(boost::asio::buffer(pem.certificate), ec);
  }
  if (ec) {
    return "TLS certificate chain: " + ec.message();
  }
  ctx->use_private_key(boost::asio::buffer(pem.private_key), ssl::context::pem, ec);
  if (ec) {
    return "TLS private key: " + ec.message();
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return openssl_error("TLS private key does not match the certificate");
  }
  return ctx;
}

Expected<std::shared_ptr<ssl::context>, std::string> make_server_tls_context_files(
    const std::string& cert_file, const std::string& key_file) {
  CertificatePem pem;
  auto cert = read_file(cert_file);
  if (!cert) {
    return "cannot read TLS certificate file " + cert_file;
  }
  auto key = read_file(key_file);
  if (!key) {
    return "cannot read TLS key file " + key_file;
  }
  pem.certificate = std::move(*cert);
  pem.private_key = std::move(*key);
  return make_server_tls_context(pem);
}

std::shared_ptr<ssl::context> make_client_tls_context(const std::string& trusted_pem) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1,
                   ec);
  if (trusted_pem.empty()) {
    ctx->set_verify_mode(ssl::verify_none, ec);
  } else {
    ctx->add_certificate_authority(boost::asio::buffer(trusted_pem), ec);
    ctx->set_verify_mode(ssl::verify_peer, ec);
  }
  return ctx;
}

Expected<CertificatePem, std::string> make_self_signed_certificate(const std::string& host) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
  if (!key) {
    return cert_error("EC key generation");
  }
  std::unique_ptr<X509, X509Free> cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) {
    return cert_error("RAND_bytes");
  }
  serial[0] &= 0x7F;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(host.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::string san = "IP:127.0.0.1,IP:::1,DNS:localhost,DNS:" + host;
  for (const auto& [nid, value] :
       {std::pair<int, std::string>{NID_subject_alt_name, san},
        {NID_basic_constraints, "critical,CA:TRUE"},
        {NID_ext_key_usage, "serverAuth"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
    if (ext == nullptr) {
      return cert_error("X509 extension");
    }
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return cert_error("X509_sign");
  }
  return CertificatePem{to_pem(nullptr, cert.get()), to_pem(key.get(), nullptr)};
}

}  // namespace wimpu::http
