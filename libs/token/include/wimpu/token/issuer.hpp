#pragma once
// What the WWSF calls to mint the identity assertion returned by `POST /api/token` (issue 4):
// a compact JWS (RFC 7515 §7.1) over a JWT claims set (RFC 7519) with the wIMPU block claim.
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "wimpu/common/clock.hpp"
#include "wimpu/common/expected.hpp"
#include "wimpu/token/claims.hpp"
#include "wimpu/token/signing_key.hpp"

namespace wimpu::token {

class SignatureMaker;

/// Why a token could not be issued.
enum class IssueError : std::uint8_t {
  kBadInput,       ///< empty subject/block, or text that is not valid UTF-8
  kRandomFailed,   ///< the CSPRNG failed (no jti can be made)
  kSigningFailed,  ///< the crypto library (libsodium for EdDSA, OpenSSL for ES256) refused to sign
};

/// Stable short name of an IssueError. Thread-safe.
std::string_view name(IssueError e) noexcept;

/// Claims the WWSF puts in every token (besides sub, block, jti and the times).
struct IssuerOptions {
  std::string issuer;                      ///< iss: this WWSF's identifier (e.g. its https origin)
  std::string audience;                    ///< aud: the eP-CSCF realm
  std::chrono::seconds lifetime{300};      ///< exp - iat; short-lived (the WIC refreshes, T-07)
  std::string scope;                       ///< scope claim; omitted when empty
  std::string block_claim{kDefaultBlockClaim};  ///< name of the block claim
};

/// Signs tokens with one key. NOT thread-safe (it keeps an initialised signing context): create
/// one per thread; the SigningKey itself is shared.
class TokenIssuer {
public:
  /// Throws std::invalid_argument on a null key or clock, an empty issuer or audience, or a
  /// non-positive lifetime (configuration time).
  TokenIssuer(IssuerOptions options, SigningKeyPtr key, common::ClockPtr clock);
  ~TokenIssuer();
  TokenIssuer(const TokenIssuer&) = delete;
  TokenIssuer& operator=(const TokenIssuer&) = delete;

  /// Issues a token for web identity `subject`, valid for wIMPU block `block`, from now (the
  /// injected clock's wall time) until now + lifetime; iat = nbf = now; jti = 128 random bits
  /// from OpenSSL's CSPRNG. Header {"alg","kid","typ":"JWT"}. Counts "token.issue.ok" or
  /// "token.issue.fail.<reason>".
  Expected<std::string, IssueError> issue(std::string_view subject, std::string_view block);

  /// The key this issuer signs with (its public half goes into the JWKS).
  const SigningKeyPtr& key() const noexcept;
  /// The options in force.
  const IssuerOptions& options() const noexcept { return options_; }

private:
  IssuerOptions options_;
  common::ClockPtr clock_;
  std::unique_ptr<SignatureMaker> maker_;
  std::string header_b64_;  // constant per key: encoded once
  std::string payload_;     // reused buffers
  std::string out_;
  // CSPRNG output not yet used for a jti (RAND_bytes once per 64 tokens). The WWSF does not
  // fork; a forked child would have to build its own issuers to avoid repeating jtis.
  static constexpr std::size_t kJtiBytes = 16;
  std::array<std::uint8_t, 64 * kJtiBytes> random_{};
  std::size_t random_used_ = random_.size();
};

}  // namespace wimpu::token
