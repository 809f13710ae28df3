#pragma once
// Header field names: case-insensitive (RFC 3261 §7.3.1), with compact forms (§7.3.3 and the IANA
// "Header Fields" registry). Known names map to a HeaderId so lookups compare integers.
#include <cstdint>
#include <string_view>

namespace wimpu::sip {

/// Known header fields. kOther: any other name (see HeaderField::name). Compact form in comments.
enum class HeaderId : std::uint8_t {
  kOther,
  kAccept,
  kAcceptContact,       // a
  kAcceptEncoding,
  kAcceptLanguage,
  kAlertInfo,
  kAllow,
  kAllowEvents,         // u
  kAuthenticationInfo,
  kAuthorization,
  kCallId,              // i
  kCallInfo,
  kContact,             // m
  kContentDisposition,
  kContentEncoding,     // e
  kContentLanguage,
  kContentLength,       // l
  kContentType,         // c
  kCSeq,
  kDate,
  kErrorInfo,
  kEvent,               // o
  kExpires,
  kFlowTimer,
  kFrom,                // f
  kIdentity,            // y
  kIdentityInfo,        // n
  kInReplyTo,
  kMaxForwards,
  kMimeVersion,
  kMinExpires,
  kMinSE,
  kOrganization,
  kPAccessNetworkInfo,
  kPAssertedIdentity,
  kPAssociatedUri,
  kPCalledPartyId,
  kPChargingFunctionAddresses,
  kPChargingVector,
  kPPreferredIdentity,
  kPProfileKey,
  kPVisitedNetworkId,
  kPath,
  kPriority,
  kPrivacy,
  kProxyAuthenticate,
  kProxyAuthorization,
  kProxyRequire,
  kRAck,
  kReason,
  kRecordRoute,
  kReferTo,             // r
  kReferredBy,          // b
  kRejectContact,       // j
  kReplyTo,
  kRequestDisposition,  // d
  kRequire,
  kRetryAfter,
  kRoute,
  kRSeq,
  kSecurityClient,
  kSecurityServer,
  kSecurityVerify,
  kServer,
  kServiceRoute,
  kSessionExpires,      // x
  kSipETag,
  kSipIfMatch,
  kSubject,             // s
  kSubscriptionState,
  kSupported,           // k
  kTimestamp,
  kTo,                  // t
  kUnsupported,
  kUserAgent,
  kVia,                 // v
  kWarning,
  kWwwAuthenticate,
  kCount_,              ///< number of ids; not a header
};

/// Maps a header name (full or compact form, any case) to its id; unknown names -> kOther.
/// Allocation-free, thread-safe.
HeaderId header_id_from_name(std::string_view name) noexcept;

/// Canonical full name ("Call-ID", "WWW-Authenticate"); empty for kOther. Static storage.
std::string_view canonical_name(HeaderId id) noexcept;

/// Compact form letter ('i' for Call-ID), or '\0' when the header has none.
char compact_form(HeaderId id) noexcept;

/// One header line of a message. Views into the message buffer, offsets relative to
/// Message::bytes(). Folded lines (RFC 3261 §7.3.1) keep their CRLF+WSP inside `value`.
struct HeaderField {
  HeaderId id = HeaderId::kOther;
  std::string_view name;    ///< as received ("v", "MaX-fOrWaRdS")
  std::string_view value;   ///< value without leading/trailing LWS (may be empty)
  std::uint32_t begin = 0;  ///< offset of the first byte of the name
  std::uint32_t end = 0;    ///< offset just past the line's terminating CRLF (or LF)
};

}  // namespace wimpu::sip
