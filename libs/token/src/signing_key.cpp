#include "wimpu/token/signing_key.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include <fstream>
#include <iterator>

#include "ossl.hpp"
#include "wimpu/common/fd_io.hpp"

namespace wimpu::token {
namespace {

struct BioFree {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

Expected<SigningKeyPtr, KeyError> wrap(ossl::PkeyPtr pkey, std::string kid,
                                       SigningKeyPtr (*make)(EVP_PKEY*, PublicKeyPtr)) {
  auto pub = PublicKey::from_native(pkey.get(), std::move(kid));
  if (!pub) {
    return pub.error();
  }
  return make(pkey.release(), std::move(*pub));
}

}  // namespace

SigningKey::SigningKey(evp_pkey_st* pkey, PublicKeyPtr pub) : pkey_(pkey), public_(std::move(pub)) {}

SigningKey::~SigningKey() { EVP_PKEY_free(pkey_); }

Expected<SigningKeyPtr, KeyError> SigningKey::from_pem(std::string_view pem, std::string kid) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    return KeyError::kCrypto;
  }
  // A null password callback with an empty passphrase: encrypted keys fail instead of prompting.
  char empty[] = "";
  ossl::PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, empty));
  if (!pkey) {
    ossl::clear_errors();
    return KeyError::kBadKey;
  }
  return wrap(std::move(pkey), std::move(kid), [](EVP_PKEY* p, PublicKeyPtr pub) {
    return SigningKeyPtr(new SigningKey(p, std::move(pub)));
  });
}

Expected<SigningKeyPtr, KeyError> SigningKey::load_pem_file(const std::string& path,
                                                            std::string kid) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return KeyError::kIo;
  }
  const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    return KeyError::kIo;
  }
  return from_pem(pem, std::move(kid));
}

Expected<SigningKeyPtr, KeyError> SigningKey::generate(Algorithm alg, std::string kid) {
  ossl::PkeyPtr pkey(alg == Algorithm::kEdDSA
                         ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                         : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!pkey) {
    ossl::clear_errors();
    return KeyError::kCrypto;
  }
  return wrap(std::move(pkey), std::move(kid), [](EVP_PKEY* p, PublicKeyPtr pub) {
    return SigningKeyPtr(new SigningKey(p, std::move(pub)));
  });
}

std::string SigningKey::private_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey_, nullptr, nullptr, 0, nullptr,
                                            nullptr) != 1) {
    ossl::clear_errors();
    return {};
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Expected<SigningKeyPtr, KeyError> generate_key_file(Algorithm alg, const std::string& path) {
  auto key = SigningKey::generate(alg);
  if (!key) {
    return key.error();
  }
  const std::string pem = (*key)->private_pem();
  if (pem.empty()) {
    return KeyError::kCrypto;
  }
  // O_EXCL: never clobber an existing key (that would invalidate every token in flight);
  // 0600: the PEM is unencrypted.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return errno == EEXIST ? KeyError::kExists : KeyError::kIo;
  }
  if (!common::write_all(fd, pem)) {
    ::close(fd);
    ::unlink(path.c_str());
    return KeyError::kIo;
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(path.c_str());
    return KeyError::kIo;
  }
  return key;
}

}  // namespace wimpu::token
