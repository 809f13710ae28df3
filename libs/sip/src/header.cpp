// Header name <-> HeaderId. Names are case-insensitive (RFC 3261 §7.3.1); compact forms from
// RFC 3261 §7.3.3 and the IANA SIP "Header Fields" registry.
#include <array>

#include "chars.hpp"
#include "wimpu/sip/header.hpp"
#include "wimpu/sip/uri.hpp"

namespace wimpu::sip {
namespace {

struct HeaderName {
  HeaderId id;
  std::string_view name;
  char compact;
};

// Indexed by HeaderId.
constexpr HeaderName kNames[] = {
    {HeaderId::kOther, "", '\0'},
    {HeaderId::kAccept, "Accept", '\0'},
    {HeaderId::kAcceptContact, "Accept-Contact", 'a'},
    {HeaderId::kAcceptEncoding, "Accept-Encoding", '\0'},
    {HeaderId::kAcceptLanguage, "Accept-Language", '\0'},
    {HeaderId::kAlertInfo, "Alert-Info", '\0'},
    {HeaderId::kAllow, "Allow", '\0'},
    {HeaderId::kAllowEvents, "Allow-Events", 'u'},
    {HeaderId::kAuthenticationInfo, "Authentication-Info", '\0'},
    {HeaderId::kAuthorization, "Authorization", '\0'},
    {HeaderId::kCallId, "Call-ID", 'i'},
    {HeaderId::kCallInfo, "Call-Info", '\0'},
    {HeaderId::kContact, "Contact", 'm'},
    {HeaderId::kContentDisposition, "Content-Disposition", '\0'},
    {HeaderId::kContentEncoding, "Content-Encoding", 'e'},
    {HeaderId::kContentLanguage, "Content-Language", '\0'},
    {HeaderId::kContentLength, "Content-Length", 'l'},
    {HeaderId::kContentType, "Content-Type", 'c'},
    {HeaderId::kCSeq, "CSeq", '\0'},
    {HeaderId::kDate, "Date", '\0'},
    {HeaderId::kErrorInfo, "Error-Info", '\0'},
    {HeaderId::kEvent, "Event", 'o'},
    {HeaderId::kExpires, "Expires", '\0'},
    {HeaderId::kFlowTimer, "Flow-Timer", '\0'},
    {HeaderId::kFrom, "From", 'f'},
    {HeaderId::kIdentity, "Identity", 'y'},
    {HeaderId::kIdentityInfo, "Identity-Info", 'n'},
    {HeaderId::kInReplyTo, "In-Reply-To", '\0'},
    {HeaderId::kMaxForwards, "Max-Forwards", '\0'},
    {HeaderId::kMimeVersion, "MIME-Version", '\0'},
    {HeaderId::kMinExpires, "Min-Expires", '\0'},
    {HeaderId::kMinSE, "Min-SE", '\0'},
    {HeaderId::kOrganization, "Organization", '\0'},
    {HeaderId::kPAccessNetworkInfo, "P-Access-Network-Info", '\0'},
    {HeaderId::kPAssertedIdentity, "P-Asserted-Identity", '\0'},
    {HeaderId::kPAssociatedUri, "P-Associated-URI", '\0'},
    {HeaderId::kPCalledPartyId, "P-Called-Party-ID", '\0'},
    {HeaderId::kPChargingFunctionAddresses, "P-Charging-Function-Addresses", '\0'},
    {HeaderId::kPChargingVector, "P-Charging-Vector", '\0'},
    {HeaderId::kPPreferredIdentity, "P-Preferred-Identity", '\0'},
    {HeaderId::kPProfileKey, "P-Profile-Key", '\0'},
    {HeaderId::kPVisitedNetworkId, "P-Visited-Network-ID", '\0'},
    {HeaderId::kPath, "Path", '\0'},
    {HeaderId::kPriority, "Priority", '\0'},
    {HeaderId::kPrivacy, "Privacy", '\0'},
    {HeaderId::kProxyAuthenticate, "Proxy-Authenticate", '\0'},
    {HeaderId::kProxyAuthorization, "Proxy-Authorization", '\0'},
    {HeaderId::kProxyRequire, "Proxy-Require", '\0'},
    {HeaderId::kRAck, "RAck", '\0'},
    {HeaderId::kReason, "Reason", '\0'},
    {HeaderId::kRecordRoute, "Record-Route", '\0'},
    {HeaderId::kReferTo, "Refer-To", 'r'},
    {HeaderId::kReferredBy, "Referred-By", 'b'},
    {HeaderId::kRejectContact, "Reject-Contact", 'j'},
    {HeaderId::kReplyTo, "Reply-To", '\0'},
    {HeaderId::kRequestDisposition, "Request-Disposition", 'd'},
    {HeaderId::kRequire, "Require", '\0'},
    {HeaderId::kRetryAfter, "Retry-After", '\0'},
    {HeaderId::kRoute, "Route", '\0'},
    {HeaderId::kRSeq, "RSeq", '\0'},
    {HeaderId::kSecurityClient, "Security-Client", '\0'},
    {HeaderId::kSecurityServer, "Security-Server", '\0'},
    {HeaderId::kSecurityVerify, "Security-Verify", '\0'},
    {HeaderId::kServer, "Server", '\0'},
    {HeaderId::kServiceRoute, "Service-Route", '\0'},
    {HeaderId::kSessionExpires, "Session-Expires", 'x'},
    {HeaderId::kSipETag, "SIP-ETag", '\0'},
    {HeaderId::kSipIfMatch, "SIP-If-Match", '\0'},
    {HeaderId::kSubject, "Subject", 's'},
    {HeaderId::kSubscriptionState, "Subscription-State", '\0'},
    {HeaderId::kSupported, "Supported", 'k'},
    {HeaderId::kTimestamp, "Timestamp", '\0'},
    {HeaderId::kTo, "To", 't'},
    {HeaderId::kUnsupported, "Unsupported", '\0'},
    {HeaderId::kUserAgent, "User-Agent", '\0'},
    {HeaderId::kVia, "Via", 'v'},
    {HeaderId::kWarning, "Warning", '\0'},
    {HeaderId::kWwwAuthenticate, "WWW-Authenticate", '\0'},
};
static_assert(std::size(kNames) == static_cast<std::size_t>(HeaderId::kCount_));

constexpr bool table_is_indexed() {
  for (std::size_t i = 0; i < std::size(kNames); ++i) {
    if (static_cast<std::size_t>(kNames[i].id) != i) {
      return false;
    }
  }
  return true;
}
static_assert(table_is_indexed());

// Buckets by lower-case first letter: the full names starting with that letter, so a lookup
// compares the length first and a handful of names at most.
struct Buckets {
  std::array<std::array<std::uint8_t, 24>, 26> ids{};
  std::array<std::uint8_t, 26> count{};
  std::array<std::uint8_t, 26> compact{};  // HeaderId for the one-letter compact form
};

constexpr Buckets make_buckets() {
  Buckets b{};
  for (std::size_t i = 1; i < std::size(kNames); ++i) {
    const char c0 = kNames[i].name[0];
    const int letter = (c0 >= 'A' && c0 <= 'Z') ? c0 - 'A' : c0 - 'a';
    b.ids[static_cast<std::size_t>(letter)][b.count[static_cast<std::size_t>(letter)]++] =
        static_cast<std::uint8_t>(i);
    if (kNames[i].compact != '\0') {
      b.compact[static_cast<std::size_t>(kNames[i].compact - 'a')] = static_cast<std::uint8_t>(i);
    }
  }
  return b;
}
constexpr Buckets kBuckets = make_buckets();

}  // namespace

HeaderId header_id_from_name(std::string_view name) noexcept {
  if (name.empty()) {
    return HeaderId::kOther;
  }
  const char c0 = chars::lower(name[0]);
  if (c0 < 'a' || c0 > 'z') {
    return HeaderId::kOther;
  }
  const auto letter = static_cast<std::size_t>(c0 - 'a');
  if (name.size() == 1) {
    return static_cast<HeaderId>(kBuckets.compact[letter]);
  }
  const auto& ids = kBuckets.ids[letter];
  for (std::size_t i = 0; i < kBuckets.count[letter]; ++i) {
    const std::string_view candidate = kNames[ids[i]].name;
    if (candidate.size() == name.size() && iequals(candidate, name)) {
      return static_cast<HeaderId>(ids[i]);
    }
  }
  return HeaderId::kOther;
}

std::string_view canonical_name(HeaderId id) noexcept {
  const auto i = static_cast<std::size_t>(id);
  return i < std::size(kNames) ? kNames[i].name : std::string_view();
}

char compact_form(HeaderId id) noexcept {
  const auto i = static_cast<std::size_t>(id);
  return i < std::size(kNames) ? kNames[i].compact : '\0';
}

}  // namespace wimpu::sip
