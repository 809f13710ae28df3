#include "issuer_minter.hpp"

#include <mutex>
#include <vector>

#include "wimpu/common/counter.hpp"
#include "wimpu/token/issuer.hpp"
#include "wimpu/token/key_set.hpp"
#include "wimpu/token/signing_key.hpp"

namespace wimpu::wwsf {
namespace {

// TokenIssuer keeps an initialised OpenSSL signing context and reusable buffers, so it is not
// thread-safe: each I/O thread borrows one from a small pool (as many as threads ever signed at
// once) and gives it back.
class IssuerMinter final : public TokenMinter {
public:
  IssuerMinter(token::IssuerOptions options, token::SigningKeyPtr key, common::ClockPtr clock,
               std::string jwks)
      : options_(std::move(options)),
        key_(std::move(key)),
        clock_(std::move(clock)),
        jwks_(std::move(jwks)) {}

  Expected<MintedToken, Error> mint(std::string_view subject, std::string_view block) override {
    // The issuer reads the clock itself, at or after this instant: the exp reported here is
    // never later than the token's.
    const std::int64_t exp = std::chrono::duration_cast<std::chrono::seconds>(
                                 clock_->wall_now().time_since_epoch())
                                 .count() +
                             options_.lifetime.count();
    std::unique_ptr<token::TokenIssuer> issuer = acquire();
    auto jws = issuer->issue(subject, block);
    release(std::move(issuer));
    if (!jws) {
      common::counter("wwsf.token.issue_failed").inc();
      return Error{std::string(token::name(jws.error()))};
    }
    return MintedToken{std::move(*jws), exp};
  }

  std::string jwks_json() const override { return jwks_; }

private:
  std::unique_ptr<token::TokenIssuer> acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto issuer = std::move(idle_.back());
        idle_.pop_back();
        return issuer;
      }
    }
    // Options were validated by make_issuer_minter, so this constructor does not throw.
    return std::make_unique<token::TokenIssuer>(options_, key_, clock_);
  }

  void release(std::unique_ptr<token::TokenIssuer> issuer) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(issuer));
  }

  token::IssuerOptions options_;
  token::SigningKeyPtr key_;
  common::ClockPtr clock_;
  std::string jwks_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<token::TokenIssuer>> idle_;
};

}  // namespace

Expected<TokenMinterPtr, std::string> make_issuer_minter(const WwsfConfig& config,
                                                         common::ClockPtr clock) {
  if (config.issuer.empty() || config.audience.empty() || config.token_lifetime.count() <= 0 ||
      !clock) {
    return std::string("token minter: issuer, audience and a positive lifetime are required");
  }
  auto key = config.signing_key_file.empty()
                 ? token::SigningKey::generate(token::Algorithm::kEdDSA)
                 : token::SigningKey::load_pem_file(config.signing_key_file);
  if (!key) {
    return "signing key " + (config.signing_key_file.empty() ? "generation" : config.signing_key_file) +
           ": " + std::string(token::name(key.error()));
  }
  std::vector<token::PublicKeyPtr> published{(*key)->public_key()};
  for (const auto& file : config.retired_key_files) {
    auto old = token::SigningKey::load_pem_file(file);
    if (!old) {
      return "retired key " + file + ": " + std::string(token::name(old.error()));
    }
    published.push_back((*old)->public_key());
  }
  token::IssuerOptions options;
  options.issuer = config.issuer;
  options.audience = config.audience;
  options.lifetime = config.token_lifetime;
  try {
    token::TokenIssuer probe(options, *key, clock);  // Validates the options once, at startup.
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  return TokenMinterPtr(std::make_shared<IssuerMinter>(std::move(options), std::move(*key),
                                                       std::move(clock),
                                                       token::jwks_document(published)));
}

}  // namespace wimpu::wwsf
