#pragma once
// A self-contained EdDSA (Ed25519, RFC 8037) TokenMinter (keys via OpenSSL 3, signatures by
// libsodium, which signs Ed25519 ~1.8x faster here), used until libs/token's TokenIssuer is
// merged into main. TODO(wwsf): replace with wimpu::token's TokenIssuer once it lands.
#include <chrono>
#include <string>
#include <vector>

#include "wimpu/common/clock.hpp"
#include "wimpu/wwsf/token_minter.hpp"

namespace wimpu::wwsf {

/// The fixed claims of every token.
struct MinterOptions {
  std::string issuer;                  ///< iss
  std::string audience;                ///< aud
  std::chrono::seconds lifetime{300};  ///< exp - iat
};

/// Builds a minter signing with the Ed25519 PEM key in `key_file` (PKCS#8), or with a freshly
/// generated key when `key_file` is empty (tests, development). `retired_key_files` are older
/// keys whose public halves stay in the JWKS during a rotation (RFC 7517 §5, kid per key).
/// The kid of each key is its RFC 7638 thumbprint; times come from `clock`'s wall time.
/// Startup-time: errors are returned.
Expected<TokenMinterPtr, std::string> make_ed25519_minter(
    MinterOptions options, common::ClockPtr clock, const std::string& key_file,
    const std::vector<std::string>& retired_key_files = {});

}  // namespace wimpu::wwsf
