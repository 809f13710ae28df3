#pragma once
// A small, fast, non-cryptographic PRNG (xoshiro256**, seeded by splitmix64) for the random
// parts of generated SIP messages: Via hosts, Contact users, +sip.instance UUIDs, tags, branches.
// These only need to be unique within a run, not unpredictable; the tokens themselves come from
// the token library's CSPRNG.
#include <cstdint>
#include <string>

namespace wimpu::loadgen {

/// Threading: not thread-safe; one per thread.
class Rng {
public:
  /// Same seed -> same sequence. Seed 0 is valid.
  explicit Rng(std::uint64_t seed) noexcept;

  /// Next 64 random bits.
  std::uint64_t next() noexcept;
  /// Uniform in [0, bound) (bound > 0); Lemire's multiply-shift, negligible bias for our bounds.
  std::uint64_t below(std::uint64_t bound) noexcept;

  /// Appends `n` random lower-case hex digits to `out`.
  void append_hex(std::string& out, std::size_t n) noexcept;
  /// Appends `n` random characters of [a-z0-9] to `out` (SIP token / hostname label safe).
  void append_alnum(std::string& out, std::size_t n) noexcept;
  /// A random RFC 4122 version-4 UUID in its 36-character text form.
  std::string uuid_v4();

  /// A seed from std::random_device (for runs without --seed).
  static std::uint64_t random_seed();

private:
  std::uint64_t s_[4];
};

}  // namespace wimpu::loadgen
