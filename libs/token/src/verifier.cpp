#include "wimpu/token/verifier.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <stdexcept>

#include "jose_json.hpp"
#include "signature.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/token/base64url.hpp"

namespace wimpu::token {
namespace {

constexpr std::uint32_t kRequired = jose::kIss | jose::kSub | jose::kAud | jose::kExp |
                                    jose::kIat | jose::kJti | jose::kBlock;
constexpr std::size_t kNoIssuer = ~std::size_t{0};

struct Counters {
  common::Counter& ok = common::counter("token.verify.ok");
  common::Counter& cache_hit = common::counter("token.verify.cache_hit");
  common::Counter& signature = common::counter("token.verify.signature_check");
  common::Counter& refresh_request = common::counter("token.verify.refresh_request");
};

Counters& counters() {
  static Counters c;
  return c;
}

// RFC 8693 §4.2 / RFC 6749 §3.3: scope is a space-delimited, case-sensitive list.
bool has_scope(std::string_view scope, std::string_view wanted) {
  while (!scope.empty()) {
    const std::size_t sp = scope.find(' ');
    if (scope.substr(0, sp) == wanted) {
      return true;
    }
    if (sp == std::string_view::npos) {
      break;
    }
    scope.remove_prefix(sp + 1);
  }
  return false;
}

VerifyResult counted(VerifyResult r) {
  if (r) {
    counters().ok.inc();
    if (r->from_cache) {
      counters().cache_hit.inc();
    }
  } else {
    failure_counter(r.error()).inc();
  }
  return r;
}

}  // namespace

Verifier::Verifier(VerifierOptions options, std::vector<KeyStorePtr> issuers,
                   common::ClockPtr clock, boost::asio::any_io_executor shard)
    : options_(std::move(options)),
      clock_(std::move(clock)),
      shard_(std::move(shard)),
      cache_(options_.cache_capacity),
      checker_(std::make_unique<SignatureChecker>()) {
  if (options_.audience.empty()) {
    throw std::invalid_argument("token verifier: empty audience");
  }
  if (issuers.empty() || !clock_) {
    throw std::invalid_argument("token verifier: no trusted issuer or no clock");
  }
  for (auto& store : issuers) {
    if (!store) {
      throw std::invalid_argument("token verifier: null key store");
    }
    for (const auto& other : issuers_) {
      if (other.store->issuer() == store->issuer()) {
        throw std::invalid_argument("token verifier: issuer listed twice: " + store->issuer());
      }
    }
    Issuer issuer;
    issuer.store = std::move(store);
    issuers_.push_back(std::move(issuer));
  }
  scratch_.reserve(options_.max_token_size);  // decoded bytes < encoded: never reallocates
  counters();
  failure_counter(TokenError::kMalformed);  // registers the failure counters up front
}

Verifier::~Verifier() = default;

std::int64_t Verifier::now_seconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_->wall_now().time_since_epoch())
      .count();
}

const KeySet* Verifier::keys_of(Issuer& issuer) {
  const std::uint64_t gen = issuer.store->generation();
  if (gen != issuer.generation) {
    issuer.keys = issuer.store->snapshot();
    issuer.generation = gen;
  }
  return issuer.keys.get();
}

VerifyResult Verifier::verify(std::string_view token, std::string_view expected_block) {
  std::size_t unknown = kNoIssuer;
  VerifyResult r = verify_impl(token, expected_block, &unknown);
  if (unknown != kNoIssuer) {
    Issuer& issuer = issuers_[unknown];
    const auto now = clock_->now();
    // The store rate-limits anyway; throttling here as well keeps an unknown-kid flood on this
    // shard from becoming a flood of posts to the control executor.
    if (!issuer.last_refresh_request ||
        now - *issuer.last_refresh_request >= issuer.store->min_refresh_interval()) {
      issuer.last_refresh_request = now;
      counters().refresh_request.inc();
      issuer.store->request_refresh();
    }
  }
  return counted(std::move(r));
}

void Verifier::async_verify(std::string token, std::string expected_block, Callback done) {
  std::size_t unknown = kNoIssuer;
  VerifyResult r = verify_impl(token, expected_block, &unknown);
  if (unknown == kNoIssuer) {
    boost::asio::post(shard_, [r = counted(std::move(r)), done = std::move(done)]() mutable {
      done(std::move(r));
    });
    return;
  }
  counters().refresh_request.inc();
  // Lifetime: the refresh completes on the control executor, possibly after this Verifier is
  // gone (shard reconfigured). We hop back to the shard and only touch `this` if alive_ is still
  // owned; the Verifier is destroyed on its shard, so the check cannot race.
  std::weak_ptr<int> alive = alive_;
  issuers_[unknown].store->request_refresh(
      [this, alive, shard = shard_, token = std::move(token), block = std::move(expected_block),
       done = std::move(done)](RefreshOutcome) mutable {
        boost::asio::post(shard, [this, alive, token = std::move(token), block = std::move(block),
                                  done = std::move(done)]() mutable {
          if (alive.expired()) {
            done(counted(TokenError::kUnknownKid));
            return;
          }
          done(counted(verify_impl(token, block, nullptr)));
        });
      });
}

std::optional<VerifyResult> Verifier::try_verify(std::string_view token,
                                                 std::string_view expected_block) {
  std::size_t unknown = kNoIssuer;
  VerifyResult r = verify_impl(token, expected_block, &unknown);
  if (unknown != kNoIssuer) {
    return std::nullopt;
  }
  return counted(std::move(r));
}

VerifyResult Verifier::verify_impl(std::string_view token, std::string_view expected_block,
                                   std::size_t* unknown_kid_issuer) {
  if (token.size() > options_.max_token_size) {
    return TokenError::kTooLarge;
  }
  const std::int64_t now = now_seconds();
  if (VerifyCache::Entry* e = cache_.find(token)) {
    if (auto r = from_cache(*e, expected_block, now); r || r.error() != TokenError::kUnknownKid) {
      return r;
    }
    // The key that verified it is gone: verify from scratch against the current set.
  }

  // RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature). A JWE
  // (five segments) or anything else is malformed.
  const std::size_t d1 = token.find('.');
  const std::size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos ||
      d1 == 0 || d2 == d1 + 1) {
    return TokenError::kMalformed;
  }
  scratch_.clear();
  auto h = base64url::decode_append(token.substr(0, d1), scratch_);
  auto p = h ? base64url::decode_append(token.substr(d1 + 1, d2 - d1 - 1), scratch_) : h;
  auto s = p ? base64url::decode_append(token.substr(d2 + 1), scratch_) : p;
  if (!s) {
    return TokenError::kMalformed;
  }
  const std::string_view header_json(scratch_.data(), *h);
  const std::string_view claims_json(scratch_.data() + *h, *p);
  const std::span<const std::uint8_t> signature(
      reinterpret_cast<const std::uint8_t*>(scratch_.data()) + *h + *p, *s);

  jose::Header header;
  if (!jose::parse_header(header_json, header) || !header.has_alg) {
    return TokenError::kMalformed;
  }
  if (header.has_crit) {
    return TokenError::kUnsupportedCrit;  // RFC 7515 §4.1.11
  }
  auto claims = std::make_shared<Claims>();
  std::uint32_t present = 0;
  if (!jose::parse_claims(claims_json, options_.block_claim, *claims, present)) {
    return TokenError::kMalformed;
  }
  if (!(present & jose::kIss)) {
    return TokenError::kMissingClaim;
  }
  std::size_t index = 0;
  while (index < issuers_.size() && issuers_[index].store->issuer() != claims->issuer) {
    ++index;
  }
  if (index == issuers_.size()) {
    return TokenError::kUnknownIssuer;  // the eP-CSCF enforces the allowed-WWSF list
  }
  Issuer& issuer = issuers_[index];
  // RFC 8725 §3.1: the algorithm is the one configured for this issuer; the header may only agree.
  if (header.alg != jose_name(issuer.store->algorithm())) {
    return TokenError::kAlgorithmNotAllowed;
  }
  const KeySet* keys = keys_of(issuer);
  const PublicKeyPtr* key = keys && header.has_kid ? keys->find(header.kid) : nullptr;
  if (key == nullptr) {
    if (unknown_kid_issuer != nullptr && header.has_kid) {
      *unknown_kid_issuer = index;
    }
    return TokenError::kUnknownKid;
  }
  if (signature.size() != signature_size(issuer.store->algorithm())) {
    return TokenError::kBadSignature;
  }
  ++signature_checks_;
  counters().signature.inc();
  if (!checker_->verify(*key, token.substr(0, d2), signature)) {
    return TokenError::kBadSignature;
  }
  claims->key_id = std::move(header.kid);
  if (auto r = check_claims(*claims, present, expected_block, now); !r) {
    return r;
  }
  // An entry expired beyond the leeway can never pass again: its slot is free for this one.
  cache_.insert(token, claims, *key, index, issuer.generation, now - options_.clock_skew.count());
  return VerifiedToken{std::move(claims), false};
}

VerifyResult Verifier::from_cache(VerifyCache::Entry& e, std::string_view expected_block,
                                  std::int64_t now) {
  Issuer& issuer = issuers_[e.issuer];
  if (issuer.store->generation() != e.key_generation) {
    // Keys rotated since this token was verified: it stays good only while its key is still
    // published (a withdrawn key revokes its tokens, cached or not).
    const KeySet* keys = keys_of(issuer);
    const PublicKeyPtr* key = keys ? keys->find(e.claims->key_id) : nullptr;
    if (key == nullptr || !(*key)->same_key(*e.key)) {
      cache_.erase(e);
      return TokenError::kUnknownKid;
    }
    e.key_generation = issuer.generation;
  }
  // Only the signature is skipped: every claim check runs again (time moved; the caller's block
  // may differ from the one the token was first presented for).
  VerifyResult r = check_claims(*e.claims, kRequired, expected_block, now);
  if (!r) {
    if (r.error() == TokenError::kExpired) {
      cache_.erase(e);  // can never pass again
    }
    return r;
  }
  ++cache_hits_;
  return VerifiedToken{e.claims, true};
}

VerifyResult Verifier::check_claims(const Claims& c, std::uint32_t present,
                                    std::string_view block, std::int64_t now) const {
  if ((present & kRequired) != kRequired) {
    return TokenError::kMissingClaim;
  }
  const std::int64_t skew = options_.clock_skew.count();
  // RFC 7519 §4.1.4: now must be before exp (with leeway); §4.1.5: not before nbf (with leeway).
  if (c.expires_at <= now - skew) {
    return TokenError::kExpired;
  }
  if (c.not_before && *c.not_before > now + skew) {
    return TokenError::kNotYetValid;
  }
  if (c.issued_at > now + skew) {
    return TokenError::kIssuedInFuture;
  }
  if (options_.max_lifetime.count() > 0 &&
      static_cast<__int128>(c.expires_at) - c.issued_at > options_.max_lifetime.count()) {
    return TokenError::kLifetimeTooLong;
  }
  if (std::find(c.audience.begin(), c.audience.end(), options_.audience) == c.audience.end()) {
    return TokenError::kWrongAudience;
  }
  if (c.block != block) {
    return TokenError::kWrongBlock;
  }
  if (!options_.required_scope.empty() && !has_scope(c.scope, options_.required_scope)) {
    return TokenError::kWrongScope;
  }
  return VerifiedToken{};
}

}  // namespace wimpu::token
