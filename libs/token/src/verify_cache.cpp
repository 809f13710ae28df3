#include "wimpu/token/verify_cache.hpp"

#include <openssl/rand.h>

#include <bit>
#include <cstring>
#include <random>

#include "wimpu/common/counter.hpp"

namespace wimpu::token {
namespace {

constexpr std::uint64_t kMul1 = 0x9e3779b97f4a7c15ULL;
constexpr std::uint64_t kMul2 = 0xbf58476d1ce4e5b9ULL;

std::uint64_t mix(std::uint64_t h) noexcept {
  h ^= h >> 31;
  h *= kMul2;
  h ^= h >> 29;
  return h;
}

std::uint64_t random_seed() {
  std::uint64_t s = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&s), sizeof s) != 1) {
    s = (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
  }
  return s;
}

struct EvictCounters {
  common::Counter& evict = common::counter("token.verify.cache_evict");
  common::Counter& in_use = common::counter("token.verify.cache_evict_in_use");
};

EvictCounters& evict_counters() {
  static EvictCounters c;
  return c;
}

}  // namespace

VerifyCache::VerifyCache(std::size_t capacity) : seed_(random_seed()) {
  evict_counters();  // listed from start-up, at zero
  if (capacity == 0) {
    return;
  }
  const std::size_t buckets = std::bit_ceil((capacity + kWays - 1) / kWays);
  slots_.resize(buckets * kWays);
  bucket_mask_ = buckets - 1;
}

std::uint64_t VerifyCache::hash(std::string_view token) const noexcept {
  // The signature segment is unpredictable for genuine tokens and short (86 characters), so
  // hashing only it keeps a hit cheap; the full-token compare in find() provides the identity.
  // memrchr, not rfind: the octet-wise loop from the end over the 86 signature characters was
  // about half of a cache hit's hash (issue 8 figure 2).
  const void* dot = token.empty() ? nullptr : ::memrchr(token.data(), '.', token.size());
  const std::string_view part =
      dot == nullptr ? token
                     : token.substr(static_cast<std::size_t>(static_cast<const char*>(dot) -
                                                             token.data()) + 1);
  std::uint64_t h = seed_ ^ (part.size() * kMul1);
  std::size_t i = 0;
  for (; i + 8 <= part.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, part.data() + i, 8);
    h = mix(h ^ (w * kMul1));
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, part.data() + i, part.size() - i);
  return mix(h ^ (tail * kMul1) ^ token.size());
}

VerifyCache::Entry* VerifyCache::find(std::string_view token) noexcept {
  if (slots_.empty()) {
    return nullptr;
  }
  const std::uint64_t h = hash(token);
  Entry* bucket = &slots_[(h & bucket_mask_) * kWays];
  for (std::size_t w = 0; w < kWays; ++w) {
    Entry& e = bucket[w];
    if (e.hash == h && e.claims && e.token == token) {
      e.hit = true;
      e.last_use = tick_;
      return &e;
    }
  }
  return nullptr;
}

std::size_t VerifyCache::bucket_of(std::string_view token) const noexcept {
  return slots_.empty() ? 0 : static_cast<std::size_t>(hash(token) & bucket_mask_);
}

bool VerifyCache::in_use(const Entry& e) const noexcept {
  // Hit since stored, and within the last capacity() insertions: about ways() per bucket, i.e.
  // an entry that plain LRU would still hold.
  return e.hit && tick_ - e.last_use < slots_.size();
}

void VerifyCache::insert(std::string_view token, std::shared_ptr<const Claims> claims,
                         PublicKeyPtr key, std::size_t issuer, std::uint64_t key_generation,
                         std::int64_t expired_at_or_before) {
  if (slots_.empty() || !claims) {
    return;
  }
  ++tick_;
  const std::uint64_t h = hash(token);
  Entry* bucket = &slots_[(h & bucket_mask_) * kWays];
  Entry* victim = nullptr;
  for (std::size_t w = 0; w < kWays && victim == nullptr; ++w) {
    Entry& e = bucket[w];
    if (e.claims && e.hash == h && e.token == token) {
      victim = &e;  // re-verified (key rotation): one entry per token
    }
  }
  bool live = victim == nullptr;
  for (std::size_t w = 0; w < kWays && live; ++w) {
    Entry& e = bucket[w];
    if (!e.claims || e.claims->expires_at <= expired_at_or_before) {
      victim = &e;
      live = false;
      break;
    }
    // Rank: not in use before in use, then least recently used.
    if (victim == nullptr) {
      victim = &e;
      continue;
    }
    const bool e_used = in_use(e);
    const bool v_used = in_use(*victim);
    if (e_used != v_used ? !e_used : e.last_use < victim->last_use) {
      victim = &e;
    }
  }
  if (live) {
    ++evictions_;
    evict_counters().evict.inc();
    if (in_use(*victim)) {
      ++evictions_in_use_;
      evict_counters().in_use.inc();
    }
  }
  victim->hit = false;
  victim->last_use = tick_;
  victim->hash = h;
  victim->token.assign(token);
  victim->claims = std::move(claims);
  victim->key = std::move(key);
  victim->issuer = issuer;
  victim->key_generation = key_generation;
}

void VerifyCache::erase(Entry& e) noexcept {
  e.claims.reset();
  e.key.reset();
  e.token.clear();
  e.hash = 0;
  e.hit = false;
  e.last_use = 0;
}

std::size_t VerifyCache::size() const noexcept {
  std::size_t n = 0;
  for (const auto& e : slots_) {
    n += e.claims ? 1 : 0;
  }
  return n;
}

}  // namespace wimpu::token
