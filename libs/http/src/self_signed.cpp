#include "wimpu/http/self_signed.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "openssl_util.hpp"
#include "wimpu/common/fd_io.hpp"

namespace wimpu::http {
namespace {

using detail::openssl_error;
using detail::OpenSslPtr;
namespace fs = std::filesystem;

// CertificatePem is constructible from a string, so name the error alternative explicitly.
Expected<CertificatePem, std::string> cert_error(std::string what) {
  return {boost::system::in_place_error, std::move(what)};
}

OpenSslPtr<EVP_PKEY> generate_key(CertKeyType type) {
  switch (type) {
    case CertKeyType::kP256:
      return OpenSslPtr<EVP_PKEY>(EVP_EC_gen("P-256"));
    case CertKeyType::kEd25519:
      return OpenSslPtr<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    case CertKeyType::kRsa2048:
      return OpenSslPtr<EVP_PKEY>(EVP_RSA_gen(2048));
  }
  return nullptr;
}

// The subjectAltName value in OpenSSL's config syntax ("DNS:a,IP:127.0.0.1"); an error for a
// host that the syntax cannot carry. Both alternatives are strings, so each return names its own.
Expected<std::string, std::string> san_value(const std::vector<std::string>& hosts) {
  std::string out;
  for (const std::string& h : hosts) {
    if (h.empty() || h.find_first_of(", \t\r\n") != std::string::npos) {
      return {boost::system::in_place_error, "bad certificate host \"" + h + "\""};
    }
    boost::system::error_code ec;
    boost::asio::ip::make_address(h, ec);
    out += out.empty() ? "" : ",";
    out += (ec ? "DNS:" : "IP:") + h;
  }
  return {boost::system::in_place_value, std::move(out)};
}

bool add_ext(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  OpenSslPtr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

bool add_name(X509_NAME* name, const char* field, const std::string& value) {
  return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                    0) == 1;
}

// A random positive serial of 16 octets (RFC 5280 §4.1.2.2: positive, at most 20 octets).
bool set_random_serial(X509* cert) {
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) {
    return false;
  }
  serial[0] &= 0x7F;
  OpenSslPtr<BIGNUM> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  return bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

template <class Write>
std::string to_pem(Write write) {
  OpenSslPtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) {
    return {};
  }
  return detail::bio_string(bio.get());
}

// Creates `path` afresh with `mode` (a file left by an earlier run is removed first so that its
// mode cannot survive) and writes `data`.
Expected<void, std::string> write_file(const fs::path& path, const std::string& data,
                                       mode_t mode) {
  std::error_code ec;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      return "cannot create " + path.parent_path().string() + ": " + ec.message();
    }
  }
  fs::remove(path, ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return "cannot write " + path.string() + ": " + std::strerror(errno);
  }
  if (!common::write_all(fd, data)) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return "cannot write " + path.string() + ": " + why;
  }
  if (::close(fd) != 0) {
    return "cannot write " + path.string() + ": " + std::strerror(errno);
  }
  return {};
}

}  // namespace

Expected<CertificatePem, std::string> make_self_signed_certificate(
    const SelfSignedOptions& options) {
  auto san = san_value(options.hosts);
  if (!san) {
    return cert_error(san.error());
  }
  OpenSslPtr<EVP_PKEY> key = generate_key(options.key_type);
  if (!key) {
    return cert_error(openssl_error("key generation"));
  }
  OpenSslPtr<X509> cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return cert_error(openssl_error("X509_new"));
  }
  if (!set_random_serial(cert.get())) {
    return cert_error(openssl_error("serial number"));
  }
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -options.backdate.count()) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), options.valid_for.count()) == nullptr) {
    return cert_error(openssl_error("validity"));
  }
  X509_set_pubkey(cert.get(), key.get());

  std::string cn = options.common_name;
  if (cn.empty()) {
    cn = options.hosts.empty() ? "wimpu" : options.hosts.front();
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if ((!options.organization.empty() && !add_name(name, "O", options.organization)) ||
      !add_name(name, "CN", cn) || X509_set_issuer_name(cert.get(), name) != 1) {
    return cert_error(openssl_error("subject name"));
  }

  bool ok = san->empty() || add_ext(cert.get(), NID_subject_alt_name, *san);
  if (options.ca) {
    // RFC 5280 §4.2.1.9, §4.2.1.3, §4.2.1.2: a CA certificate asserts cA, keyCertSign and carries
    // a subject key identifier. digitalSignature because the same key signs TLS handshakes.
    ok = ok && add_ext(cert.get(), NID_basic_constraints, "critical,CA:TRUE") &&
         add_ext(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign") &&
         add_ext(cert.get(), NID_subject_key_identifier, "hash");
  } else {
    ok = ok && add_ext(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  }
  if (options.server_auth_only) {
    ok = ok && add_ext(cert.get(), NID_ext_key_usage, "serverAuth");
  }
  if (!ok) {
    return cert_error(openssl_error("X509 extension"));
  }
  // Ed25519 signs the message itself (RFC 8032 PureEdDSA): no separate digest.
  const EVP_MD* md = options.key_type == CertKeyType::kEd25519 ? nullptr : EVP_sha256();
  if (X509_sign(cert.get(), key.get(), md) == 0) {
    return cert_error(openssl_error("X509_sign"));
  }
  CertificatePem pem;
  pem.certificate = to_pem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); });
  pem.private_key = to_pem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (pem.certificate.empty() || pem.private_key.empty()) {
    return cert_error(openssl_error("PEM encoding"));
  }
  return pem;
}

Expected<void, std::string> write_pem_files(const CertificatePem& pem,
                                            const std::filesystem::path& cert_file,
                                            const std::filesystem::path& key_file) {
  if (auto r = write_file(key_file, pem.private_key, 0600); !r) {
    return r;
  }
  return write_file(cert_file, pem.certificate, 0644);
}

}  // namespace wimpu::http
