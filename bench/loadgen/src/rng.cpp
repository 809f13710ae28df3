#include "wimpu/loadgen/rng.hpp"

#include <random>

namespace wimpu::loadgen {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) noexcept {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

constexpr char kHex[] = "0123456789abcdef";
constexpr char kAlnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";

}  // namespace

Rng::Rng(std::uint64_t seed) noexcept {
  for (auto& s : s_) {
    s = splitmix64(seed);
  }
}

std::uint64_t Rng::next() noexcept {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::uint64_t Rng::below(std::uint64_t bound) noexcept {
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * bound) >> 64);
}

void Rng::append_hex(std::string& out, std::size_t n) noexcept {
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 16 == 0) {
      bits = next();
    }
    out.push_back(kHex[bits & 0xf]);
    bits >>= 4;
  }
}

void Rng::append_alnum(std::string& out, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kAlnum[below(sizeof(kAlnum) - 1)]);
  }
}

std::string Rng::uuid_v4() {
  std::string hex;
  hex.reserve(32);
  append_hex(hex, 32);
  hex[12] = '4';                                                    // version 4 (RFC 4122 §4.4)
  hex[16] = kHex[8 + (static_cast<unsigned char>(hex[16]) & 0x3)];  // variant 10xx
  std::string out;
  out.reserve(36);
  out.append(hex, 0, 8).push_back('-');
  out.append(hex, 8, 4).push_back('-');
  out.append(hex, 12, 4).push_back('-');
  out.append(hex, 16, 4).push_back('-');
  out.append(hex, 20, 12);
  return out;
}

std::uint64_t Rng::random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace wimpu::loadgen
