#pragma once
// The JWS algorithms wimpu signs and verifies (RFC 7518 §3.4 ES256, RFC 8037 §3.1 EdDSA with
// Ed25519). The algorithm is pinned per issuer in configuration; a token's `alg` header only has to
// agree with it, it never selects anything (RFC 8725 §3.1, §3.2).
#include <cstdint>
#include <optional>
#include <string_view>

namespace wimpu::token {

/// A JWS signature algorithm wimpu supports. There is deliberately no `none` and no HMAC.
enum class Algorithm : std::uint8_t {
  kEdDSA,  ///< Ed25519 (RFC 8037), the default: 64-byte signatures, deterministic
  kES256,  ///< ECDSA P-256 + SHA-256 (RFC 7518 §3.4), signature is r||s, 64 bytes (not DER)
};

/// The JOSE `alg` name: "EdDSA" or "ES256". Thread-safe.
std::string_view jose_name(Algorithm a) noexcept;

/// Parses a configured algorithm name ("EdDSA"/"Ed25519" or "ES256"); case-sensitive like JOSE.
std::optional<Algorithm> algorithm_from_name(std::string_view name) noexcept;

/// Size in bytes of a JWS signature for `a` (64 for both). Thread-safe.
constexpr std::size_t signature_size(Algorithm) noexcept { return 64; }

}  // namespace wimpu::token
