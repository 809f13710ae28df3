#include "wimpu/diameter/cx_codec.hpp"

#include <type_traits>

#include "wimpu/common/assert.hpp"

namespace wimpu::diameter {
namespace {

// ---------------------------------------------------------------------------------------------
// Decoding helpers

// The AVPs of one level with lookups by definition. Messages carry a few dozen AVPs at most, so
// linear scans beat any index.
class Level {
public:
  static DecodeResult<Level> parse(std::span<const std::uint8_t> bytes) {
    auto avps = parse_avps(bytes);
    if (!avps) {
      return avps.error();
    }
    return Level(std::move(*avps));
  }

  // The single instance of `def`, nullptr when absent, kDuplicateAvp when repeated.
  DecodeResult<const AvpView*> optional(const AvpDef& def) const {
    const AvpView* found = nullptr;
    for (const AvpView& avp : avps_) {
      if (avp.is(def)) {
        if (found != nullptr) {
          return decode_error(DecodeErrorCode::kDuplicateAvp, def.code, def.vendor_id);
        }
        found = &avp;
      }
    }
    return found;
  }

  DecodeResult<const AvpView*> required(const AvpDef& def) const {
    auto found = optional(def);
    if (found && *found == nullptr) {
      return decode_error(DecodeErrorCode::kMissingAvp, def.code, def.vendor_id);
    }
    return found;
  }

  std::vector<const AvpView*> all(const AvpDef& def) const {
    std::vector<const AvpView*> out;
    for (const AvpView& avp : avps_) {
      if (avp.is(def)) {
        out.push_back(&avp);
      }
    }
    return out;
  }

  const std::vector<AvpView>& avps() const { return avps_; }

private:
  explicit Level(std::vector<AvpView> avps) : avps_(std::move(avps)) {}
  std::vector<AvpView> avps_;
};

// Each reader below stores into `out` and returns an error or nothing.
using Status = DecodeResult<void>;

Status read_string(const Level& level, const AvpDef& def, std::string& out) {
  auto avp = level.required(def);
  if (!avp) {
    return avp.error();
  }
  auto value = avp_string(**avp, def);
  if (!value) {
    return value.error();
  }
  out = std::move(*value);
  return {};
}

Status read_optional_string(const Level& level, const AvpDef& def,
                            std::optional<std::string>& out) {
  auto avp = level.optional(def);
  if (!avp) {
    return avp.error();
  }
  if (*avp == nullptr) {
    out.reset();
    return {};
  }
  auto value = avp_string(**avp, def);
  if (!value) {
    return value.error();
  }
  out = std::move(*value);
  return {};
}

Status read_strings(const Level& level, const AvpDef& def, std::vector<std::string>& out) {
  out.clear();
  for (const AvpView* avp : level.all(def)) {
    auto value = avp_string(*avp, def);
    if (!value) {
      return value.error();
    }
    out.push_back(std::move(*value));
  }
  return {};
}

Status read_optional_u32(const Level& level, const AvpDef& def,
                         std::optional<std::uint32_t>& out) {
  auto avp = level.optional(def);
  if (!avp) {
    return avp.error();
  }
  if (*avp == nullptr) {
    out.reset();
    return {};
  }
  auto value = avp_u32(**avp);
  if (!value) {
    return value.error();
  }
  out = *value;
  return {};
}

Status read_u32(const Level& level, const AvpDef& def, std::uint32_t& out) {
  std::optional<std::uint32_t> value;
  if (auto st = read_optional_u32(level, def, value); !st) {
    return st;
  }
  if (!value) {
    return decode_error(DecodeErrorCode::kMissingAvp, def.code, def.vendor_id);
  }
  out = *value;
  return {};
}

// An Enumerated AVP whose known values are 0..max.
template <class Enum>
Status read_optional_enum(const Level& level, const AvpDef& def, std::uint32_t max,
                          std::optional<Enum>& out) {
  std::optional<std::uint32_t> value;
  if (auto st = read_optional_u32(level, def, value); !st) {
    return st;
  }
  if (!value) {
    out.reset();
    return {};
  }
  if (*value > max) {
    return decode_error(DecodeErrorCode::kBadAvpValue, def.code, def.vendor_id);
  }
  out = static_cast<Enum>(*value);
  return {};
}

template <class Enum>
Status read_enum(const Level& level, const AvpDef& def, std::uint32_t max, Enum& out) {
  std::optional<Enum> value;
  if (auto st = read_optional_enum(level, def, max, value); !st) {
    return st;
  }
  if (!value) {
    return decode_error(DecodeErrorCode::kMissingAvp, def.code, def.vendor_id);
  }
  out = *value;
  return {};
}

DecodeResult<Level> group_of(const AvpView& avp) { return Level::parse(avp.data); }

// Session-Id, Origin-*, and for requests Destination-*; Proxy-Info kept raw.
Status read_envelope(const Level& level, bool request, Envelope& env) {
  if (request) {
    if (auto st = read_string(level, avp::kSessionId, env.session_id); !st) {
      return st;
    }
    if (auto st = read_string(level, avp::kOriginHost, env.origin_host); !st) {
      return st;
    }
    if (auto st = read_string(level, avp::kOriginRealm, env.origin_realm); !st) {
      return st;
    }
    if (auto st = read_string(level, avp::kDestinationRealm, env.destination_realm); !st) {
      return st;
    }
    std::optional<std::string> host;
    if (auto st = read_optional_string(level, avp::kDestinationHost, host); !st) {
      return st;
    }
    env.destination_host = host.value_or("");
  } else {
    // Answers generated by a relay or by freeDiameter itself on a routing error carry at least
    // the result; be liberal with the rest (RFC 6733 §7.2 error answers).
    std::optional<std::string> value;
    if (auto st = read_optional_string(level, avp::kSessionId, value); !st) {
      return st;
    }
    env.session_id = value.value_or("");
    if (auto st = read_optional_string(level, avp::kOriginHost, value); !st) {
      return st;
    }
    env.origin_host = value.value_or("");
    if (auto st = read_optional_string(level, avp::kOriginRealm, value); !st) {
      return st;
    }
    env.origin_realm = value.value_or("");
  }
  for (const AvpView* proxy : level.all(avp::kProxyInfo)) {
    std::string raw(reinterpret_cast<const char*>(proxy->raw.data()), proxy->raw.size());
    raw.resize((raw.size() + 3) & ~std::size_t{3}, '\0');  // the last AVP may lack its padding
    env.proxy_infos.push_back(std::move(raw));
  }
  return {};
}

// Result-Code or Experimental-Result, keyed by (vendor, code) (TS 29.229 §6.2; requirements C-04).
Status read_result(const Level& level, ResultCode& out) {
  auto experimental = level.optional(avp::kExperimentalResult);
  if (!experimental) {
    return experimental.error();
  }
  if (*experimental != nullptr) {
    auto group = group_of(**experimental);
    if (!group) {
      return group.error();
    }
    std::uint32_t vendor = 0;
    std::uint32_t code = 0;
    if (auto st = read_u32(*group, avp::kVendorId, vendor); !st) {
      return st;
    }
    if (auto st = read_u32(*group, avp::kExperimentalResultCode, code); !st) {
      return st;
    }
    if (vendor == 0) {
      // An Experimental-Result must name a vendor; vendor 0 would alias the base codes.
      return decode_error(DecodeErrorCode::kBadAvpValue, avp::kVendorId.code);
    }
    // When a peer sends both AVPs (it must not), the vendor-specific one is the precise one.
    out = ResultCode{vendor, code};
    return {};
  }
  std::uint32_t code = 0;
  if (auto st = read_u32(level, avp::kResultCode, code); !st) {
    return st;
  }
  out = ResultCode{0, code};
  return {};
}

Status read_capabilities(const Level& level, std::optional<ServerCapabilities>& out) {
  auto avp = level.optional(avp::kServerCapabilities);
  if (!avp) {
    return avp.error();
  }
  if (*avp == nullptr) {
    out.reset();
    return {};
  }
  auto group = group_of(**avp);
  if (!group) {
    return group.error();
  }
  ServerCapabilities caps;
  for (const AvpView* v : group->all(avp::kMandatoryCapability)) {
    auto n = avp_u32(*v);
    if (!n) {
      return n.error();
    }
    caps.mandatory.push_back(*n);
  }
  for (const AvpView* v : group->all(avp::kOptionalCapability)) {
    auto n = avp_u32(*v);
    if (!n) {
      return n.error();
    }
    caps.optional.push_back(*n);
  }
  if (auto st = read_strings(*group, avp::kServerName, caps.server_names); !st) {
    return st;
  }
  out = std::move(caps);
  return {};
}

Status read_digest(const Level& level, std::optional<SipDigestAuthenticate>& out) {
  auto avp = level.optional(avp::kSipDigestAuthenticate);
  if (!avp) {
    return avp.error();
  }
  if (*avp == nullptr) {
    out.reset();
    return {};
  }
  auto group = group_of(**avp);
  if (!group) {
    return group.error();
  }
  SipDigestAuthenticate digest;
  if (auto st = read_string(*group, avp::kDigestRealm, digest.realm); !st) {
    return st;
  }
  if (auto st = read_string(*group, avp::kDigestQop, digest.qop); !st) {
    return st;
  }
  if (auto st = read_string(*group, avp::kDigestHa1, digest.ha1); !st) {
    return st;
  }
  if (auto st = read_optional_string(*group, avp::kDigestAlgorithm, digest.algorithm); !st) {
    return st;
  }
  out = std::move(digest);
  return {};
}

DecodeResult<SipAuthDataItem> read_auth_item(const AvpView& avp) {
  auto group = group_of(avp);
  if (!group) {
    return group.error();
  }
  SipAuthDataItem item;
  if (auto st = read_optional_u32(*group, avp::kSipItemNumber, item.item_number); !st) {
    return st.error();
  }
  std::optional<std::string> scheme;
  if (auto st = read_optional_string(*group, avp::kSipAuthenticationScheme, scheme); !st) {
    return st.error();
  }
  item.scheme = scheme.value_or("");
  if (auto st = read_optional_string(*group, avp::kSipAuthenticate, item.authenticate); !st) {
    return st.error();
  }
  if (auto st = read_optional_string(*group, avp::kSipAuthorization, item.authorization); !st) {
    return st.error();
  }
  if (auto st = read_digest(*group, item.digest); !st) {
    return st.error();
  }
  return item;
}

Status read_allowed_waf_wwsf(const Level& level, std::optional<AllowedWafWwsfIdentities>& out) {
  auto avp = level.optional(avp::kAllowedWafWwsfIdentities);
  if (!avp) {
    return avp.error();
  }
  if (*avp == nullptr) {
    out.reset();
    return {};
  }
  auto group = group_of(**avp);
  if (!group) {
    return group.error();
  }
  AllowedWafWwsfIdentities ids;
  if (auto st = read_strings(*group, avp::kWebrtcAuthenticationFunctionName, ids.waf_names); !st) {
    return st;
  }
  if (auto st = read_strings(*group, avp::kWebrtcWebServerFunctionName, ids.wwsf_names); !st) {
    return st;
  }
  out = std::move(ids);
  return {};
}

// Per-command field decoders (TS 29.229 §6.1.x ABNF).

Status decode_fields(const Level& l, UserAuthorizationRequest& m) {
  if (auto st = read_string(l, avp::kUserName, m.user_name); !st) {
    return st;
  }
  if (auto st = read_string(l, avp::kPublicIdentity, m.public_identity); !st) {
    return st;
  }
  if (auto st = read_string(l, avp::kVisitedNetworkIdentifier, m.visited_network); !st) {
    return st;
  }
  return read_optional_enum(l, avp::kUserAuthorizationType, 2, m.authorization_type);
}

Status decode_fields(const Level& l, UserAuthorizationAnswer& m) {
  if (auto st = read_optional_string(l, avp::kServerName, m.server_name); !st) {
    return st;
  }
  return read_capabilities(l, m.server_capabilities);
}

Status decode_fields(const Level& l, ServerAssignmentRequest& m) {
  if (auto st = read_optional_string(l, avp::kUserName, m.user_name); !st) {
    return st;
  }
  if (auto st = read_strings(l, avp::kPublicIdentity, m.public_identities); !st) {
    return st;
  }
  if (auto st = read_optional_string(l, avp::kWildcardedPublicIdentity,
                                     m.wildcarded_public_identity);
      !st) {
    return st;
  }
  if (auto st = read_string(l, avp::kServerName, m.server_name); !st) {
    return st;
  }
  if (auto st = read_enum(l, avp::kServerAssignmentType, 14, m.assignment_type); !st) {
    return st;
  }
  return read_enum(l, avp::kUserDataAlreadyAvailable, 1, m.user_data_already_available);
}

Status decode_fields(const Level& l, ServerAssignmentAnswer& m) {
  if (auto st = read_optional_string(l, avp::kUserName, m.user_name); !st) {
    return st;
  }
  if (auto st = read_optional_string(l, avp::kUserData, m.user_data); !st) {
    return st;
  }
  if (auto st = read_optional_string(l, avp::kWildcardedPublicIdentity,
                                     m.wildcarded_public_identity);
      !st) {
    return st;
  }
  return read_allowed_waf_wwsf(l, m.allowed_waf_wwsf_identities);
}

Status decode_fields(const Level& l, LocationInfoRequest& m) {
  std::optional<std::uint32_t> originating;
  if (auto st = read_optional_u32(l, avp::kOriginatingRequest, originating); !st) {
    return st;
  }
  if (originating && *originating != 0) {
    // ORIGINATING (0) is the only value (TS 29.229 §6.3.34).
    return decode_error(DecodeErrorCode::kBadAvpValue, avp::kOriginatingRequest.code,
                        k3gppVendorId);
  }
  m.originating = originating.has_value();
  if (auto st = read_string(l, avp::kPublicIdentity, m.public_identity); !st) {
    return st;
  }
  return read_optional_enum(l, avp::kUserAuthorizationType, 2, m.authorization_type);
}

Status decode_fields(const Level& l, LocationInfoAnswer& m) {
  if (auto st = read_optional_string(l, avp::kServerName, m.server_name); !st) {
    return st;
  }
  if (auto st = read_capabilities(l, m.server_capabilities); !st) {
    return st;
  }
  return read_optional_string(l, avp::kWildcardedPublicIdentity, m.wildcarded_public_identity);
}

Status decode_fields(const Level& l, MultimediaAuthRequest& m) {
  if (auto st = read_string(l, avp::kUserName, m.user_name); !st) {
    return st;
  }
  if (auto st = read_string(l, avp::kPublicIdentity, m.public_identity); !st) {
    return st;
  }
  auto item = l.required(avp::kSipAuthDataItem);
  if (!item) {
    return item.error();
  }
  auto decoded = read_auth_item(**item);
  if (!decoded) {
    return decoded.error();
  }
  m.auth_data = std::move(*decoded);
  if (auto st = read_u32(l, avp::kSipNumberAuthItems, m.number_auth_items); !st) {
    return st;
  }
  return read_string(l, avp::kServerName, m.server_name);
}

Status decode_fields(const Level& l, MultimediaAuthAnswer& m) {
  if (auto st = read_optional_string(l, avp::kUserName, m.user_name); !st) {
    return st;
  }
  if (auto st = read_optional_string(l, avp::kPublicIdentity, m.public_identity); !st) {
    return st;
  }
  if (auto st = read_optional_u32(l, avp::kSipNumberAuthItems, m.number_auth_items); !st) {
    return st;
  }
  for (const AvpView* avp : l.all(avp::kSipAuthDataItem)) {
    auto item = read_auth_item(*avp);
    if (!item) {
      return item.error();
    }
    m.auth_data.push_back(std::move(*item));
  }
  return {};
}

template <class Message>
DecodeResult<Message> decode_as(const Level& level, bool request) {
  Message m;
  if (auto st = read_envelope(level, request, m.envelope); !st) {
    return st.error();
  }
  if constexpr (requires { m.result; }) {
    if (auto st = read_result(level, m.result); !st) {
      return st.error();
    }
  }
  if (auto st = decode_fields(level, m); !st) {
    return st.error();
  }
  return m;
}

DecodeResult<std::pair<MessageHeader, Level>> open(std::span<const std::uint8_t> bytes,
                                                   bool request) {
  auto msg = parse_message(bytes);
  if (!msg) {
    return msg.error();
  }
  const MessageHeader& h = msg->header;
  if (h.application_id != kCxApplicationId || h.request() != request || h.command_code < 300 ||
      h.command_code > 303) {
    return decode_error(DecodeErrorCode::kUnexpectedCommand);
  }
  auto level = Level::parse(msg->avps);
  if (!level) {
    return level.error();
  }
  return std::pair<MessageHeader, Level>{h, std::move(*level)};
}

// ---------------------------------------------------------------------------------------------
// Encoding helpers

void write_vsai(AvpWriter& w) {
  const std::size_t g = w.open_group(avp::kVendorSpecificApplicationId);
  w.u32(avp::kVendorId, k3gppVendorId);
  w.u32(avp::kAuthApplicationId, kCxApplicationId);
  w.close_group(g);
}

void write_request_envelope(AvpWriter& w, const Envelope& env) {
  // RFC 6733 §8.8: Session-Id first.
  w.string(avp::kSessionId, env.session_id);
  write_vsai(w);
  w.u32(avp::kAuthSessionState, kNoStateMaintained);
  w.string(avp::kOriginHost, env.origin_host);
  w.string(avp::kOriginRealm, env.origin_realm);
  if (!env.destination_host.empty()) {
    w.string(avp::kDestinationHost, env.destination_host);
  }
  w.string(avp::kDestinationRealm, env.destination_realm);
}

void write_answer_envelope(AvpWriter& w, const Envelope& env, ResultCode result) {
  if (!env.session_id.empty()) {
    w.string(avp::kSessionId, env.session_id);
  }
  write_vsai(w);
  if (result.experimental()) {
    const std::size_t g = w.open_group(avp::kExperimentalResult);
    w.u32(avp::kVendorId, result.vendor_id);
    w.u32(avp::kExperimentalResultCode, result.value);
    w.close_group(g);
  } else {
    w.u32(avp::kResultCode, result.value);
  }
  w.u32(avp::kAuthSessionState, kNoStateMaintained);
  if (!env.origin_host.empty()) {
    w.string(avp::kOriginHost, env.origin_host);
  }
  if (!env.origin_realm.empty()) {
    w.string(avp::kOriginRealm, env.origin_realm);
  }
}

void write_proxy_infos(AvpWriter& w, const Envelope& env) {
  for (const std::string& raw : env.proxy_infos) {
    w.raw(std::span(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()));
  }
}

void write_optional(AvpWriter& w, const AvpDef& def, const std::optional<std::string>& v) {
  if (v) {
    w.string(def, *v);
  }
}

void write_capabilities(AvpWriter& w, const std::optional<ServerCapabilities>& caps) {
  if (!caps) {
    return;
  }
  const std::size_t g = w.open_group(avp::kServerCapabilities);
  for (std::uint32_t n : caps->mandatory) {
    w.u32(avp::kMandatoryCapability, n);
  }
  for (std::uint32_t n : caps->optional) {
    w.u32(avp::kOptionalCapability, n);
  }
  for (const std::string& name : caps->server_names) {
    w.string(avp::kServerName, name);
  }
  w.close_group(g);
}

void write_auth_item(AvpWriter& w, const SipAuthDataItem& item) {
  const std::size_t g = w.open_group(avp::kSipAuthDataItem);
  if (item.item_number) {
    w.u32(avp::kSipItemNumber, *item.item_number);
  }
  if (!item.scheme.empty()) {
    w.string(avp::kSipAuthenticationScheme, item.scheme);
  }
  write_optional(w, avp::kSipAuthenticate, item.authenticate);
  write_optional(w, avp::kSipAuthorization, item.authorization);
  if (item.digest) {
    const std::size_t d = w.open_group(avp::kSipDigestAuthenticate);
    w.string(avp::kDigestRealm, item.digest->realm);
    write_optional(w, avp::kDigestAlgorithm, item.digest->algorithm);
    w.string(avp::kDigestQop, item.digest->qop);
    w.string(avp::kDigestHa1, item.digest->ha1);
    w.close_group(d);
  }
  w.close_group(g);
}

void encode_fields(AvpWriter& w, const UserAuthorizationRequest& m) {
  w.string(avp::kUserName, m.user_name);
  w.string(avp::kPublicIdentity, m.public_identity);
  w.string(avp::kVisitedNetworkIdentifier, m.visited_network);
  if (m.authorization_type) {
    w.u32(avp::kUserAuthorizationType, static_cast<std::uint32_t>(*m.authorization_type));
  }
}

void encode_fields(AvpWriter& w, const UserAuthorizationAnswer& m) {
  write_optional(w, avp::kServerName, m.server_name);
  write_capabilities(w, m.server_capabilities);
}

void encode_fields(AvpWriter& w, const ServerAssignmentRequest& m) {
  write_optional(w, avp::kUserName, m.user_name);
  for (const std::string& id : m.public_identities) {
    w.string(avp::kPublicIdentity, id);
  }
  write_optional(w, avp::kWildcardedPublicIdentity, m.wildcarded_public_identity);
  w.string(avp::kServerName, m.server_name);
  w.u32(avp::kServerAssignmentType, static_cast<std::uint32_t>(m.assignment_type));
  w.u32(avp::kUserDataAlreadyAvailable, static_cast<std::uint32_t>(m.user_data_already_available));
}

void encode_fields(AvpWriter& w, const ServerAssignmentAnswer& m) {
  write_optional(w, avp::kUserName, m.user_name);
  write_optional(w, avp::kUserData, m.user_data);
  write_optional(w, avp::kWildcardedPublicIdentity, m.wildcarded_public_identity);
  if (m.allowed_waf_wwsf_identities) {
    const std::size_t g = w.open_group(avp::kAllowedWafWwsfIdentities);
    for (const std::string& n : m.allowed_waf_wwsf_identities->waf_names) {
      w.string(avp::kWebrtcAuthenticationFunctionName, n);
    }
    for (const std::string& n : m.allowed_waf_wwsf_identities->wwsf_names) {
      w.string(avp::kWebrtcWebServerFunctionName, n);
    }
    w.close_group(g);
  }
}

void encode_fields(AvpWriter& w, const LocationInfoRequest& m) {
  if (m.originating) {
    w.u32(avp::kOriginatingRequest, 0);
  }
  w.string(avp::kPublicIdentity, m.public_identity);
  if (m.authorization_type) {
    w.u32(avp::kUserAuthorizationType, static_cast<std::uint32_t>(*m.authorization_type));
  }
}

void encode_fields(AvpWriter& w, const LocationInfoAnswer& m) {
  write_optional(w, avp::kServerName, m.server_name);
  write_capabilities(w, m.server_capabilities);
  write_optional(w, avp::kWildcardedPublicIdentity, m.wildcarded_public_identity);
}

void encode_fields(AvpWriter& w, const MultimediaAuthRequest& m) {
  w.string(avp::kUserName, m.user_name);
  w.string(avp::kPublicIdentity, m.public_identity);
  w.u32(avp::kSipNumberAuthItems, m.number_auth_items);
  write_auth_item(w, m.auth_data);
  w.string(avp::kServerName, m.server_name);
}

void encode_fields(AvpWriter& w, const MultimediaAuthAnswer& m) {
  write_optional(w, avp::kUserName, m.user_name);
  write_optional(w, avp::kPublicIdentity, m.public_identity);
  if (m.number_auth_items) {
    w.u32(avp::kSipNumberAuthItems, *m.number_auth_items);
  }
  for (const SipAuthDataItem& item : m.auth_data) {
    write_auth_item(w, item);
  }
}

}  // namespace

std::vector<std::uint8_t> encode_request(const CxRequest& request, MessageIds ids) {
  std::vector<std::uint8_t> out;
  out.reserve(512);
  begin_message(out, MessageHeader{kFlagRequest | kFlagProxiable,
                                   static_cast<std::uint32_t>(command_of(request)),
                                   kCxApplicationId, ids.hop_by_hop, ids.end_to_end});
  AvpWriter w(out);
  std::visit(
      [&w](const auto& m) {
        write_request_envelope(w, m.envelope);
        encode_fields(w, m);
        write_proxy_infos(w, m.envelope);
      },
      request);
  finish_message(out);
  return out;
}

std::vector<std::uint8_t> encode_answer(const CxAnswer& answer, MessageIds ids) {
  std::vector<std::uint8_t> out;
  out.reserve(512);
  const ResultCode result = std::visit([](const auto& m) { return m.result; }, answer);
  // RFC 6733 §7.1.3: protocol errors (3xxx) carry the E bit.
  const bool protocol_error = !result.experimental() && result.value >= 3000 && result.value < 4000;
  begin_message(out, MessageHeader{static_cast<std::uint8_t>(kFlagProxiable |
                                                              (protocol_error ? kFlagError : 0)),
                                   static_cast<std::uint32_t>(command_of(answer)),
                                   kCxApplicationId, ids.hop_by_hop, ids.end_to_end});
  AvpWriter w(out);
  std::visit(
      [&w](const auto& m) {
        write_answer_envelope(w, m.envelope, m.result);
        encode_fields(w, m);
        write_proxy_infos(w, m.envelope);
      },
      answer);
  finish_message(out);
  return out;
}

DecodeResult<CxRequest> decode_request(std::span<const std::uint8_t> bytes) {
  auto opened = open(bytes, true);
  if (!opened) {
    return opened.error();
  }
  const Level& level = opened->second;
  auto wrap = [](auto decoded) -> DecodeResult<CxRequest> {
    if (!decoded) {
      return decoded.error();
    }
    return CxRequest(std::move(*decoded));
  };
  switch (static_cast<CxCommand>(opened->first.command_code)) {
    case CxCommand::kUserAuthorization:
      return wrap(decode_as<UserAuthorizationRequest>(level, true));
    case CxCommand::kServerAssignment:
      return wrap(decode_as<ServerAssignmentRequest>(level, true));
    case CxCommand::kLocationInfo: return wrap(decode_as<LocationInfoRequest>(level, true));
    case CxCommand::kMultimediaAuth: return wrap(decode_as<MultimediaAuthRequest>(level, true));
  }
  return decode_error(DecodeErrorCode::kUnexpectedCommand);
}

DecodeResult<CxAnswer> decode_answer(std::span<const std::uint8_t> bytes) {
  auto opened = open(bytes, false);
  if (!opened) {
    return opened.error();
  }
  const Level& level = opened->second;
  auto wrap = [](auto decoded) -> DecodeResult<CxAnswer> {
    if (!decoded) {
      return decoded.error();
    }
    return CxAnswer(std::move(*decoded));
  };
  switch (static_cast<CxCommand>(opened->first.command_code)) {
    case CxCommand::kUserAuthorization:
      return wrap(decode_as<UserAuthorizationAnswer>(level, false));
    case CxCommand::kServerAssignment:
      return wrap(decode_as<ServerAssignmentAnswer>(level, false));
    case CxCommand::kLocationInfo: return wrap(decode_as<LocationInfoAnswer>(level, false));
    case CxCommand::kMultimediaAuth: return wrap(decode_as<MultimediaAuthAnswer>(level, false));
  }
  return decode_error(DecodeErrorCode::kUnexpectedCommand);
}

DecodeResult<MessageHeader> decode_header(std::span<const std::uint8_t> bytes) {
  auto msg = parse_message(bytes);
  if (!msg) {
    return msg.error();
  }
  return msg->header;
}

}  // namespace wimpu::diameter
