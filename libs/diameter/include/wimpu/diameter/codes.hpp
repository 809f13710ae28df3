#pragma once
// Numbers of the Cx interface (TS 29.228/29.229) and of the Diameter base protocol (RFC 6733) that
// wimpu encodes and decodes. One table, AvpDef, feeds both the codec (flags on the wire) and the
// freeDiameter dictionary (fd_dictionary.cpp), so the two cannot disagree.
#include <cstdint>
#include <string_view>

namespace wimpu::diameter {

/// 3GPP vendor id (TS 29.229 §6; requirements C-01).
inline constexpr std::uint32_t k3gppVendorId = 10415;
/// Cx/Dx application id (TS 29.229 §6; requirements C-01).
inline constexpr std::uint32_t kCxApplicationId = 16777216;

/// Cx command codes (TS 29.229 §6.1, Table 6.1.1; requirements C-02).
enum class CxCommand : std::uint32_t {
  kUserAuthorization = 300,  ///< UAR/UAA
  kServerAssignment = 301,   ///< SAR/SAA
  kLocationInfo = 302,       ///< LIR/LIA
  kMultimediaAuth = 303,     ///< MAR/MAA
};

/// Stable name ("UAR", "LIA", ...) of a command in one direction, for logs and counter names.
std::string_view to_string(CxCommand command, bool request) noexcept;

/// Diameter header flags (RFC 6733 §3).
inline constexpr std::uint8_t kFlagRequest = 0x80;
inline constexpr std::uint8_t kFlagProxiable = 0x40;
inline constexpr std::uint8_t kFlagError = 0x20;
inline constexpr std::uint8_t kFlagRetransmit = 0x10;

/// AVP header flags (RFC 6733 §4.1).
inline constexpr std::uint8_t kAvpFlagVendor = 0x80;
inline constexpr std::uint8_t kAvpFlagMandatory = 0x40;
inline constexpr std::uint8_t kAvpFlagProtected = 0x20;

/// Base data format of an AVP (RFC 6733 §4.2/§4.3); derived formats map onto these.
enum class AvpType : std::uint8_t {
  kOctetString,  ///< also UTF8String, DiameterIdentity, DiameterURI
  kUtf8String,   ///< OctetString that must be valid UTF-8 (RFC 6733 §4.3.1)
  kUnsigned32,
  kEnumerated,   ///< Integer32-based (RFC 6733 §4.3.1); values used here are >= 0, coded as u32
  kGrouped,
};

/// One AVP definition: code, vendor, the M-bit we send and the data type.
struct AvpDef {
  std::uint32_t code;
  std::uint32_t vendor_id;  ///< 0 for IETF AVPs; the V bit is set iff non-zero
  bool mandatory;           ///< M bit we set when sending (TS 29.229 Table 6.3.1 "must")
  AvpType type;
  std::string_view name;

  /// The flags byte we put on the wire for this AVP.
  constexpr std::uint8_t flags() const {
    return static_cast<std::uint8_t>((vendor_id != 0 ? kAvpFlagVendor : 0) |
                                     (mandatory ? kAvpFlagMandatory : 0));
  }
};

namespace avp {
// RFC 6733 base protocol.
inline constexpr AvpDef kUserName{1, 0, true, AvpType::kUtf8String, "User-Name"};
inline constexpr AvpDef kAuthApplicationId{258, 0, true, AvpType::kUnsigned32, "Auth-Application-Id"};
inline constexpr AvpDef kAcctApplicationId{259, 0, true, AvpType::kUnsigned32, "Acct-Application-Id"};
inline constexpr AvpDef kVendorSpecificApplicationId{260, 0, true, AvpType::kGrouped,
                                                     "Vendor-Specific-Application-Id"};
inline constexpr AvpDef kSessionId{263, 0, true, AvpType::kUtf8String, "Session-Id"};
inline constexpr AvpDef kOriginHost{264, 0, true, AvpType::kOctetString, "Origin-Host"};
inline constexpr AvpDef kVendorId{266, 0, true, AvpType::kUnsigned32, "Vendor-Id"};
inline constexpr AvpDef kResultCode{268, 0, true, AvpType::kUnsigned32, "Result-Code"};
inline constexpr AvpDef kAuthSessionState{277, 0, true, AvpType::kEnumerated, "Auth-Session-State"};
inline constexpr AvpDef kErrorMessage{281, 0, false, AvpType::kUtf8String, "Error-Message"};
inline constexpr AvpDef kDestinationRealm{283, 0, true, AvpType::kOctetString,
                                          "Destination-Realm"};
inline constexpr AvpDef kProxyInfo{284, 0, true, AvpType::kGrouped, "Proxy-Info"};
inline constexpr AvpDef kDestinationHost{293, 0, true, AvpType::kOctetString, "Destination-Host"};
inline constexpr AvpDef kOriginRealm{296, 0, true, AvpType::kOctetString, "Origin-Realm"};
inline constexpr AvpDef kExperimentalResult{297, 0, true, AvpType::kGrouped,
                                            "Experimental-Result"};
inline constexpr AvpDef kExperimentalResultCode{298, 0, true, AvpType::kUnsigned32,
                                                "Experimental-Result-Code"};

// RFC 4590 Digest AVPs used inside SIP-Digest-Authenticate (TS 29.229 §6.3.36, RFC 4740 §9.5).
inline constexpr AvpDef kDigestRealm{104, 0, true, AvpType::kUtf8String, "Digest-Realm"};
inline constexpr AvpDef kDigestQop{110, 0, true, AvpType::kUtf8String, "Digest-QoP"};
inline constexpr AvpDef kDigestAlgorithm{111, 0, true, AvpType::kUtf8String, "Digest-Algorithm"};
inline constexpr AvpDef kDigestHa1{121, 0, true, AvpType::kUtf8String, "Digest-HA1"};

// TS 29.229 §6.3, Table 6.3.1 (vendor 10415). M bit per the table's "must" column.
inline constexpr AvpDef kVisitedNetworkIdentifier{600, k3gppVendorId, true, AvpType::kOctetString,
                                                  "Visited-Network-Identifier"};
inline constexpr AvpDef kPublicIdentity{601, k3gppVendorId, true, AvpType::kUtf8String,
                                        "Public-Identity"};
inline constexpr AvpDef kServerName{602, k3gppVendorId, true, AvpType::kUtf8String, "Server-Name"};
inline constexpr AvpDef kServerCapabilities{603, k3gppVendorId, true, AvpType::kGrouped,
                                            "Server-Capabilities"};
inline constexpr AvpDef kMandatoryCapability{604, k3gppVendorId, true, AvpType::kUnsigned32,
                                             "Mandatory-Capability"};
inline constexpr AvpDef kOptionalCapability{605, k3gppVendorId, true, AvpType::kUnsigned32,
                                            "Optional-Capability"};
inline constexpr AvpDef kUserData{606, k3gppVendorId, true, AvpType::kOctetString, "User-Data"};
inline constexpr AvpDef kSipNumberAuthItems{607, k3gppVendorId, true, AvpType::kUnsigned32,
                                            "SIP-Number-Auth-Items"};
inline constexpr AvpDef kSipAuthenticationScheme{608, k3gppVendorId, true, AvpType::kUtf8String,
                                                 "SIP-Authentication-Scheme"};
inline constexpr AvpDef kSipAuthenticate{609, k3gppVendorId, true, AvpType::kOctetString,
                                         "SIP-Authenticate"};
inline constexpr AvpDef kSipAuthorization{610, k3gppVendorId, true, AvpType::kOctetString,
                                          "SIP-Authorization"};
inline constexpr AvpDef kSipAuthDataItem{612, k3gppVendorId, true, AvpType::kGrouped,
                                         "SIP-Auth-Data-Item"};
inline constexpr AvpDef kSipItemNumber{613, k3gppVendorId, true, AvpType::kUnsigned32,
                                       "SIP-Item-Number"};
inline constexpr AvpDef kServerAssignmentType{614, k3gppVendorId, true, AvpType::kEnumerated,
                                              "Server-Assignment-Type"};
inline constexpr AvpDef kUserAuthorizationType{623, k3gppVendorId, true, AvpType::kEnumerated,
                                               "User-Authorization-Type"};
inline constexpr AvpDef kUserDataAlreadyAvailable{624, k3gppVendorId, true, AvpType::kEnumerated,
                                                  "User-Data-Already-Available"};
inline constexpr AvpDef kOriginatingRequest{633, k3gppVendorId, true, AvpType::kEnumerated,
                                            "Originating-Request"};
// Wildcarded-Public-Identity: V set, M must not be set (TS 29.229 Table 6.3.1; requirements X-05).
inline constexpr AvpDef kWildcardedPublicIdentity{634, k3gppVendorId, false, AvpType::kUtf8String,
                                                  "Wildcarded-Public-Identity"};
inline constexpr AvpDef kSipDigestAuthenticate{635, k3gppVendorId, false, AvpType::kGrouped,
                                               "SIP-Digest-Authenticate"};
// Rel-13 WebRTC AVPs (TS 29.229 §6.3.58-60; requirements C-03, tagged [I]: M not set).
inline constexpr AvpDef kAllowedWafWwsfIdentities{656, k3gppVendorId, false, AvpType::kGrouped,
                                                  "Allowed-WAF-WWSF-Identities"};
inline constexpr AvpDef kWebrtcAuthenticationFunctionName{
    657, k3gppVendorId, false, AvpType::kUtf8String, "WebRTC-Authentication-Function-Name"};
inline constexpr AvpDef kWebrtcWebServerFunctionName{658, k3gppVendorId, false,
                                                     AvpType::kUtf8String,
                                                     "WebRTC-Web-Server-Function-Name"};
}  // namespace avp

/// Auth-Session-State NO_STATE_MAINTAINED (RFC 6733 §8.11): Cx keeps no Diameter session state.
inline constexpr std::uint32_t kNoStateMaintained = 1;

/// The SIP-Authentication-Scheme value for SIP Digest (TS 29.229 §6.3.9, TS 33.203 Annex N).
inline constexpr std::string_view kSipDigestScheme = "SIP Digest";

}  // namespace wimpu::diameter
