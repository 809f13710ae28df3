#include "wimpu/token/verify_cache.hpp"

#include <openssl/rand.h>

#include <bit>
#include <cstring>
#include <random>

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

}  // namespace

VerifyCache::VerifyCache(std::size_t capacity) : seed_(random_seed()) {
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
  const std::size_t dot = token.rfind('.');
  const std::string_view part = dot == std::string_view::npos ? token : token.substr(dot + 1);
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
      e.referenced = true;
      return &e;
    }
  }
  return nullptr;
}

void VerifyCache::insert(std::string_view token, std::shared_ptr<const Claims> claims,
                         PublicKeyPtr key, std::size_t issuer, std::uint64_t key_generation) {
  if (slots_.empty() || !claims) {
    return;
  }
  const std::uint64_t h = hash(token);
  Entry* bucket = &slots_[(h & bucket_mask_) * kWays];
  Entry* victim = nullptr;
  bool full = true;
  for (std::size_t w = 0; w < kWays; ++w) {
    Entry& e = bucket[w];
    if (!e.claims || (e.hash == h && e.token == token)) {
      victim = &e;
      full = false;
      break;
    }
    if (victim == nullptr || e.referenced < victim->referenced ||
        (e.referenced == victim->referenced &&
         e.claims->expires_at < victim->claims->expires_at)) {
      victim = &e;
    }
  }
  if (full) {
    // Second chance used up: the survivors must be hit again to outlive the next eviction.
    for (std::size_t w = 0; w < kWays; ++w) {
      bucket[w].referenced = false;
    }
  }
  victim->referenced = false;
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
}

std::size_t VerifyCache::size() const noexcept {
  std::size_t n = 0;
  for (const auto& e : slots_) {
    n += e.claims ? 1 : 0;
  }
  return n;
}

}  // namespace wimpu::token
