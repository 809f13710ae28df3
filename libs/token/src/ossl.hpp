#pragma once
// Thin RAII over the OpenSSL 3 EVP objects the library uses, and the JOSE <-> DER conversion of
// ECDSA signatures (RFC 7518 §3.4: a JWS carries r||s, each 32 bytes big-endian; OpenSSL speaks
// the X9.62 DER SEQUENCE { INTEGER r, INTEGER s }).
#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace wimpu::token::ossl {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

/// SHA-256, fetched once from the default provider (an implicit fetch per call costs a lock and a
/// method-store lookup). Never null after the first call succeeds; thread-safe.
const EVP_MD* sha256();

/// Largest DER encoding of a P-256 ECDSA signature: 2 + 2 * (2 + 33).
inline constexpr std::size_t kMaxEcdsaDer = 72;

/// Encodes a JOSE r||s signature (64 bytes) as DER into `out`; returns the DER length.
std::size_t jose_to_der(std::span<const std::uint8_t, 64> jose,
                        std::array<std::uint8_t, kMaxEcdsaDer>& out) noexcept;

/// Decodes a DER ECDSA signature into JOSE r||s. Strict (minimal lengths, no trailing bytes, r and
/// s at most 32 significant bytes). Returns false on anything else.
bool der_to_jose(std::span<const std::uint8_t> der, std::span<std::uint8_t, 64> jose) noexcept;

/// Drains OpenSSL's thread-local error queue into one line (for control-plane messages) and
/// clears it, so a later operation on this thread does not report a stale error.
std::string drain_errors();

/// Clears the thread's OpenSSL error queue (data plane: the reason is already in our error code).
void clear_errors() noexcept;

}  // namespace wimpu::token::ossl
