// Bearer tokens minted with the WWSF's own signing code (libs/token TokenIssuer), so the server
// under load verifies exactly what a WWSF hands to WICs.
#include <stdexcept>

#include "wimpu/common/clock.hpp"
#include "wimpu/loadgen/token_source.hpp"
#include "wimpu/token/issuer.hpp"
#include "wimpu/token/signing_key.hpp"

namespace wimpu::loadgen {
namespace {

class IssuerMinter final : public TokenMinter {
public:
  IssuerMinter(token::IssuerOptions options, token::SigningKeyPtr key, std::string block)
      : issuer_(std::move(options), std::move(key), common::SystemClock::instance()),
        block_(std::move(block)) {}

  Expected<std::string, Error> mint(std::string_view subject) override {
    auto token = issuer_.issue(subject, block_);
    if (!token) {
      return Error("token issue failed: " + std::string(token::name(token.error())));
    }
    return {boost::system::in_place_value, std::move(*token)};
  }

private:
  token::TokenIssuer issuer_;  // not thread-safe: one minter per worker thread
  std::string block_;
};

}  // namespace

Expected<TokenMinterFactory, Error> issuer_minter_factory(const IssuerMinterOptions& o) {
  auto key = token::SigningKey::load_pem_file(o.key_file, o.kid);
  if (!key) {
    return Error("cannot load signing key " + o.key_file + ": " +
                 std::string(token::name(key.error())));
  }
  token::IssuerOptions io;
  io.issuer = o.issuer;
  io.audience = o.audience;
  io.lifetime = std::chrono::seconds(o.lifetime_s);
  token::SigningKeyPtr shared_key = *key;
  const std::string block = o.block;
  // Validate the options now (TokenIssuer throws on bad configuration: startup time).
  try {
    token::TokenIssuer probe(io, shared_key, common::SystemClock::instance());
  } catch (const std::exception& ex) {
    return Error(std::string("token issuer: ") + ex.what());
  }
  return TokenMinterFactory([io, shared_key, block]() -> Expected<TokenMinterPtr, Error> {
    return TokenMinterPtr(std::make_unique<IssuerMinter>(io, shared_key, block));
  });
}

}  // namespace wimpu::loadgen
