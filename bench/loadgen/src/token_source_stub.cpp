// Built while libs/token is not on main yet: no signing, only fixed tokens. Replaced by
// token_source_issuer.cpp when the token library is available (see CMakeLists.txt).
#include "wimpu/loadgen/token_source.hpp"

namespace wimpu::loadgen {

Expected<TokenMinterFactory, Error> issuer_minter_factory(const IssuerMinterOptions&) {
  return Error("this build has no token library (libs/token): use --token/--token-file");
}

bool has_token_issuer() noexcept { return false; }

}  // namespace wimpu::loadgen
