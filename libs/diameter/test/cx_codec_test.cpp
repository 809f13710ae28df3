#include <gtest/gtest.h>

#include "wimpu/diameter/cx_codec.hpp"

namespace wimpu::diameter {
namespace {

Envelope request_envelope() {
  Envelope env;
  env.session_id = "icscf.example;1;42";
  env.origin_host = "icscf.example";
  env.origin_realm = "example";
  env.destination_host = "hss.example";
  env.destination_realm = "example";
  return env;
}

Envelope answer_envelope() {
  Envelope env;
  env.session_id = "icscf.example;1;42";
  env.origin_host = "hss.example";
  env.origin_realm = "example";
  return env;
}

template <class Request>
Request round_trip_request(const Request& in) {
  const auto bytes = encode_request(in, MessageIds{11, 22});
  auto header = decode_header(bytes);
  EXPECT_TRUE(header);
  EXPECT_TRUE(header->request());
  EXPECT_EQ(header->application_id, kCxApplicationId);
  EXPECT_EQ(header->hop_by_hop, 11u);
  EXPECT_EQ(header->end_to_end, 22u);
  auto decoded = decode_request(bytes);
  EXPECT_TRUE(decoded) << to_string(decoded.error().code);
  EXPECT_TRUE(std::holds_alternative<Request>(*decoded));
  return std::get<Request>(*decoded);
}

template <class Answer>
Answer round_trip_answer(const Answer& in) {
  const auto bytes = encode_answer(in, MessageIds{11, 22});
  auto decoded = decode_answer(bytes);
  EXPECT_TRUE(decoded) << to_string(decoded.error().code);
  EXPECT_TRUE(std::holds_alternative<Answer>(*decoded));
  return std::get<Answer>(*decoded);
}

// Finds a top-level AVP in an encoded message.
std::optional<AvpView> find(const std::vector<std::uint8_t>& msg, const AvpDef& def) {
  auto view = parse_message(msg);
  auto avps = parse_avps(view->avps);
  for (const AvpView& a : *avps) {
    if (a.is(def)) {
      return a;
    }
  }
  return std::nullopt;
}

TEST(CxCodec, UarRoundTrip) {
  UserAuthorizationRequest uar;
  uar.envelope = request_envelope();
  uar.user_name = "alice@example";
  uar.public_identity = "sip:alice@example";
  uar.visited_network = "example";
  uar.authorization_type = UserAuthorizationType::kRegistrationAndCapabilities;
  EXPECT_EQ(round_trip_request(uar), uar);
  const auto bytes = encode_request(uar, {});
  EXPECT_EQ(decode_header(bytes)->command_code, 300u);
  // Session-Id is the first AVP (RFC 6733 §8.8).
  auto avps = parse_avps(parse_message(bytes)->avps);
  EXPECT_TRUE((*avps)[0].is(avp::kSessionId));
}

TEST(CxCodec, UaaWithCapabilitiesRoundTrip) {
  UserAuthorizationAnswer uaa;
  uaa.envelope = answer_envelope();
  uaa.result = results::kFirstRegistration;
  uaa.server_capabilities = ServerCapabilities{{1, 2}, {7}, {"sip:scscf1.example", "sip:s2"}};
  EXPECT_EQ(round_trip_answer(uaa), uaa);

  UserAuthorizationAnswer subsequent;
  subsequent.envelope = answer_envelope();
  subsequent.result = results::kSubsequentRegistration;
  subsequent.server_name = "sip:scscf1.example:5060";
  EXPECT_EQ(round_trip_answer(subsequent), subsequent);
}

TEST(CxCodec, SarSaaRoundTrip) {
  ServerAssignmentRequest sar;
  sar.envelope = request_envelope();
  sar.user_name = "block@example";
  sar.public_identities = {"sip:+15550000@block.example", "tel:+15550000"};
  sar.wildcarded_public_identity = "sip:+1555000!.*!@block.example";
  sar.server_name = "sip:scscf.example";
  sar.assignment_type = ServerAssignmentType::kReRegistration;
  sar.user_data_already_available = UserDataAlreadyAvailable::kAvailable;
  EXPECT_EQ(round_trip_request(sar), sar);

  ServerAssignmentAnswer saa;
  saa.envelope = answer_envelope();
  saa.result = results::kSuccess;
  saa.user_name = "block@example";
  saa.user_data = "<?xml version=\"1.0\"?><IMSSubscription/>";
  saa.wildcarded_public_identity = "sip:+1555000!.*!@block.example";
  saa.allowed_waf_wwsf_identities = AllowedWafWwsfIdentities{{"waf.example"}, {"wwsf.example"}};
  EXPECT_EQ(round_trip_answer(saa), saa);
}

TEST(CxCodec, LirLiaRoundTrip) {
  LocationInfoRequest lir;
  lir.envelope = request_envelope();
  lir.originating = true;
  lir.public_identity = "sip:+15550001234@block.example";
  EXPECT_EQ(round_trip_request(lir), lir);
  lir.originating = false;
  lir.authorization_type = UserAuthorizationType::kRegistrationAndCapabilities;
  EXPECT_EQ(round_trip_request(lir), lir);

  LocationInfoAnswer lia;
  lia.envelope = answer_envelope();
  lia.result = results::kSuccess;
  lia.server_name = "sip:scscf.example";
  lia.wildcarded_public_identity = "sip:+1555000!.*!@block.example";
  EXPECT_EQ(round_trip_answer(lia), lia);

  LocationInfoAnswer unregistered;
  unregistered.envelope = answer_envelope();
  unregistered.result = results::kUnregisteredService;
  unregistered.server_capabilities = ServerCapabilities{{}, {}, {"sip:scscf.example"}};
  EXPECT_EQ(round_trip_answer(unregistered), unregistered);
}

TEST(CxCodec, WildcardedPublicIdentityHasVendorBitAndNoMandatoryBit) {
  LocationInfoAnswer lia;
  lia.envelope = answer_envelope();
  lia.result = results::kSuccess;
  lia.wildcarded_public_identity = "sip:+1555000!.*!@block.example";
  auto avp = find(encode_answer(lia, {}), avp::kWildcardedPublicIdentity);
  ASSERT_TRUE(avp);
  EXPECT_EQ(avp->flags, kAvpFlagVendor);  // requirements X-05: M-bit not set
  EXPECT_EQ(avp->vendor_id, k3gppVendorId);
}

TEST(CxCodec, MarMaaRoundTripWithSipDigest) {
  MultimediaAuthRequest mar;
  mar.envelope = request_envelope();
  mar.user_name = "alice@example";
  mar.public_identity = "sip:alice@example";
  mar.auth_data.scheme = std::string(kSipDigestScheme);
  mar.number_auth_items = 1;
  mar.server_name = "sip:scscf.example";
  EXPECT_EQ(round_trip_request(mar), mar);

  MultimediaAuthAnswer maa;
  maa.envelope = answer_envelope();
  maa.result = results::kSuccess;
  maa.user_name = "alice@example";
  maa.public_identity = "sip:alice@example";
  maa.number_auth_items = 1;
  SipAuthDataItem item;
  item.scheme = std::string(kSipDigestScheme);
  item.digest = SipDigestAuthenticate{"example", "auth", "939e7578ed9e3c518a452acee763bce9",
                                      std::string("MD5")};
  maa.auth_data.push_back(item);
  EXPECT_EQ(round_trip_answer(maa), maa);

  // The digest group nests inside SIP-Auth-Data-Item: 612 { 608, 635 { 104, 111, 110, 121 } }.
  auto outer = find(encode_answer(maa, {}), avp::kSipAuthDataItem);
  ASSERT_TRUE(outer);
  auto children = parse_avps(outer->data);
  ASSERT_TRUE(children);
  ASSERT_EQ(children->size(), 2u);
  EXPECT_TRUE((*children)[1].is(avp::kSipDigestAuthenticate));
  EXPECT_EQ((*children)[1].flags, kAvpFlagVendor);
  auto digest = parse_avps((*children)[1].data);
  ASSERT_TRUE(digest);
  EXPECT_EQ(digest->size(), 4u);
}

TEST(CxCodec, ExperimentalResultIsKeyedByVendorAndCode) {
  LocationInfoAnswer lia;
  lia.envelope = answer_envelope();
  lia.result = results::kErrorUserUnknown;
  auto bytes = encode_answer(lia, {});
  EXPECT_TRUE(find(bytes, avp::kExperimentalResult));
  EXPECT_FALSE(find(bytes, avp::kResultCode));
  auto decoded = std::get<LocationInfoAnswer>(*decode_answer(bytes));
  EXPECT_EQ(decoded.result, results::kErrorUserUnknown);
  EXPECT_FALSE(decode_header(bytes)->error());

  // Base Result-Code 5001 is DIAMETER_AVP_UNSUPPORTED, not "user unknown" (requirements C-04).
  lia.result = results::kAvpUnsupported;
  bytes = encode_answer(lia, {});
  EXPECT_FALSE(find(bytes, avp::kExperimentalResult));
  decoded = std::get<LocationInfoAnswer>(*decode_answer(bytes));
  EXPECT_EQ(decoded.result, (ResultCode{0, 5001}));
  EXPECT_NE(decoded.result, results::kErrorUserUnknown);
  EXPECT_FALSE(decoded.result.success());
}

TEST(CxCodec, ProtocolErrorsSetTheErrorBit) {
  LocationInfoAnswer lia;
  lia.result = results::kUnableToDeliver;
  const auto bytes = encode_answer(lia, {});
  EXPECT_TRUE(decode_header(bytes)->error());
  // A bare error answer (as a relay or freeDiameter builds it) decodes with only the result.
  auto decoded = decode_answer(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(std::get<LocationInfoAnswer>(*decoded).result, results::kUnableToDeliver);
}

TEST(CxCodec, ProxyInfoIsEchoed) {
  LocationInfoRequest lir;
  lir.envelope = request_envelope();
  lir.public_identity = "sip:bob@example";
  std::vector<std::uint8_t> raw;
  AvpWriter w(raw);
  const auto g = w.open_group(avp::kProxyInfo);
  w.string(AvpDef{280, 0, true, AvpType::kOctetString, "Proxy-Host"}, "dra.example");
  w.string(AvpDef{33, 0, true, AvpType::kOctetString, "Proxy-State"}, "s1");
  w.close_group(g);
  lir.envelope.proxy_infos.emplace_back(raw.begin(), raw.end());
  const LocationInfoRequest decoded = round_trip_request(lir);
  ASSERT_EQ(decoded.envelope.proxy_infos.size(), 1u);

  LocationInfoAnswer lia;
  lia.envelope = answer_envelope();
  lia.envelope.proxy_infos = decoded.envelope.proxy_infos;
  lia.result = results::kSuccess;
  EXPECT_EQ(round_trip_answer(lia).envelope.proxy_infos, lia.envelope.proxy_infos);
}

TEST(CxCodec, MissingRequiredAvpIsReported) {
  LocationInfoRequest lir;
  lir.envelope = request_envelope();
  lir.public_identity = "sip:bob@example";
  auto bytes = encode_request(lir, {});
  // Rebuild without Public-Identity.
  auto view = parse_message(bytes);
  std::vector<std::uint8_t> stripped;
  begin_message(stripped, view->header);
  AvpWriter w(stripped);
  for (const AvpView& a : *parse_avps(view->avps)) {
    if (!a.is(avp::kPublicIdentity)) {
      w.raw(a.raw);
    }
  }
  finish_message(stripped);
  auto decoded = decode_request(stripped);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error(), (DecodeError{DecodeErrorCode::kMissingAvp, 601, k3gppVendorId}));
}

TEST(CxCodec, DuplicateSingleAvpIsReported) {
  LocationInfoRequest lir;
  lir.envelope = request_envelope();
  lir.public_identity = "sip:bob@example";
  auto bytes = encode_request(lir, {});
  AvpWriter w(bytes);
  w.string(avp::kPublicIdentity, "sip:eve@example");
  finish_message(bytes);
  auto decoded = decode_request(bytes);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, DecodeErrorCode::kDuplicateAvp);
}

TEST(CxCodec, UnknownNonMandatoryAvpsAreSkipped) {
  LocationInfoRequest lir;
  lir.envelope = request_envelope();
  lir.public_identity = "sip:bob@example";
  auto bytes = encode_request(lir, {});
  AvpWriter w(bytes);
  w.u32(AvpDef{650, k3gppVendorId, false, AvpType::kUnsigned32, "Session-Priority"}, 1);
  finish_message(bytes);
  auto decoded = decode_request(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(std::get<LocationInfoRequest>(*decoded), lir);
}

TEST(CxCodec, RejectsWrongApplicationAndDirection) {
  LocationInfoRequest lir;
  lir.envelope = request_envelope();
  lir.public_identity = "sip:bob@example";
  auto bytes = encode_request(lir, {});
  EXPECT_EQ(decode_answer(bytes).error().code, DecodeErrorCode::kUnexpectedCommand);
  bytes[11] = 0x01;  // application id 16777217
  EXPECT_EQ(decode_request(bytes).error().code, DecodeErrorCode::kUnexpectedCommand);
}

TEST(CxCodec, RejectsOutOfRangeEnumeratedAndBadUtf8) {
  ServerAssignmentRequest sar;
  sar.envelope = request_envelope();
  sar.server_name = "sip:scscf.example";
  sar.assignment_type = static_cast<ServerAssignmentType>(99);
  auto decoded = decode_request(encode_request(sar, {}));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error(), (DecodeError{DecodeErrorCode::kBadAvpValue, 614, k3gppVendorId}));

  LocationInfoRequest lir;
  lir.envelope = request_envelope();
  lir.public_identity = "sip:\xff@example";
  auto bad = decode_request(encode_request(lir, {}));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, DecodeErrorCode::kBadAvpValue);
}

TEST(CxCodec, ResultCodeNames) {
  EXPECT_EQ(to_string(results::kErrorIdentityNotRegistered),
            "DIAMETER_ERROR_IDENTITY_NOT_REGISTERED (10415:5003)");
  EXPECT_EQ(to_string(ResultCode{0, 5003}), "DIAMETER_AUTHORIZATION_REJECTED (0:5003)");
  EXPECT_EQ(to_string(ResultCode{99, 1}), "UNKNOWN (99:1)");
}

}  // namespace
}  // namespace wimpu::diameter
