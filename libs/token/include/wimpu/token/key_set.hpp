#pragma once
// An immutable set of one issuer's verification keys, parsed from a JWK Set document
// (RFC 7517 §5) such as the WWSF's /.well-known/jwks.json. Snapshots are swapped whole (KeyStore),
// never edited, so shards read them without locks.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wimpu/common/expected.hpp"
#include "wimpu/token/algorithm.hpp"
#include "wimpu/token/jwk.hpp"

namespace wimpu::token {

/// Why a JWKS document was refused as a whole (the previous key set then stays in force).
enum class JwksError : std::uint8_t {
  kTooLarge,       ///< larger than kMaxJwksSize
  kMalformedJson,  ///< not JSON, or not an object with a "keys" array of objects
  kDuplicateKid,   ///< two usable keys share a kid: which one verifies would be ambiguous
  kNoUsableKey,    ///< no key survived the checks: installing it would refuse every token
};

/// Stable short name of a JwksError for logs. Thread-safe.
std::string_view name(JwksError e) noexcept;

/// Largest JWKS document accepted (a handful of keys is under 2 KiB).
inline constexpr std::size_t kMaxJwksSize = 64 * 1024;

/// Immutable, thread-safe once built. Shared as KeySetPtr.
class KeySet {
public:
  /// Parses a JWKS document, keeping the keys usable with `pinned` (the issuer's algorithm).
  /// Following RFC 7517 §5, individual keys that are not usable are skipped, each with a reason
  /// in ignored() and the counter "token.jwks.key_ignored": unknown `kty` (including "oct": an
  /// HMAC secret is never a verification key here), another curve or algorithm, `use` other than
  /// "sig", `key_ops` without "verify", a missing `kid`, private members (`d`), or key bytes that
  /// are not a valid point. Thread-safe (pure function).
  static Expected<std::shared_ptr<const KeySet>, JwksError> parse(std::string_view jwks,
                                                                  Algorithm pinned);

  /// Builds a set from keys already in memory (the WWSF's own keys, tests). Refuses duplicate
  /// kids and an empty set; every key must use `pinned`.
  static Expected<std::shared_ptr<const KeySet>, JwksError> from_keys(
      std::vector<PublicKeyPtr> keys, Algorithm pinned);

  /// The key with this kid, or null. O(n) over a few keys; thread-safe; the pointer lives as long
  /// as this set.
  const PublicKeyPtr* find(std::string_view kid) const noexcept;

  /// All usable keys, in document order.
  const std::vector<PublicKeyPtr>& keys() const noexcept { return keys_; }
  /// One human-readable reason per skipped key (for the log at refresh time).
  const std::vector<std::string>& ignored() const noexcept { return ignored_; }
  /// The algorithm every key in the set verifies.
  Algorithm algorithm() const noexcept { return alg_; }
  /// True when both sets hold the same kids bound to the same key bytes (order ignored).
  bool same_keys(const KeySet& other) const noexcept;
  /// The JWKS document {"keys":[...]} publishing these keys (for /.well-known/jwks.json).
  std::string to_jwks_json() const;

private:
  KeySet(Algorithm alg, std::vector<PublicKeyPtr> keys, std::vector<std::string> ignored);

  Algorithm alg_;
  std::vector<PublicKeyPtr> keys_;
  std::vector<std::string> ignored_;
};

/// Shared handle to an immutable key set.
using KeySetPtr = std::shared_ptr<const KeySet>;

/// The JWKS document {"keys":[...]} for the given public keys (any algorithms). Thread-safe.
std::string jwks_document(const std::vector<PublicKeyPtr>& keys);

}  // namespace wimpu::token
