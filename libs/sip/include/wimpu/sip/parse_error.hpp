#pragma once
// Errors returned by every parser in wimpu::sip. Parsing never throws (STYLE.md "Errors"): each
// parse function returns wimpu::Expected<T, ParseError>, and each error path bumps a named counter
// ("sip.parse_error.<code>").
#include <cstdint>
#include <string_view>

#include "wimpu/common/expected.hpp"

namespace wimpu::sip {

/// Closed set of reasons a SIP message, URI or header value is rejected. A server maps all of them
/// to 400 Bad Request (RFC 3261 §21.4.1), except kMessageTooLarge (513, §21.5.14).
enum class ParseErrorCode : std::uint8_t {
  kEmpty,                   ///< no bytes (or only CRLFs) before the start line
  kMessageTooLarge,         ///< input larger than ParseOptions::max_size (513)
  kBadStartLine,            ///< Request-Line / Status-Line not "X SP Y SP Z CRLF"
  kBadMethod,               ///< method is not a token (RFC 3261 §25.1)
  kBadVersion,              ///< SIP-Version other than SIP/2.0 (RFC 4475 §3.1.2.16: 505)
  kBadStatusCode,           ///< Status-Code not 3 digits in 100..699 (RFC 4475 §3.1.2.19)
  kBadReason,               ///< Reason-Phrase contains CTL characters
  kHeadersUnterminated,     ///< no empty line ending the header section
  kBadHeader,               ///< header line syntax (no colon, bad name, bad value of a typed header)
  kMissingMandatoryHeader,  ///< To, From, Call-ID, CSeq or Via absent (RFC 3261 §8.1.1)
  kDuplicateHeader,         ///< a single-valued header repeated (RFC 4475 §3.3.8, §3.3.12)
  kBadVia,                  ///< Via value syntax (RFC 3261 §20.42, RFC 7118 §5)
  kBadNameAddr,             ///< From/To/Contact/Route/Record-Route name-addr or addr-spec syntax
  kBadCallId,               ///< Call-ID is not word["@"word]
  kBadCSeq,                 ///< CSeq not "number method" or number > 2^32-1
  kCSeqMethodMismatch,      ///< CSeq method differs from the request method (RFC 4475 §3.1.2.17)
  kBadMaxForwards,          ///< Max-Forwards not 1*DIGIT in 0..255 (RFC 3261 §20.22)
  kBadContentLength,        ///< Content-Length not 1*DIGIT, or missing where mandatory
  kBodyTruncated,           ///< fewer body bytes than Content-Length says (RFC 3261 §18.3)
  kBadUri,                  ///< URI syntax (RFC 3261 §19.1, RFC 3966, RFC 5118)
  kBadParameter,            ///< generic-param syntax (empty name, bad quoted string)
};

/// Stable lowercase name of `code` (e.g. "bad_via"), used in logs and counter names.
std::string_view to_string(ParseErrorCode code) noexcept;

/// Why and where a parse failed.
struct ParseError {
  ParseErrorCode code = ParseErrorCode::kBadHeader;
  /// Byte offset in the parsed input where the faulty element starts (for a message: the offset of
  /// the start line or of the header line at fault; for a URI or value: offset inside that text).
  std::uint32_t offset = 0;
  /// Canonical name of the header at fault ("Via", "CSeq", "Request-URI", ...), empty for the
  /// start line and framing errors. Always points to static storage: safe to keep.
  std::string_view header;

  friend bool operator==(const ParseError&, const ParseError&) = default;
};

/// Result type of every parser in this library.
template <class T>
using ParseResult = wimpu::Expected<T, ParseError>;

}  // namespace wimpu::sip
