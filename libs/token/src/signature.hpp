#pragma once
// JWS signature primitives over OpenSSL 3 EVP, with the per-key EVP contexts kept between calls:
// initialising a context costs ~1.5 us (provider method fetch, key import into the operation),
// which is 2-4% of a P-256/Ed25519 verification and would eat most of the 10% budget (issue 4).
// Objects here are NOT thread-safe: one per shard (verifier) or per thread (issuer).
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ossl.hpp"
#include "p256_fixed_key.hpp"
#include "wimpu/token/jwk.hpp"
#include "wimpu/token/signing_key.hpp"

namespace wimpu::token {

/// Verifies JWS signatures, caching one initialised context per recently used key.
///
/// Ed25519 verifies with libsodium (`crypto_sign_verify_detached`, the raw public key taken from
/// the OpenSSL key once per slot): 25.7k verifies/s against OpenSSL 3.0's 15.0k/s on one core of
/// the bench machine (issue 8, figure 1, whose floor is this check). libsodium is the stricter of
/// the two (RFC 8032 §5.1.7 plus: it refuses small-order public keys and R, and non-canonical
/// encodings of A and R), so it never accepts a signature OpenSSL refuses; the difference is
/// only for such degenerate inputs, which no conforming signer produces.
///
/// ES256 verifies with OpenSSL EVP until a key has verified `table_after` signatures in its slot;
/// then the slot switches to that key's precomputed table (P256FixedKey: ~1.65x faster per
/// check). The table (a one-off ~14 ms and ~150 KiB) is built once per key in the process, by
/// the first shard to get there, and shared by the others (P256KeyTable::shared_for). Only valid
/// signatures count, so only the issuer's own tokens (not a flood of forged ones) make a shard
/// pay for the table.
class SignatureChecker {
public:
  /// `table_after`: ES256 signatures a key verifies through EVP before its table is built (0:
  /// at its first use).
  explicit SignatureChecker(std::uint32_t table_after = 256);
  /// True when `sig` (JOSE form, 64 bytes) is a valid signature of `input` by `key` under the
  /// key's algorithm (RFC 8037 §3.1 Ed25519; RFC 7518 §3.4 ES256 over SHA-256).
  bool verify(const PublicKeyPtr& key, std::string_view input, std::span<const std::uint8_t> sig);

private:
  struct Slot {
    PublicKeyPtr key;  // keeps the key (and its address) alive while the context refers to it
    ossl::PkeyCtxPtr pkey;   // P-256: EVP_PKEY_verify context over a precomputed digest
    std::array<std::uint8_t, 32> ed_pub{};  // Ed25519: the raw public key (RFC 8032 §5.1.5)
    std::unique_ptr<P256FixedKey> table;    // P-256 after `table_after_` good signatures
    std::uint32_t verified = 0;             // P-256: good signatures through EVP
    bool table_failed = false;              // P-256: OpenSSL refused the table; EVP for good
  };
  Slot* slot_for(const PublicKeyPtr& key);
  bool init(Slot& s);

  static constexpr std::size_t kSlots = 8;
  std::array<Slot, kSlots> slots_{};
  std::size_t next_victim_ = 0;
  std::uint32_t table_after_;
  bool sodium_ready_ = false;
  ossl::MdCtxPtr digest_{EVP_MD_CTX_new()};
};

/// Produces JWS signatures with one signing key, keeping its initialised context.
///
/// Ed25519 signs with libsodium (`crypto_sign_detached`), ES256 with OpenSSL EVP. Ed25519
/// signatures are deterministic (RFC 8032 §5.1.6), so both libraries produce the same bytes for
/// the same key and input, and the JWKS / OpenSSL verifier are unchanged; libsodium's
/// implementation signs ~1.8x faster than OpenSSL 3.0's on this machine (issue 4's issuance
/// target). The libsodium secret key (seed || public key) is taken from the OpenSSL key once
/// and wiped when the maker goes away.
class SignatureMaker {
public:
  explicit SignatureMaker(SigningKeyPtr key);
  ~SignatureMaker();
  SignatureMaker(const SignatureMaker&) = delete;
  SignatureMaker& operator=(const SignatureMaker&) = delete;
  /// Appends the base64url JOSE signature of `input` to `out`. False on a crypto failure.
  bool sign_append(std::string_view input, std::string& out);
  const SigningKeyPtr& key() const noexcept { return key_; }

private:
  bool init();

  SigningKeyPtr key_;
  ossl::PkeyCtxPtr pkey_;   // ES256
  bool ed_ready_ = false;   // Ed25519: ed_secret_ holds the libsodium secret key
  std::array<std::uint8_t, 64> ed_secret_{};
  ossl::MdCtxPtr digest_{EVP_MD_CTX_new()};
};

}  // namespace wimpu::token
