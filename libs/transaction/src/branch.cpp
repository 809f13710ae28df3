#include "wimpu/transaction/branch.hpp"

#include <charconv>
#include <random>

namespace wimpu::transaction {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

std::uint64_t seed_from_device() {
  std::random_device rd;
  return (std::uint64_t{rd()} << 32) ^ rd();
}

}  // namespace

Random::Random() : Random(seed_from_device()) {}

Random::Random(std::uint64_t seed) {
  for (auto& s : s_) {
    s = splitmix64(seed);
  }
}

std::uint64_t Random::next() {
  // xoshiro256** (Blackman, Vigna).
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

void Random::append_hex(std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t v = next();
  char buf[16];
  for (int i = 15; i >= 0; --i) {
    buf[i] = kHex[v & 0xf];
    v >>= 4;
  }
  out.append(buf, sizeof buf);
}

void append_branch(std::string& out, ShardId shard, Random& random, std::string_view suffix) {
  out.append(kMagicCookie);
  char buf[8];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, shard);
  (void)ec;
  out.append(buf, end);
  out.push_back('.');
  random.append_hex(out);
  if (!suffix.empty()) {
    out.push_back('.');
    out.append(suffix);
  }
}

std::optional<ShardId> shard_from_branch(std::string_view branch) noexcept {
  if (branch.substr(0, kMagicCookie.size()) != kMagicCookie) {
    return std::nullopt;
  }
  branch.remove_prefix(kMagicCookie.size());
  const std::size_t dot = branch.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot > 5) {
    return std::nullopt;
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(branch.data(), branch.data() + dot, value);
  if (ec != std::errc() || ptr != branch.data() + dot || value > 0xffff) {
    return std::nullopt;
  }
  // Our random part is exactly 16 hex digits: anything else is someone else's branch that
  // happens to start with digits and a dot.
  const std::string_view rest = branch.substr(dot + 1);
  if (rest.size() < 16 || (rest.size() > 16 && rest[16] != '.')) {
    return std::nullopt;
  }
  for (char c : rest.substr(0, 16)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return std::nullopt;
    }
  }
  return static_cast<ShardId>(value);
}

std::string_view branch_suffix(std::string_view branch) noexcept {
  if (!shard_from_branch(branch)) {
    return {};
  }
  const std::size_t first = branch.find('.');
  const std::size_t second = branch.find('.', first + 1);
  return second == std::string_view::npos ? std::string_view() : branch.substr(second + 1);
}

}  // namespace wimpu::transaction
