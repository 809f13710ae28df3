#pragma once
// Allocation-light, non-throwing readers for the two JSON objects of a JWS: the protected header
// (RFC 7515 §4) and the JWT claims set (RFC 7519 §4). Both run nlohmann's SAX parser (strict
// RFC 8259, UTF-8 checked) straight over the decoded bytes, with no DOM: only the members we use
// are copied out. Duplicate members we use are refused (RFC 7515 §4 / RFC 7519 §4 allow either
// refusing or taking the last; refusing removes any parser-differential doubt).
#include <cstdint>
#include <string>
#include <string_view>

#include "wimpu/token/claims.hpp"

namespace wimpu::token::jose {

/// The protected header members the verifier looks at.
struct Header {
  std::string alg;
  std::string kid;
  bool has_alg = false;
  bool has_kid = false;
  bool has_crit = false;  ///< any `crit`, whatever its value: we understand no extension
};

/// Parses a header. False when it is not a JSON object, a member we use has the wrong type or
/// appears twice, or nesting exceeds a small depth. Never throws (except std::bad_alloc).
bool parse_header(std::string_view json, Header& out);

/// Bit set of the claims found by parse_claims (a present but empty string counts as absent).
enum ClaimBit : std::uint32_t {
  kIss = 1u << 0,
  kSub = 1u << 1,
  kAud = 1u << 2,
  kExp = 1u << 3,
  kNbf = 1u << 4,
  kIat = 1u << 5,
  kJti = 1u << 6,
  kBlock = 1u << 7,
  kScope = 1u << 8,
};

/// Parses a claims set into `out`, with `block_claim` naming the block member. Sets `present`.
/// False on the same conditions as parse_header, and when a NumericDate is not a number, `aud` is
/// neither a string nor an array of strings, or a string claim is not a string.
bool parse_claims(std::string_view json, std::string_view block_claim, Claims& out,
                  std::uint32_t& present);

}  // namespace wimpu::token::jose
