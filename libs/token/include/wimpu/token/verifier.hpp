#pragma once
// What the eP-CSCF calls to check the `Authorization: Bearer <token>` of a REGISTER (RFC 8898
// §2.2, requirement T-04): one Verifier per shard.
//
// Order of checks (RFC 7515 §5.2, RFC 8725 §3): size cap; cache; three base64url segments; header
// JSON (alg, kid, crit); claims JSON; `iss` among the trusted issuers; header `alg` equal to the
// issuer's pinned algorithm; `kid` in the issuer's key set; the signature; then the claims (present,
// exp, nbf, iat, lifetime, aud, block, scope). The claims are parsed before the signature only
// because `iss` chooses the key; nothing in them is trusted or reported before the signature holds.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "wimpu/common/clock.hpp"
#include "wimpu/common/expected.hpp"
#include "wimpu/token/claims.hpp"
#include "wimpu/token/error.hpp"
#include "wimpu/token/key_store.hpp"
#include "wimpu/token/verify_cache.hpp"

namespace wimpu::token {

class SignatureChecker;

/// Policy of one eP-CSCF's verifier. Identical on every shard.
struct VerifierOptions {
  std::string audience;  ///< required: `aud` must contain exactly this string (the eP-CSCF realm)
  std::chrono::seconds clock_skew{30};  ///< leeway for exp, nbf and iat
  /// Largest accepted exp - iat; zero disables the check. Bounds how long a leaked token lives.
  std::chrono::seconds max_lifetime{std::chrono::hours(24)};
  std::size_t max_token_size = 4096;   ///< longer tokens are kTooLarge before any decoding
  std::size_t cache_capacity = 4096;   ///< verified tokens kept per shard; 0 disables the cache
  std::string required_scope;          ///< when set, `scope` must contain it (space-delimited)
  std::string block_claim{kDefaultBlockClaim};  ///< name of the wIMPU block claim
};

/// A token that passed every check. The claims are immutable and shared with the cache.
struct VerifiedToken {
  std::shared_ptr<const Claims> claims;
  bool from_cache = false;  ///< true when no signature was checked for this call
};

using VerifyResult = Expected<VerifiedToken, TokenError>;

/// Verifies tokens for one shard. NOT thread-safe: create one per shard and use it only there.
/// The KeyStores are shared between shards (lock-free reads, see key_store.hpp).
class Verifier {
public:
  using Callback = std::function<void(VerifyResult)>;

  /// `issuers`: one KeyStore per trusted WWSF (its issuer name and pinned algorithm come from the
  /// store). `shard` is the executor async_verify completes on. Throws std::invalid_argument on
  /// an empty audience, no issuer, a null store or two stores for the same issuer (config time).
  Verifier(VerifierOptions options, std::vector<KeyStorePtr> issuers, common::ClockPtr clock,
           boost::asio::any_io_executor shard);
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  /// Verifies `token` (the compact JWS, without "Bearer ") for the wIMPU block `expected_block`.
  /// Never blocks, never throws (except std::bad_alloc). When the token names a kid its issuer's
  /// key set lacks, a rate-limited key refresh is requested in the background and kUnknownKid is
  /// returned now (this shard posts at most one such request per min_refresh_interval, so a flood
  /// of unknown kids does not flood the control thread); async_verify waits for that refresh
  /// instead. Every failure bumps
  /// failure_counter(reason); success bumps "token.verify.ok" (and "token.verify.cache_hit").
  VerifyResult verify(std::string_view token, std::string_view expected_block);

  /// Like verify(), but when the kid is unknown it waits for the issuer's (rate-limited) key
  /// refresh and then tries once more. `done` is always called on the shard executor, never
  /// inline. If the Verifier is destroyed meanwhile, `done` still runs (with kUnknownKid).
  void async_verify(std::string token, std::string expected_block, Callback done);

  /// The synchronous half of async_verify(): the result now when it needs no key refresh (a
  /// cache hit, a known kid, or any refusal), counted as verify() counts it; std::nullopt when
  /// the token names a kid its issuer's key set lacks, with nothing counted or requested: the
  /// caller then calls async_verify() to wait for the refresh. Lets the eP-CSCF answer the usual
  /// REGISTER without a callback allocation and an executor round trip (issue 8, figures 1-2).
  std::optional<VerifyResult> try_verify(std::string_view token, std::string_view expected_block);

  /// Signature checks performed by this verifier (a cache hit performs none).
  std::uint64_t signature_checks() const noexcept { return signature_checks_; }
  /// Verifications answered from the cache.
  std::uint64_t cache_hits() const noexcept { return cache_hits_; }
  /// The cache (tests, metrics).
  const VerifyCache& cache() const noexcept { return cache_; }
  /// The options in force.
  const VerifierOptions& options() const noexcept { return options_; }

private:
  struct Issuer {
    KeyStorePtr store;
    std::uint64_t generation = ~std::uint64_t{0};  // of `keys`; ~0 forces the first load
    KeySetPtr keys;
    std::optional<common::TimePoint> last_refresh_request;  // verify()'s local throttle
  };

  VerifyResult verify_impl(std::string_view token, std::string_view expected_block,
                           std::size_t* unknown_kid_issuer);
  VerifyResult from_cache(VerifyCache::Entry& e, std::string_view expected_block, std::int64_t now);
  VerifyResult check_claims(const Claims& c, std::uint32_t present, std::string_view block,
                            std::int64_t now) const;
  const KeySet* keys_of(Issuer& issuer);
  std::int64_t now_seconds() const;

  VerifierOptions options_;
  std::vector<Issuer> issuers_;
  common::ClockPtr clock_;
  boost::asio::any_io_executor shard_;
  VerifyCache cache_;
  std::unique_ptr<SignatureChecker> checker_;
  std::string scratch_;  // decoded header + payload + signature, reused across calls
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // async_verify's lifetime guard
  std::uint64_t signature_checks_ = 0;
  std::uint64_t cache_hits_ = 0;
};

}  // namespace wimpu::token
