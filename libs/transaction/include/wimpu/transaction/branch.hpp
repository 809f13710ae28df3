#pragma once
// Via branch values we generate (RFC 3261 §8.1.1.7): "z9hG4bK<shard>.<random>[.<suffix>]". The
// shard number lets any shard find the owner of a transaction from a response's top Via or a
// CANCEL's branch and post the message there (STYLE.md "shard affinity"); the optional suffix
// carries the proxy's loop-detection hash (RFC 3261 §16.6 step 8).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wimpu/transaction/types.hpp"

namespace wimpu::transaction {

/// RFC 3261 §8.1.1.7 magic cookie.
inline constexpr std::string_view kMagicCookie = "z9hG4bK";

/// Fast per-shard random source (xoshiro256**), seeded from std::random_device. Not thread-safe:
/// one per shard. Not cryptographic: branches and tags only need to be unique.
class Random {
public:
  Random();
  explicit Random(std::uint64_t seed);
  std::uint64_t next();
  /// Appends 16 lower-case hex digits of next().
  void append_hex(std::string& out);

private:
  std::uint64_t s_[4];
};

/// Appends a new branch "z9hG4bK<shard>.<16 hex>" plus ".<suffix>" when suffix is not empty.
void append_branch(std::string& out, ShardId shard, Random& random, std::string_view suffix = {});

/// The shard encoded in a branch we generated, or nullopt for any other branch.
std::optional<ShardId> shard_from_branch(std::string_view branch) noexcept;

/// The suffix of a branch we generated (text after the second '.'), empty when none.
std::string_view branch_suffix(std::string_view branch) noexcept;

}  // namespace wimpu::transaction
