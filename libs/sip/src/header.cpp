// Header name <-> HeaderId. Names are case-insensitive (RFC 3261 §7.3.1); compact forms from
// RFC 3261 §7.3.3 and the IANA SIP "Header Fields" registry.
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include "lex.hpp"
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

constexpr char lower_c(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// Open-addressing table keyed by a hash of the length and three letters of the name: a lookup is
// one hash, usually one probe, one length check and one case-insensitive compare. The letters are
// folded with | 0x20 (lower case for letters, no branch); other token octets fold to something
// else, which only changes the slot probed, never the answer (name_equals decides).
constexpr std::size_t kSlots = 512;

constexpr std::size_t fold(char c) { return static_cast<unsigned char>(c) | 0x20U; }

constexpr std::size_t name_hash(std::string_view n) {
  return (n.size() * 31 + fold(n[0]) * 7 + fold(n[n.size() / 2]) * 17 +
          fold(n[n.size() - 1]) * 131) &
         (kSlots - 1);
}

struct Table {
  std::array<std::uint8_t, kSlots> slot{};      // HeaderId, 0 = empty
  std::array<std::uint8_t, 26> compact{};       // HeaderId for the one-letter compact forms
  std::size_t max_probe = 0;
};

constexpr Table make_table() {
  Table t{};
  for (std::size_t i = 1; i < std::size(kNames); ++i) {
    std::size_t h = name_hash(kNames[i].name);
    std::size_t probe = 0;
    while (t.slot[h] != 0) {
      h = (h + 1) & (kSlots - 1);
      ++probe;
    }
    t.slot[h] = static_cast<std::uint8_t>(i);
    t.max_probe = probe > t.max_probe ? probe : t.max_probe;
    if (kNames[i].compact != '\0') {
      t.compact[static_cast<std::size_t>(kNames[i].compact - 'a')] = static_cast<std::uint8_t>(i);
    }
  }
  return t;
}
constexpr Table kTable = make_table();

// Case-insensitive compare of a received token against a canonical name (letters and '-'): for
// those, (x | 0x20) == (y | 0x20) is exact (the only other byte mapping to '-' is CR, which is not
// a token char), so compare 8 bytes at a time.
bool name_equals(std::string_view canonical, std::string_view name) {
  constexpr std::uint64_t kFold = 0x2020202020202020ULL;
  std::size_t i = 0;
  const std::size_t n = name.size();
  for (; i + 8 <= n; i += 8) {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::memcpy(&a, canonical.data() + i, 8);
    std::memcpy(&b, name.data() + i, 8);
    if ((a | kFold) != (b | kFold)) {
      return false;
    }
  }
  for (; i < n; ++i) {
    if ((canonical[i] | 0x20) != (name[i] | 0x20)) {
      return false;
    }
  }
  return true;
}

// The canonical names folded (| 0x20) as little-endian words, zero-padded: with the received
// name readable past its end up to a whole word, the compare is one load, mask and compare per 8
// octets, without a byte loop for the tail (most names are shorter than 8 octets).
constexpr std::size_t kFoldedWords = 4;
using FoldedName = std::array<std::uint64_t, kFoldedWords>;

constexpr std::array<FoldedName, std::size(kNames)> make_folded() {
  std::array<FoldedName, std::size(kNames)> t{};
  for (std::size_t i = 0; i < std::size(kNames); ++i) {
    const std::string_view n = kNames[i].name;
    for (std::size_t k = 0; k < n.size(); ++k) {
      t[i][k / 8] |= static_cast<std::uint64_t>(fold(n[k])) << (8 * (k % 8));
    }
  }
  return t;
}
constexpr auto kFolded = make_folded();
static_assert([] {
  for (const HeaderName& n : kNames) {
    if (n.name.size() > 8 * kFoldedWords) {
      return false;
    }
  }
  return true;
}());

bool folded_equals(const FoldedName& canonical, const char* name, std::size_t n) {
  constexpr std::uint64_t kFold = 0x2020202020202020ULL;
  std::size_t w = 0;
  for (; 8 * (w + 1) <= n; ++w) {
    std::uint64_t b = 0;
    std::memcpy(&b, name + 8 * w, 8);
    if ((b | kFold) != canonical[w]) {
      return false;
    }
  }
  const std::size_t rest = n - 8 * w;
  if (rest == 0) {
    return true;
  }
  std::uint64_t b = 0;
  std::memcpy(&b, name + 8 * w, 8);  // readable: the caller's precondition
  const std::uint64_t mask = (std::uint64_t{1} << (8 * rest)) - 1;
  return ((b | kFold) & mask) == canonical[w];
}

static_assert(kTable.max_probe <= 3, "header name hash clusters too much: change name_hash");

}  // namespace

namespace detail {

HeaderId header_id_from_token(std::string_view name, const char* readable_end) noexcept {
  if (name.empty()) {
    return HeaderId::kOther;
  }
  if (name.size() == 1) {
    const char c = lower_c(name[0]);
    return (c >= 'a' && c <= 'z') ? static_cast<HeaderId>(kTable.compact[static_cast<std::size_t>(c - 'a')])
                                  : HeaderId::kOther;
  }
  // Whole words readable from name.data()? (Little-endian layout of kFolded.)
  const std::size_t padded = (name.size() + 7) & ~std::size_t{7};
  const bool words = std::endian::native == std::endian::little && readable_end != nullptr &&
                     padded <= static_cast<std::size_t>(readable_end - name.data());
  std::size_t h = name_hash(name);
  while (const std::uint8_t id = kTable.slot[h]) {
    const std::string_view candidate = kNames[id].name;
    if (candidate.size() == name.size() &&
        (words ? folded_equals(kFolded[id], name.data(), name.size())
               : name_equals(candidate, name))) {
      return static_cast<HeaderId>(id);
    }
    h = (h + 1) & (kSlots - 1);
  }
  return HeaderId::kOther;
}

}  // namespace detail

HeaderId header_id_from_name(std::string_view name) noexcept {
  // name_equals() is exact for token input; CR is the one non-token byte it could confuse ('-').
  if (name.find('\r') != std::string_view::npos) {
    return HeaderId::kOther;
  }
  return detail::header_id_from_token(name);
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
