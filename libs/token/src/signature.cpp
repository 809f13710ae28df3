#include "signature.hpp"

#include <sodium.h>

#include "wimpu/common/counter.hpp"
#include "wimpu/token/base64url.hpp"

namespace wimpu::token {
namespace {

bool sha256(EVP_MD_CTX* ctx, std::string_view input, std::array<std::uint8_t, 32>& out) {
  unsigned int len = 0;
  return ctx != nullptr && EVP_DigestInit_ex2(ctx, ossl::sha256(), nullptr) == 1 &&
         EVP_DigestUpdate(ctx, input.data(), input.size()) == 1 &&
         EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == out.size();
}

}  // namespace

SignatureChecker::SignatureChecker(std::uint32_t table_after) : table_after_(table_after) {
  // Idempotent and thread-safe; picks libsodium's implementations. A failure leaves every Ed25519
  // slot uninitialised (init() checks it), so verification fails closed.
  sodium_ready_ = sodium_init() >= 0;
}

SignatureChecker::Slot* SignatureChecker::slot_for(const PublicKeyPtr& key) {
  for (auto& s : slots_) {
    if (s.key == key) {
      return &s;
    }
  }
  Slot& s = slots_[next_victim_];
  next_victim_ = (next_victim_ + 1) % kSlots;
  s = Slot{};
  s.key = key;
  if (!init(s)) {
    s = Slot{};
    return nullptr;
  }
  return &s;
}

bool SignatureChecker::init(Slot& s) {
  EVP_PKEY* pkey = s.key->native();
  if (s.key->algorithm() == Algorithm::kEdDSA) {
    std::size_t len = s.ed_pub.size();
    return sodium_ready_ && EVP_PKEY_get_raw_public_key(pkey, s.ed_pub.data(), &len) == 1 &&
           len == s.ed_pub.size();
  }
  s.pkey.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  return s.pkey && EVP_PKEY_verify_init(s.pkey.get()) == 1;
}

bool SignatureChecker::verify(const PublicKeyPtr& key, std::string_view input,
                              std::span<const std::uint8_t> sig) {
  if (!key || sig.size() != signature_size(key->algorithm())) {
    return false;
  }
  Slot* s = slot_for(key);
  if (s == nullptr) {
    ossl::clear_errors();
    return false;
  }
  int rc = 0;
  if (key->algorithm() == Algorithm::kEdDSA) {
    // Ed25519 is "pure" (RFC 8032 §5.1.7): the whole signing input, no pre-hash.
    rc = crypto_sign_verify_detached(sig.data(),
                                     reinterpret_cast<const unsigned char*>(input.data()),
                                     input.size(), s->ed_pub.data()) == 0
             ? 1
             : 0;
  } else {
    std::array<std::uint8_t, 32> digest{};
    std::array<std::uint8_t, ossl::kMaxEcdsaDer> der{};
    if (!sha256(digest_.get(), input, digest)) {
      ossl::clear_errors();
      return false;
    }
    if (!s->table && !s->table_failed && s->verified >= table_after_) {
      // The key's one table, shared with the other shards (built here if this shard is first).
      s->table = P256FixedKey::for_key(key);
      s->table_failed = !s->table;
      ossl::clear_errors();
    }
    if (s->table) {
      // Pure arithmetic on public values: a refusal leaves no state behind to rebuild.
      const bool ok = s->table->verify(digest, sig.first<64>());
      if (!ok) {
        ossl::clear_errors();
      }
      return ok;
    }
    const std::size_t der_len = ossl::jose_to_der(sig.first<64>(), der);
    rc = EVP_PKEY_verify(s->pkey.get(), der.data(), der_len, digest.data(), digest.size());
    if (rc == 1) {
      ++s->verified;
    }
  }
  if (rc != 1) {
    // Refused signatures leave reasons on the thread's error queue; drop them, and rebuild the
    // EVP context rather than trust its state after a failure (libsodium keeps none). The slot's
    // count of good signatures stays: forged tokens must not keep a key from its table.
    ossl::clear_errors();
    if (key->algorithm() != Algorithm::kEdDSA && !init(*s)) {
      ossl::clear_errors();
      *s = Slot{};
    }
    return false;
  }
  return true;
}

SignatureMaker::SignatureMaker(SigningKeyPtr key) : key_(std::move(key)) { init(); }

SignatureMaker::~SignatureMaker() { sodium_memzero(ed_secret_.data(), ed_secret_.size()); }

bool SignatureMaker::init() {
  EVP_PKEY* pkey = key_->native();
  pkey_.reset();
  if (key_->algorithm() == Algorithm::kEdDSA) {
    // RFC 8032 §5.1.5: the private key is a 32-byte seed; libsodium expands it the same way
    // OpenSSL does. The derived public key must equal OpenSSL's (the one the JWKS publishes).
    std::array<std::uint8_t, 32> seed{};
    std::array<std::uint8_t, 32> pub{};
    std::array<std::uint8_t, 32> ossl_pub{};
    std::size_t seed_len = seed.size();
    std::size_t pub_len = ossl_pub.size();
    ed_ready_ = sodium_init() >= 0 &&
                EVP_PKEY_get_raw_private_key(pkey, seed.data(), &seed_len) == 1 &&
                seed_len == seed.size() &&
                EVP_PKEY_get_raw_public_key(pkey, ossl_pub.data(), &pub_len) == 1 &&
                pub_len == ossl_pub.size() &&
                crypto_sign_seed_keypair(pub.data(), ed_secret_.data(), seed.data()) == 0 &&
                sodium_memcmp(pub.data(), ossl_pub.data(), pub.size()) == 0;
    sodium_memzero(seed.data(), seed.size());
    if (!ed_ready_) {
      sodium_memzero(ed_secret_.data(), ed_secret_.size());
    }
    return ed_ready_;
  }
  pkey_.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  return pkey_ && EVP_PKEY_sign_init(pkey_.get()) == 1;
}

bool SignatureMaker::sign_append(std::string_view input, std::string& out) {
  if (!ed_ready_ && !pkey_ && !init()) {
    ossl::clear_errors();
    return false;
  }
  std::array<std::uint8_t, 64> jose{};
  bool ok = false;
  if (key_->algorithm() == Algorithm::kEdDSA) {
    unsigned long long len = 0;
    ok = crypto_sign_detached(jose.data(), &len,
                              reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                              ed_secret_.data()) == 0 &&
         len == jose.size();
  } else {
    std::array<std::uint8_t, 32> digest{};
    std::array<std::uint8_t, ossl::kMaxEcdsaDer> der{};
    std::size_t der_len = der.size();
    ok = sha256(digest_.get(), input, digest) &&
         EVP_PKEY_sign(pkey_.get(), der.data(), &der_len, digest.data(), digest.size()) == 1 &&
         ossl::der_to_jose(std::span<const std::uint8_t>(der.data(), der_len), jose);
  }
  if (!ok) {
    ossl::clear_errors();
    pkey_.reset();
    return false;
  }
  base64url::encode_append(jose, out);
  return true;
}

}  // namespace wimpu::token
