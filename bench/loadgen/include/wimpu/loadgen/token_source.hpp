#pragma once
// Where the Bearer tokens of the REGISTERs come from. The engine asks a TokenMinter (one per
// worker thread) for a token per web identity; the token library's TokenIssuer is one minter
// (token_minter_from_key_file), a fixed string is another. Keeping this seam small lets the tool
// and its tests run without a signing key.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "wimpu/common/expected.hpp"
#include "wimpu/loadgen/error.hpp"

namespace wimpu::loadgen {

/// Produces tokens for web identities.
///
/// Threading: an instance is used by one worker thread only (TokenIssuer keeps per-thread OpenSSL
/// state); the engine creates one per worker through a TokenMinterFactory.
class TokenMinter {
public:
  virtual ~TokenMinter() = default;
  /// A token asserting web identity `subject` (the JWT `sub`). Error: a human-readable reason
  /// (counted as ErrorKind::kToken by the engine; the request goes out without Authorization).
  virtual Expected<std::string, Error> mint(std::string_view subject) = 0;
};

using TokenMinterPtr = std::unique_ptr<TokenMinter>;

/// Creates one minter per worker thread; called on the thread that calls Engine::run(), before
/// the workers start. Errors are startup errors.
using TokenMinterFactory = std::function<Expected<TokenMinterPtr, Error>()>;

/// A minter that returns the same token for every subject (a token obtained elsewhere, e.g. from
/// the WWSF's `POST /api/token`, or a test token).
class StaticTokenMinter final : public TokenMinter {
public:
  explicit StaticTokenMinter(std::string token) : token_(std::move(token)) {}
  Expected<std::string, Error> mint(std::string_view) override {
    return {boost::system::in_place_value, token_};
  }

private:
  std::string token_;
};

/// Settings of a minter backed by the token library's TokenIssuer (the WWSF's signing code).
struct IssuerMinterOptions {
  std::string key_file;          ///< PEM private key (Ed25519 -> EdDSA, P-256 -> ES256)
  std::string kid;               ///< empty: the key's RFC 7638 thumbprint (what the WWSF uses)
  std::string issuer;            ///< iss
  std::string audience;          ///< aud
  std::string block;             ///< the wIMPU block claim
  std::uint32_t lifetime_s = 300;
};

/// A factory of TokenIssuer-backed minters (one issuer per worker thread; the key is loaded once
/// here, at startup). Error: the key cannot be loaded or the claims are incomplete.
Expected<TokenMinterFactory, Error> issuer_minter_factory(const IssuerMinterOptions& options);

}  // namespace wimpu::loadgen
