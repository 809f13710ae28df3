#pragma once
// The per-shard verification cache: a re-REGISTER carrying a token this shard already verified
// costs a hash, one bucket probe and a byte compare instead of a signature check.
//
// Design for the shard model (ARCHITECTURE.md "Threading"): each shard's Verifier owns one cache,
// so the hot path takes no lock and touches no shared cache line. A token seen by shard A and then
// by shard B is verified once on each; tokens come back on the same flow, which stays on its shard,
// so this costs little and buys lock freedom.
//
// Structure: a fixed array of 4-way buckets (set-associative), allocated once. Lookups cost O(1)
// whatever the input; there are no chains for an attacker to lengthen, only verified tokens are
// inserted, and a full bucket evicts an entry not hit since the bucket's previous eviction
// (second chance, as CLOCK), the earliest expiry among those. Expiry alone is no recency: tokens
// minted in the same second tie, and a burst of single-use tokens (a login storm) would then push
// out the tokens that re-REGISTERs keep presenting. The hash is keyed with a random
// per-cache seed and covers the signature segment; a hit additionally compares the whole stored
// token, so a hash collision can never make a different token pass.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wimpu/token/claims.hpp"
#include "wimpu/token/jwk.hpp"

namespace wimpu::token {

/// Fixed-capacity cache of verified tokens. NOT thread-safe: owned by one shard's Verifier.
class VerifyCache {
public:
  /// One verified token: its bytes, its claims, the key that verified it and where it came from.
  struct Entry {
    std::uint64_t hash = 0;
    std::string token;
    std::shared_ptr<const Claims> claims;  ///< null when the slot is free
    PublicKeyPtr key;                      ///< the verifying key (revalidated on key rotation)
    std::size_t issuer = 0;                ///< index of the issuer in the owning Verifier
    std::uint64_t key_generation = 0;      ///< KeyStore generation when `key` was last confirmed
    bool referenced = false;               ///< hit since the bucket's last eviction
  };

  /// Allocates room for about `capacity` entries (rounded up to a power of two number of 4-way
  /// buckets). 0 disables the cache: find() always misses and insert() does nothing.
  explicit VerifyCache(std::size_t capacity);

  /// The entry holding exactly `token`, or null; a hit marks the entry referenced. The pointer is
  /// valid until the next insert() or erase() on this cache.
  Entry* find(std::string_view token) noexcept;

  /// Stores a verified token (copies its bytes). Replaces a free slot, else an unreferenced entry
  /// of the bucket (the earliest expiry among them; all referenced: the earliest expiry), and then
  /// clears the bucket's referenced marks.
  void insert(std::string_view token, std::shared_ptr<const Claims> claims, PublicKeyPtr key,
              std::size_t issuer, std::uint64_t key_generation);

  /// Frees an entry returned by find() (token expired, key withdrawn).
  void erase(Entry& e) noexcept;

  /// Entries in use (O(capacity); for tests and metrics).
  std::size_t size() const noexcept;
  /// Number of slots (0 when disabled).
  std::size_t capacity() const noexcept { return slots_.size(); }

private:
  static constexpr std::size_t kWays = 4;
  std::uint64_t hash(std::string_view token) const noexcept;

  std::vector<Entry> slots_;
  std::size_t bucket_mask_ = 0;
  std::uint64_t seed_ = 0;
};

}  // namespace wimpu::token
