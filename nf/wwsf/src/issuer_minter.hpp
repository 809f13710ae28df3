#pragma once
// TokenMinter on wimpu::token: TokenIssuer signs (EdDSA by default), jwks_document() publishes the
// signing key plus retired keys.
#include <string>

#include "wimpu/common/clock.hpp"
#include "wimpu/wwsf/config.hpp"
#include "wimpu/wwsf/token_minter.hpp"

namespace wimpu::wwsf {

/// Builds the minter for `config` (see make_minter in wwsf.hpp).
Expected<TokenMinterPtr, std::string> make_issuer_minter(const WwsfConfig& config,
                                                         common::ClockPtr clock);

}  // namespace wimpu::wwsf
