#pragma once
// Cx messages as plain C++ values (TS 29.229 §6.1). They carry exactly the AVPs wimpu's S-CSCF,
// I-CSCF and HSS exchange; other AVPs received are skipped (or, for an unknown AVP with the M bit
// set, reported by freeDiameter before we see the message). cx_codec.hpp turns them into bytes and
// back; the freeDiameter bridge and the in-process path both speak these types.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "wimpu/diameter/codes.hpp"

namespace wimpu::diameter {

/// The result of an answer: a base Result-Code (vendor_id 0, RFC 6733 §7.1) or an
/// Experimental-Result {Vendor-Id, Experimental-Result-Code} (TS 29.229 §6.2). The pair is the
/// identity: (10415, 5001) DIAMETER_ERROR_USER_UNKNOWN is not (0, 5001) DIAMETER_AVP_UNSUPPORTED
/// (requirements C-04). Compare against the constants in `results`.
struct ResultCode {
  std::uint32_t vendor_id = 0;
  std::uint32_t value = 0;

  bool experimental() const { return vendor_id != 0; }
  /// 2xxx, from either AVP (RFC 6733 §7.1.2; TS 29.229 §6.2.1).
  bool success() const { return value >= 2000 && value < 3000; }
  friend bool operator==(const ResultCode&, const ResultCode&) = default;
};

/// "DIAMETER_ERROR_USER_UNKNOWN (10415:5001)"-style text for logs.
std::string to_string(ResultCode result);

namespace results {
// RFC 6733 §7.1 base codes.
inline constexpr ResultCode kSuccess{0, 2001};
inline constexpr ResultCode kUnableToDeliver{0, 3002};
inline constexpr ResultCode kTooBusy{0, 3004};
inline constexpr ResultCode kAvpUnsupported{0, 5001};
inline constexpr ResultCode kInvalidAvpValue{0, 5004};
inline constexpr ResultCode kMissingAvp{0, 5005};
inline constexpr ResultCode kUnableToComply{0, 5012};
// TS 29.229 §6.2 experimental codes (vendor 10415).
inline constexpr ResultCode kFirstRegistration{k3gppVendorId, 2001};
inline constexpr ResultCode kSubsequentRegistration{k3gppVendorId, 2002};
inline constexpr ResultCode kUnregisteredService{k3gppVendorId, 2003};
inline constexpr ResultCode kSuccessServerNameNotStored{k3gppVendorId, 2004};
inline constexpr ResultCode kErrorUserUnknown{k3gppVendorId, 5001};
inline constexpr ResultCode kErrorIdentitiesDontMatch{k3gppVendorId, 5002};
inline constexpr ResultCode kErrorIdentityNotRegistered{k3gppVendorId, 5003};
inline constexpr ResultCode kErrorRoamingNotAllowed{k3gppVendorId, 5004};
inline constexpr ResultCode kErrorIdentityAlreadyRegistered{k3gppVendorId, 5005};
inline constexpr ResultCode kErrorAuthSchemeNotSupported{k3gppVendorId, 5006};
inline constexpr ResultCode kErrorInAssignmentType{k3gppVendorId, 5007};
inline constexpr ResultCode kErrorTooMuchData{k3gppVendorId, 5008};
inline constexpr ResultCode kErrorNotSupportedUserData{k3gppVendorId, 5009};
inline constexpr ResultCode kErrorFeatureUnsupported{k3gppVendorId, 5011};
}  // namespace results

/// Routing and session AVPs common to every Cx message (RFC 6733 §6, §8.8). The Diameter bridge
/// fills them (Session-Id, Origin-*; Destination-* from the client's options when left empty), so
/// application code normally leaves them default.
struct Envelope {
  std::string session_id;
  std::string origin_host;
  std::string origin_realm;
  std::string destination_host;   ///< requests only; empty = absent
  std::string destination_realm;  ///< requests only
  /// Proxy-Info AVPs of a request, whole and unchanged: an answer echoes them (RFC 6733 §6.2).
  std::vector<std::string> proxy_infos;

  friend bool operator==(const Envelope&, const Envelope&) = default;
};

/// User-Authorization-Type (TS 29.229 §6.3.24).
enum class UserAuthorizationType : std::uint32_t {
  kRegistration = 0,
  kDeRegistration = 1,
  kRegistrationAndCapabilities = 2,
};

/// Server-Assignment-Type (TS 29.229 §6.3.15).
enum class ServerAssignmentType : std::uint32_t {
  kNoAssignment = 0,
  kRegistration = 1,
  kReRegistration = 2,
  kUnregisteredUser = 3,
  kTimeoutDeregistration = 4,
  kUserDeregistration = 5,
  kTimeoutDeregistrationStoreServerName = 6,
  kUserDeregistrationStoreServerName = 7,
  kAdministrativeDeregistration = 8,
  kAuthenticationFailure = 9,
  kAuthenticationTimeout = 10,
  kDeregistrationTooMuchData = 11,
  kAaaUserDataRequest = 12,
  kPgwUpdate = 13,
  kRestoration = 14,
};

/// User-Data-Already-Available (TS 29.229 §6.3.26).
enum class UserDataAlreadyAvailable : std::uint32_t {
  kNotAvailable = 0,
  kAvailable = 1,
};

/// Server-Capabilities (TS 29.229 §6.3.4): what the I-CSCF needs to pick an S-CSCF.
struct ServerCapabilities {
  std::vector<std::uint32_t> mandatory;
  std::vector<std::uint32_t> optional;
  std::vector<std::string> server_names;

  friend bool operator==(const ServerCapabilities&, const ServerCapabilities&) = default;
};

/// SIP-Digest-Authenticate (TS 29.229 §6.3.36; RFC 4590 AVPs).
struct SipDigestAuthenticate {
  std::string realm;                     ///< {Digest-Realm}
  std::string qop;                       ///< {Digest-QoP}, "auth" here
  std::string ha1;                       ///< {Digest-HA1}: lowercase hex MD5(user:realm:password)
  std::optional<std::string> algorithm;  ///< [Digest-Algorithm]; absent means MD5

  friend bool operator==(const SipDigestAuthenticate&, const SipDigestAuthenticate&) = default;
};

/// SIP-Auth-Data-Item (TS 29.229 §6.3.13), reduced to what SIP Digest uses.
struct SipAuthDataItem {
  std::optional<std::uint32_t> item_number;   ///< [SIP-Item-Number]
  std::string scheme;                         ///< [SIP-Authentication-Scheme], "SIP Digest"
  std::optional<std::string> authenticate;    ///< [SIP-Authenticate]
  std::optional<std::string> authorization;   ///< [SIP-Authorization]
  std::optional<SipDigestAuthenticate> digest;  ///< [SIP-Digest-Authenticate], in MAA

  friend bool operator==(const SipAuthDataItem&, const SipAuthDataItem&) = default;
};

/// Allowed-WAF-WWSF-Identities (TS 29.229 §6.3.58).
struct AllowedWafWwsfIdentities {
  std::vector<std::string> waf_names;   ///< *[WebRTC-Authentication-Function-Name]
  std::vector<std::string> wwsf_names;  ///< *[WebRTC-Web-Server-Function-Name]

  friend bool operator==(const AllowedWafWwsfIdentities&,
                         const AllowedWafWwsfIdentities&) = default;
};

/// UAR (TS 29.229 §6.1.1): I-CSCF -> HSS on REGISTER.
struct UserAuthorizationRequest {
  Envelope envelope;
  std::string user_name;        ///< {User-Name}: the IMPI
  std::string public_identity;  ///< {Public-Identity}: the IMPU being registered
  std::string visited_network;  ///< {Visited-Network-Identifier}
  std::optional<UserAuthorizationType> authorization_type;  ///< absent = REGISTRATION

  friend bool operator==(const UserAuthorizationRequest&,
                         const UserAuthorizationRequest&) = default;
};

/// UAA (TS 29.229 §6.1.2).
struct UserAuthorizationAnswer {
  Envelope envelope;
  ResultCode result;
  std::optional<std::string> server_name;
  std::optional<ServerCapabilities> server_capabilities;

  friend bool operator==(const UserAuthorizationAnswer&,
                         const UserAuthorizationAnswer&) = default;
};

/// SAR (TS 29.229 §6.1.3): S-CSCF -> HSS on registration, de-registration, unregistered service.
struct ServerAssignmentRequest {
  Envelope envelope;
  std::optional<std::string> user_name;          ///< [User-Name]
  std::vector<std::string> public_identities;    ///< *[Public-Identity]
  std::optional<std::string> wildcarded_public_identity;  ///< [Wildcarded-Public-Identity]
  std::string server_name;                       ///< {Server-Name}
  ServerAssignmentType assignment_type = ServerAssignmentType::kRegistration;
  UserDataAlreadyAvailable user_data_already_available = UserDataAlreadyAvailable::kNotAvailable;

  friend bool operator==(const ServerAssignmentRequest&,
                         const ServerAssignmentRequest&) = default;
};

/// SAA (TS 29.229 §6.1.4).
struct ServerAssignmentAnswer {
  Envelope envelope;
  ResultCode result;
  std::optional<std::string> user_name;
  std::optional<std::string> user_data;  ///< [User-Data]: the IMS subscription XML (TS 29.228 Annex E)
  std::optional<std::string> wildcarded_public_identity;
  std::optional<AllowedWafWwsfIdentities> allowed_waf_wwsf_identities;

  friend bool operator==(const ServerAssignmentAnswer&, const ServerAssignmentAnswer&) = default;
};

/// LIR (TS 29.229 §6.1.5): I-CSCF -> HSS for an initial request to an IMPU.
struct LocationInfoRequest {
  Envelope envelope;
  bool originating = false;  ///< [Originating-Request] = ORIGINATING (0) present
  std::string public_identity;  ///< {Public-Identity}
  std::optional<UserAuthorizationType> authorization_type;

  friend bool operator==(const LocationInfoRequest&, const LocationInfoRequest&) = default;
};

/// LIA (TS 29.229 §6.1.6).
struct LocationInfoAnswer {
  Envelope envelope;
  ResultCode result;
  std::optional<std::string> server_name;
  std::optional<ServerCapabilities> server_capabilities;
  std::optional<std::string> wildcarded_public_identity;  ///< requirements X-05

  friend bool operator==(const LocationInfoAnswer&, const LocationInfoAnswer&) = default;
};

/// MAR (TS 29.229 §6.1.7): S-CSCF -> HSS for authentication data.
struct MultimediaAuthRequest {
  Envelope envelope;
  std::string user_name;        ///< {User-Name}: the IMPI
  std::string public_identity;  ///< {Public-Identity}
  SipAuthDataItem auth_data;    ///< {SIP-Auth-Data-Item}: scheme requested
  std::uint32_t number_auth_items = 1;  ///< {SIP-Number-Auth-Items}
  std::string server_name;      ///< {Server-Name}

  friend bool operator==(const MultimediaAuthRequest&, const MultimediaAuthRequest&) = default;
};

/// MAA (TS 29.229 §6.1.8).
struct MultimediaAuthAnswer {
  Envelope envelope;
  ResultCode result;
  std::optional<std::string> user_name;
  std::optional<std::string> public_identity;
  std::optional<std::uint32_t> number_auth_items;
  std::vector<SipAuthDataItem> auth_data;

  friend bool operator==(const MultimediaAuthAnswer&, const MultimediaAuthAnswer&) = default;
};

/// Any Cx request wimpu handles.
using CxRequest = std::variant<UserAuthorizationRequest, ServerAssignmentRequest,
                               LocationInfoRequest, MultimediaAuthRequest>;
/// Any Cx answer wimpu handles.
using CxAnswer = std::variant<UserAuthorizationAnswer, ServerAssignmentAnswer, LocationInfoAnswer,
                              MultimediaAuthAnswer>;

/// The command of a request or answer value.
CxCommand command_of(const CxRequest& request);
CxCommand command_of(const CxAnswer& answer);

/// The answer type for each request type (UAR -> UAA, ...).
template <class Request>
struct AnswerFor;
template <>
struct AnswerFor<UserAuthorizationRequest> {
  using type = UserAuthorizationAnswer;
};
template <>
struct AnswerFor<ServerAssignmentRequest> {
  using type = ServerAssignmentAnswer;
};
template <>
struct AnswerFor<LocationInfoRequest> {
  using type = LocationInfoAnswer;
};
template <>
struct AnswerFor<MultimediaAuthRequest> {
  using type = MultimediaAuthAnswer;
};
template <class Request>
using AnswerFor_t = typename AnswerFor<Request>::type;

/// An answer of the right type for `request` carrying only `result` (for errors such as
/// DIAMETER_UNABLE_TO_COMPLY built by the bridge).
CxAnswer error_answer_for(const CxRequest& request, ResultCode result);
/// Same, from the command alone (when the request could not be decoded).
CxAnswer error_answer_for(CxCommand command, ResultCode result);

}  // namespace wimpu::diameter
