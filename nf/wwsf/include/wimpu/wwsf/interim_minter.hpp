#pragma once
// A self-contained EdDSA (Ed25519, RFC 8037) TokenMinter on OpenSSL 3, used until libs/token's
// issuer is merged into main; then make_minter() switches to it and this file goes away.
// TODO(wwsf): replace with wimpu::token's TokenIssuer once libs/token lands on main.
#include <string>
#include <vector>

#include "wimpu/wwsf/token_minter.hpp"

namespace wimpu::wwsf {

/// Builds a minter signing with the Ed25519 PEM key in `key_file` (PKCS#8), or with a freshly
/// generated key when `key_file` is empty (tests, development). `retired_key_files` are older
/// keys whose public halves stay in the JWKS during a rotation (RFC 7517 §5, kid per key).
/// The kid of each key is its RFC 7638 thumbprint. Startup-time: errors are returned.
Expected<TokenMinterPtr, std::string> make_ed25519_minter(
    const std::string& key_file, const std::vector<std::string>& retired_key_files = {});

}  // namespace wimpu::wwsf
