#pragma once
// base64url without padding (RFC 4648 §5, as profiled by RFC 7515 §2 and Appendix C): the encoding
// of every JWS segment. Decoding is strict: only the URL-safe alphabet, no '=' padding, no
// whitespace, and the unused low bits of the last character must be zero, so every byte string has
// exactly one accepted encoding (a token cannot be re-encoded into a different string that
// verifies, which the verification cache relies on).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "wimpu/common/expected.hpp"

namespace wimpu::token::base64url {

/// Why a base64url decode failed.
enum class DecodeError : std::uint8_t {
  kBadLength,     ///< length % 4 == 1 (cannot come from any byte string)
  kBadCharacter,  ///< a character outside [A-Za-z0-9_-] (includes '=' padding and whitespace)
  kNonCanonical,  ///< the last character carries non-zero unused bits
};

/// Number of characters `encode` produces for `n` bytes.
constexpr std::size_t encoded_size(std::size_t n) noexcept { return (n * 4 + 2) / 3; }

/// Upper bound of the bytes `decode_append` produces for `n` characters.
constexpr std::size_t decoded_size_max(std::size_t n) noexcept { return n * 3 / 4; }

/// Appends the unpadded base64url encoding of `in` to `out`. Thread-safe (pure function).
void encode_append(std::span<const std::uint8_t> in, std::string& out);

/// Returns the unpadded base64url encoding of `in`. Thread-safe (pure function).
std::string encode(std::span<const std::uint8_t> in);

/// Convenience overload for text and byte strings held in a string_view.
std::string encode(std::string_view in);

/// Decodes `in` strictly and appends the bytes to `out`. On error `out` is left as it was.
/// Returns the number of bytes appended. Thread-safe (pure function); never throws.
Expected<std::size_t, DecodeError> decode_append(std::string_view in, std::string& out);

/// Decodes `in` strictly into a new string. Thread-safe; never throws except std::bad_alloc.
Expected<std::string, DecodeError> decode(std::string_view in);

}  // namespace wimpu::token::base64url
