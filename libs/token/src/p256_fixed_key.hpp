#pragma once
// ECDSA P-256 verification under one fixed public key, with a precomputed table for that key.
//
// An ECDSA verification computes u1*G + u2*Q (SEC 1 v2 §4.1.4, FIPS 186-4 §6.4.2). OpenSSL's
// EVP path (and `openssl speed ecdsap256`) has a precomputed table for the curve's generator G
// only; u2*Q, a variable-base multiplication, is about three quarters of the work. A verifier
// checks many tokens under few keys (one or two per issuer, issue 8 figure 1), so this class
// gives Q a table of its own: an EC_GROUP of the same curve whose generator is Q, precomputed
// once (EC_GROUP_precompute_mult: ~14 ms and ~150 KiB per key on the bench machine), makes u2*Q
// a fixed-base multiplication too. Measured on the bench machine (chrt, one core): 24.4 us per
// verification against EVP_PKEY_verify's 40.2 us (bench/RESULTS.md "Figure 1 with ES256,
// session 6").
//
// The table (P256KeyTable) is built once per PublicKey object in the process and shared by every
// shard: immutable once built, only read by EC_POINT_mul. The scratch numbers of a verification
// are per P256FixedKey, which is NOT thread-safe: one per key per shard, owned by
// SignatureChecker. Only public data is handled here (signature, digest, public key): no
// constant-time concern.
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <span>

#include "wimpu/token/jwk.hpp"

namespace wimpu::token {

/// P-256 with its usual generator, and P-256 with generator Q (a public key) and Q's precomputed
/// table. Immutable after creation: thread-safe to share (held through shared_ptr<const>).
class P256KeyTable {
public:
  /// Builds the table for `pkey`'s public point (a P-256 key): ~14 ms. Null when OpenSSL refuses
  /// any step (not P-256, no precomputation support). Thread-safe.
  static std::unique_ptr<P256KeyTable> create(EVP_PKEY* pkey);

  /// The one table of `key` in this process: built at the first call for this key object (the
  /// caller pays the ~14 ms; a concurrent caller for the same key waits for that build instead of
  /// starting its own), then returned to every caller while `key` lives. Null when the build
  /// failed (then for every caller: it is not retried). Counts each build in
  /// "token.verify.p256_table_built" or "token.verify.p256_table_failed". Thread-safe.
  static std::shared_ptr<const P256KeyTable> shared_for(const PublicKeyPtr& key);

  ~P256KeyTable();
  P256KeyTable(const P256KeyTable&) = delete;
  P256KeyTable& operator=(const P256KeyTable&) = delete;

private:
  friend class P256FixedKey;
  P256KeyTable() = default;

  EC_GROUP* curve_ = nullptr;  ///< P-256 with its own generator G (OpenSSL's static table)
  EC_GROUP* key_ = nullptr;    ///< P-256 with generator Q and Q's precomputed table
};

/// Verifies signatures under one key through its shared table, with its own scratch numbers.
/// NOT thread-safe: one per key per shard.
class P256FixedKey {
public:
  /// The verifier of `key`, over the key's shared table (see P256KeyTable::shared_for: the first
  /// caller for a key builds it). Null when there is no table or OpenSSL refuses the scratch
  /// allocation: the caller keeps using EVP then.
  static std::unique_ptr<P256FixedKey> for_key(const PublicKeyPtr& key);
  ~P256FixedKey();
  P256FixedKey(const P256FixedKey&) = delete;
  P256FixedKey& operator=(const P256FixedKey&) = delete;

  /// True when `jose` (r||s, 32 bytes each, big-endian; RFC 7518 §3.4) is a valid signature of
  /// the SHA-256 `digest` under this key. r and s outside [1, n-1] are refused.
  bool verify(std::span<const std::uint8_t, 32> digest,
              std::span<const std::uint8_t, 64> jose) noexcept;

  /// The shared table this verifier reads.
  const P256KeyTable& table() const noexcept { return *table_; }

private:
  explicit P256FixedKey(std::shared_ptr<const P256KeyTable> table) : table_(std::move(table)) {}

  std::shared_ptr<const P256KeyTable> table_;
  BN_CTX* bn_ = nullptr;
  EC_POINT* p1_ = nullptr;
  EC_POINT* p2_ = nullptr;
  BIGNUM* r_ = nullptr;
  BIGNUM* s_ = nullptr;
  BIGNUM* e_ = nullptr;
  BIGNUM* w_ = nullptr;
  BIGNUM* u1_ = nullptr;
  BIGNUM* u2_ = nullptr;
  BIGNUM* x_ = nullptr;
};

}  // namespace wimpu::token
