#pragma once
// Small OpenSSL helpers private to libs/http (tls.cpp, self_signed.cpp).
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace wimpu::http::detail {

/// `what`, then ": " and the oldest queued OpenSSL error if there is one; clears the queue.
inline std::string openssl_error(const char* what) {
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

struct OpenSslFree {
  void operator()(BIO* b) const { BIO_free(b); }
  void operator()(BIGNUM* n) const { BN_free(n); }
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  void operator()(X509* x) const { X509_free(x); }
  void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};
template <class T>
using OpenSslPtr = std::unique_ptr<T, OpenSslFree>;

/// The contents of a memory BIO.
inline std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace wimpu::http::detail
