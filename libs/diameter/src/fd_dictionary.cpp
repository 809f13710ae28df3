// The Cx dictionary objects freeDiameter needs to parse and route our messages. freeDiameter
// rejects an incoming message carrying an unknown AVP with the M bit (5001 AVP_UNSUPPORTED) and an
// unknown command (3001), so every AVP we send must be known on both sides. The Debian extension
// dict_dcca_3gpp.fdx has the Cx AVPs but not the Cx application and commands; rather than depend
// on it (and its dependencies), we define what is missing from our own AvpDef table.
#include <cerrno>
#include <stdexcept>
#include <string>

#include "fd_bridge.hpp"
#include "wimpu/diameter/codes.hpp"

namespace wimpu::diameter::detail {
namespace {

constexpr const AvpDef* kAvps[] = {
    &avp::kUserName, &avp::kAuthApplicationId, &avp::kVendorSpecificApplicationId,
    &avp::kSessionId, &avp::kOriginHost, &avp::kVendorId, &avp::kResultCode,
    &avp::kAuthSessionState, &avp::kErrorMessage, &avp::kDestinationRealm, &avp::kProxyInfo,
    &avp::kDestinationHost, &avp::kOriginRealm, &avp::kExperimentalResult,
    &avp::kExperimentalResultCode, &avp::kDigestRealm, &avp::kDigestQop, &avp::kDigestAlgorithm,
    &avp::kDigestHa1, &avp::kVisitedNetworkIdentifier, &avp::kPublicIdentity, &avp::kServerName,
    &avp::kServerCapabilities, &avp::kMandatoryCapability, &avp::kOptionalCapability,
    &avp::kUserData, &avp::kSipNumberAuthItems, &avp::kSipAuthenticationScheme,
    &avp::kSipAuthenticate, &avp::kSipAuthorization, &avp::kSipAuthDataItem,
    &avp::kSipItemNumber, &avp::kServerAssignmentType, &avp::kUserAuthorizationType,
    &avp::kUserDataAlreadyAvailable, &avp::kOriginatingRequest, &avp::kWildcardedPublicIdentity,
    &avp::kSipDigestAuthenticate, &avp::kAllowedWafWwsfIdentities,
    &avp::kWebrtcAuthenticationFunctionName, &avp::kWebrtcWebServerFunctionName,
};

struct CommandNames {
  std::uint32_t code;
  const char* request;
  const char* answer;
};

// TS 29.229 §6.1 command names.
constexpr CommandNames kCommands[] = {
    {300, "User-Authorization-Request", "User-Authorization-Answer"},
    {301, "Server-Assignment-Request", "Server-Assignment-Answer"},
    {302, "Location-Info-Request", "Location-Info-Answer"},
    {303, "Multimedia-Auth-Request", "Multimedia-Auth-Answer"},
};

[[noreturn]] void fail(const std::string& what, int err) {
  throw std::runtime_error("diameter dictionary: " + what + ": error " + std::to_string(err));
}

enum dict_avp_basetype basetype(AvpType type) {
  switch (type) {
    case AvpType::kOctetString:
    case AvpType::kUtf8String: return AVP_TYPE_OCTETSTRING;
    case AvpType::kUnsigned32: return AVP_TYPE_UNSIGNED32;
    case AvpType::kEnumerated: return AVP_TYPE_INTEGER32;
    case AvpType::kGrouped: return AVP_TYPE_GROUPED;
  }
  return AVP_TYPE_OCTETSTRING;
}

struct dict_object* ensure_vendor(struct dictionary* dict) {
  struct dict_object* vendor = nullptr;
  vendor_id_t id = k3gppVendorId;
  int ret = fd_dict_search(dict, DICT_VENDOR, VENDOR_BY_ID, &id, &vendor, ENOENT);
  if (ret == ENOENT) {
    std::string name = "3GPP";
    struct dict_vendor_data data{id, name.data()};
    ret = fd_dict_new(dict, DICT_VENDOR, &data, nullptr, &vendor);
  }
  if (ret != 0) {
    fail("vendor 10415", ret);
  }
  return vendor;
}

struct dict_object* ensure_application(struct dictionary* dict, struct dict_object* vendor) {
  struct dict_object* app = nullptr;
  application_id_t id = kCxApplicationId;
  int ret = fd_dict_search(dict, DICT_APPLICATION, APPLICATION_BY_ID, &id, &app, ENOENT);
  if (ret == ENOENT) {
    std::string name = "3GPP Cx";
    struct dict_application_data data{id, name.data()};
    ret = fd_dict_new(dict, DICT_APPLICATION, &data, vendor, &app);
  }
  if (ret != 0) {
    fail("application 16777216", ret);
  }
  return app;
}

void ensure_command(struct dictionary* dict, struct dict_object* app, std::uint32_t code,
                    const char* name, bool request) {
  struct dict_object* cmd = nullptr;
  command_code_t c = code;
  int ret = fd_dict_search(dict, DICT_COMMAND, request ? CMD_BY_CODE_R : CMD_BY_CODE_A, &c, &cmd,
                           ENOENT);
  if (ret == ENOENT) {
    std::string cmd_name = name;
    // The E bit is left free: error answers use the same command object.
    struct dict_cmd_data data{
        c, cmd_name.data(), CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE,
        static_cast<std::uint8_t>((request ? CMD_FLAG_REQUEST : 0) | CMD_FLAG_PROXIABLE)};
    ret = fd_dict_new(dict, DICT_COMMAND, &data, app, &cmd);
  }
  if (ret != 0) {
    fail(std::string("command ") + name, ret);
  }
}

void ensure_avp(struct dictionary* dict, const AvpDef& def) {
  struct dict_object* found = nullptr;
  struct dict_avp_request req{def.vendor_id, def.code, nullptr};
  int ret = fd_dict_search(dict, DICT_AVP, AVP_BY_CODE_AND_VENDOR, &req, &found, ENOENT);
  if (ret == 0) {
    return;  // already defined (base protocol or a loaded extension): reuse it
  }
  if (ret != ENOENT) {
    fail("search AVP " + std::string(def.name), ret);
  }
  // Only the V bit is fixed; the M bit is what the sender chose (RFC 6733 §4.1 lets receivers of
  // an unexpected M bit accept it).
  std::string name(def.name);
  struct dict_avp_data data{def.code,
                            def.vendor_id,
                            name.data(),
                            AVP_FLAG_VENDOR,
                            static_cast<std::uint8_t>(def.vendor_id != 0 ? AVP_FLAG_VENDOR : 0),
                            basetype(def.type)};
  ret = fd_dict_new(dict, DICT_AVP, &data, nullptr, nullptr);
  if (ret == EEXIST) {
    // Same name already used by another vendor's AVP: keep ours apart.
    name = "wimpu-" + name;
    data.avp_name = name.data();
    ret = fd_dict_new(dict, DICT_AVP, &data, nullptr, nullptr);
  }
  if (ret != 0) {
    fail("define AVP " + std::string(def.name), ret);
  }
}

}  // namespace

CxDictionary define_cx_dictionary(struct dictionary* dict) {
  CxDictionary out;
  out.vendor = ensure_vendor(dict);
  out.application = ensure_application(dict, out.vendor);
  for (const CommandNames& c : kCommands) {
    ensure_command(dict, out.application, c.code, c.request, true);
    ensure_command(dict, out.application, c.code, c.answer, false);
  }
  for (const AvpDef* def : kAvps) {
    ensure_avp(dict, *def);
  }
  return out;
}

}  // namespace wimpu::diameter::detail
