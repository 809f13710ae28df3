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
// whatever the input; there are no chains for an attacker to lengthen, and only verified tokens
// are inserted. The hash is keyed with a random per-cache seed and covers the signature segment;
// a hit additionally compares the whole stored token, so a hash collision can never make a
// different token pass.
//
// Replacement in a full bucket (insert()), first match wins:
//   1. an entry whose token has expired (it can never pass again);
//   2. the least recently used entry among those not "in use", where in use means hit at least
//      once since it was stored and hit within the last capacity() insertions;
//   3. the least recently used entry.
// Recency is counted in insertions (one tick per insert(); a hit stamps the current tick), not in
// wall time or token expiry: expiry is no recency (tokens minted in the same second tie, and a
// stale token minted a second earlier is no better a victim than a live one), and clearing marks
// on every eviction (session 5's second chance) let two tokens in use that missed once each keep
// evicting each other before their next hit (bench/RESULTS.md "Figure 1 with ES256, session 6").
// A token in use survives a burst of single-use tokens (a login storm, figure 1) as long as its
// bucket holds any entry not in use; one not hit for capacity() insertions, about ways() per
// bucket, competes by recency like any other.
#include <cstddef>
#include <cstdint>
#include <limits>
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
    std::uint64_t last_use = 0;            ///< insertion tick of the last store or hit
    bool hit = false;                      ///< hit at least once since it was stored
  };

  /// Allocates room for about `capacity` entries (rounded up to a power of two number of 4-way
  /// buckets). 0 disables the cache: find() always misses and insert() does nothing.
  explicit VerifyCache(std::size_t capacity);

  /// The entry holding exactly `token`, or null; a hit marks the entry used now (its recency).
  /// The pointer is valid until the next insert() or erase() on this cache.
  Entry* find(std::string_view token) noexcept;

  /// Stores a verified token (copies its bytes). Takes a free slot or the token's own entry, else
  /// replaces one as the header comment orders it; an entry whose `claims->expires_at` is at or
  /// before `expired_at_or_before` (the caller's now minus its clock-skew leeway) counts as free.
  /// Replacing a live entry bumps "token.verify.cache_evict", and also
  /// "token.verify.cache_evict_in_use" when that entry was in use (a sign the cache is too small
  /// for the tokens being re-presented).
  void insert(std::string_view token, std::shared_ptr<const Claims> claims, PublicKeyPtr key,
              std::size_t issuer, std::uint64_t key_generation,
              std::int64_t expired_at_or_before = std::numeric_limits<std::int64_t>::min());

  /// Frees an entry returned by find() (token expired, key withdrawn).
  void erase(Entry& e) noexcept;

  /// Entries in use (O(capacity); for tests and metrics).
  std::size_t size() const noexcept;
  /// Number of slots (0 when disabled).
  std::size_t capacity() const noexcept { return slots_.size(); }
  /// Live entries replaced by insert() so far (expired ones not counted).
  std::uint64_t evictions() const noexcept { return evictions_; }
  /// Of evictions(), those of an entry in use (see the header comment).
  std::uint64_t evictions_in_use() const noexcept { return evictions_in_use_; }
  /// The bucket `token` maps to (0 when disabled): which tokens compete for the same ways(), for
  /// tests and diagnostics.
  std::size_t bucket_of(std::string_view token) const noexcept;
  /// Entries per bucket.
  static constexpr std::size_t ways() noexcept { return kWays; }

private:
  static constexpr std::size_t kWays = 4;
  std::uint64_t hash(std::string_view token) const noexcept;
  bool in_use(const Entry& e) const noexcept;

  std::vector<Entry> slots_;
  std::size_t bucket_mask_ = 0;
  std::uint64_t seed_ = 0;
  std::uint64_t tick_ = 0;  ///< insertions so far: the recency clock
  std::uint64_t evictions_ = 0;
  std::uint64_t evictions_in_use_ = 0;
};

}  // namespace wimpu::token
