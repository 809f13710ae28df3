#include <gtest/gtest.h>

#include "test_data.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/hss/hss.hpp"

namespace wimpu::hss {
namespace {

using namespace wimpu::diameter;

constexpr const char* kScscf = "sip:scscf.example:5060";
constexpr const char* kBlockWildcard = "sip:+1555000!.*!@block.example";

class HssTest : public ::testing::Test {
protected:
  HssTest() : hss_(*SubscriberStore::parse(test::subscribers_toml())) {}

  UserAuthorizationAnswer uar(const std::string& impi, const std::string& impu,
                              std::optional<UserAuthorizationType> type = std::nullopt) {
    UserAuthorizationRequest r;
    r.user_name = impi;
    r.public_identity = impu;
    r.visited_network = "example";
    r.authorization_type = type;
    return hss_.handle(r);
  }
  MultimediaAuthAnswer mar(const std::string& impi, const std::string& impu,
                           const std::string& scheme = std::string(kSipDigestScheme)) {
    MultimediaAuthRequest r;
    r.user_name = impi;
    r.public_identity = impu;
    r.auth_data.scheme = scheme;
    r.server_name = kScscf;
    return hss_.handle(r);
  }
  ServerAssignmentAnswer sar(std::optional<std::string> impi, std::vector<std::string> impus,
                             ServerAssignmentType type, const std::string& scscf = kScscf) {
    ServerAssignmentRequest r;
    r.user_name = std::move(impi);
    r.public_identities = std::move(impus);
    r.server_name = scscf;
    r.assignment_type = type;
    return hss_.handle(r);
  }
  LocationInfoAnswer lir(const std::string& impu, bool originating = false) {
    LocationInfoRequest r;
    r.public_identity = impu;
    r.originating = originating;
    return hss_.handle(r);
  }
  void register_alice() {
    ASSERT_EQ(sar("alice@example", {"sip:alice@example"}, ServerAssignmentType::kRegistration)
                  .result,
              results::kSuccess);
  }

  Hss hss_;
};

// --- UAR (TS 29.228 §6.1.1) ------------------------------------------------------------------

TEST_F(HssTest, UarUnknownUserIs5001) {
  EXPECT_EQ(uar("carol@example", "sip:carol@example").result, results::kErrorUserUnknown);
  EXPECT_EQ(uar("alice@example", "sip:carol@example").result, results::kErrorUserUnknown);
  EXPECT_EQ(uar("carol@example", "sip:alice@example").result, results::kErrorUserUnknown);
}

TEST_F(HssTest, UarIdentitiesDontMatchIs5002) {
  EXPECT_EQ(uar("bob@example", "sip:alice@example").result, results::kErrorIdentitiesDontMatch);
}

TEST_F(HssTest, UarFirstRegistrationReturnsCapabilities) {
  const auto uaa = uar("alice@example", "sip:alice@example");
  EXPECT_EQ(uaa.result, results::kFirstRegistration);
  ASSERT_TRUE(uaa.server_capabilities);
  EXPECT_EQ(uaa.server_capabilities->mandatory, (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(uaa.server_capabilities->server_names,
            (std::vector<std::string>{"sip:scscf.example:5060"}));
  EXPECT_FALSE(uaa.server_name);
}

TEST_F(HssTest, UarSubsequentRegistrationReturnsServerName) {
  register_alice();
  const auto uaa = uar("alice@example", "tel:+15550100");  // same implicit set
  EXPECT_EQ(uaa.result, results::kSubsequentRegistration);
  EXPECT_EQ(uaa.server_name, kScscf);
  EXPECT_FALSE(uaa.server_capabilities);
}

TEST_F(HssTest, UarFirstRegistrationWithStoredServerName) {
  register_alice();
  sar("alice@example", {"sip:alice@example"},
      ServerAssignmentType::kUserDeregistrationStoreServerName);
  const auto uaa = uar("alice@example", "sip:alice@example");
  EXPECT_EQ(uaa.result, results::kFirstRegistration);
  EXPECT_EQ(uaa.server_name, kScscf);
}

TEST_F(HssTest, UarDeregistration) {
  EXPECT_EQ(uar("alice@example", "sip:alice@example", UserAuthorizationType::kDeRegistration)
                .result,
            results::kErrorIdentityNotRegistered);
  register_alice();
  const auto uaa =
      uar("alice@example", "sip:alice@example", UserAuthorizationType::kDeRegistration);
  EXPECT_EQ(uaa.result, results::kSuccess);
  EXPECT_EQ(uaa.server_name, kScscf);
}

TEST_F(HssTest, UarRegistrationAndCapabilities) {
  register_alice();
  const auto uaa = uar("alice@example", "sip:alice@example",
                       UserAuthorizationType::kRegistrationAndCapabilities);
  EXPECT_EQ(uaa.result, results::kFirstRegistration);
  EXPECT_TRUE(uaa.server_capabilities);
}

TEST_F(HssTest, UarForAnIdentityInsideTheWildcardedRange) {
  const auto uaa = uar("block@block.example", "sip:+15550000042@block.example");
  EXPECT_EQ(uaa.result, results::kFirstRegistration);
}

// --- MAR (TS 29.228 §6.3.1, SIP Digest) -------------------------------------------------------

TEST_F(HssTest, MarReturnsSipDigestHa1AndStoresTheScscf) {
  const auto maa = mar("alice@example", "sip:alice@example");
  EXPECT_EQ(maa.result, results::kSuccess);
  EXPECT_EQ(maa.user_name, "alice@example");
  EXPECT_EQ(maa.number_auth_items, 1u);
  ASSERT_EQ(maa.auth_data.size(), 1u);
  EXPECT_EQ(maa.auth_data[0].scheme, "SIP Digest");
  ASSERT_TRUE(maa.auth_data[0].digest);
  EXPECT_EQ(maa.auth_data[0].digest->realm, "example");
  EXPECT_EQ(maa.auth_data[0].digest->qop, "auth");
  EXPECT_EQ(maa.auth_data[0].digest->ha1, digest_ha1("alice@example", "example", "alice-secret"));
  EXPECT_EQ(hss_.scscf_of("alice@example"), kScscf);
  // Assigned but not registered yet: a UAR now points at that S-CSCF.
  EXPECT_EQ(uar("alice@example", "sip:alice@example").server_name, kScscf);
}

TEST_F(HssTest, MarErrors) {
  EXPECT_EQ(mar("carol@example", "sip:alice@example").result, results::kErrorUserUnknown);
  EXPECT_EQ(mar("bob@example", "sip:alice@example").result, results::kErrorIdentitiesDontMatch);
  EXPECT_EQ(mar("alice@example", "sip:alice@example", "Digest-AKAv1-MD5").result,
            results::kErrorAuthSchemeNotSupported);
  EXPECT_EQ(mar("alice@example", "sip:alice@example", "").result, results::kSuccess);
}

// --- SAR (TS 29.228 §6.1.2) -------------------------------------------------------------------

TEST_F(HssTest, SarRegistrationStoresScscfAndReturnsUserData) {
  const auto saa =
      sar("alice@example", {"sip:alice@example"}, ServerAssignmentType::kRegistration);
  EXPECT_EQ(saa.result, results::kSuccess);
  EXPECT_EQ(saa.user_name, "alice@example");
  ASSERT_TRUE(saa.user_data);
  EXPECT_NE(saa.user_data->find("<PrivateID>alice@example</PrivateID>"), std::string::npos);
  EXPECT_NE(saa.user_data->find("<Identity>tel:+15550100</Identity>"), std::string::npos);
  EXPECT_FALSE(saa.wildcarded_public_identity);
  ASSERT_TRUE(saa.allowed_waf_wwsf_identities);
  EXPECT_EQ(saa.allowed_waf_wwsf_identities->wwsf_names,
            (std::vector<std::string>{"wwsf.example"}));
  EXPECT_EQ(hss_.state_of("tel:+15550100"), RegistrationState::kRegistered);
  EXPECT_EQ(hss_.scscf_of("alice@example"), kScscf);
}

TEST_F(HssTest, SarReRegistrationWithUserDataAlreadyAvailable) {
  register_alice();
  ServerAssignmentRequest r;
  r.user_name = "alice@example";
  r.public_identities = {"sip:alice@example"};
  r.server_name = kScscf;
  r.assignment_type = ServerAssignmentType::kReRegistration;
  r.user_data_already_available = UserDataAlreadyAvailable::kAvailable;
  const auto saa = hss_.handle(r);
  EXPECT_EQ(saa.result, results::kSuccess);
  EXPECT_FALSE(saa.user_data);
}

TEST_F(HssTest, SarRegistrationThroughTheWildcardReturnsIt) {
  // The eP-CSCF registers the block once with a distinct IMPU of the range (requirements X-03).
  const auto saa = sar("block@block.example", {"sip:+15550001234@block.example"},
                       ServerAssignmentType::kRegistration);
  EXPECT_EQ(saa.result, results::kSuccess);
  EXPECT_EQ(saa.wildcarded_public_identity, kBlockWildcard);
  ASSERT_TRUE(saa.user_data);
  EXPECT_NE(saa.user_data->find("<IdentityType>3</IdentityType><WildcardedIMPU>sip:+1555000!.*!@"
                                "block.example</WildcardedIMPU>"),
            std::string::npos);
  // The whole implicit set is registered, range head included.
  EXPECT_EQ(hss_.state_of("sip:+15550000000@block.example"), RegistrationState::kRegistered);
  EXPECT_EQ(hss_.state_of("sip:+15550009999@block.example"), RegistrationState::kRegistered);
}

TEST_F(HssTest, SarWithWildcardedPublicIdentityAvp) {
  ServerAssignmentRequest r;
  r.user_name = "block@block.example";
  r.wildcarded_public_identity = kBlockWildcard;
  r.server_name = kScscf;
  r.assignment_type = ServerAssignmentType::kRegistration;
  const auto saa = hss_.handle(r);
  EXPECT_EQ(saa.result, results::kSuccess);
  EXPECT_EQ(saa.wildcarded_public_identity, kBlockWildcard);
}

TEST_F(HssTest, SarUnregisteredUser) {
  const auto saa = sar(std::nullopt, {"sip:bob@example"}, ServerAssignmentType::kUnregisteredUser);
  EXPECT_EQ(saa.result, results::kSuccess);
  EXPECT_TRUE(saa.user_data);
  EXPECT_EQ(hss_.state_of("sip:bob@example"), RegistrationState::kUnregistered);
  EXPECT_EQ(hss_.state_of("sip:bob-work@example"), RegistrationState::kNotRegistered);
  EXPECT_EQ(hss_.scscf_of("bob@example"), kScscf);
}

TEST_F(HssTest, SarUserDeregistrationClearsTheScscf) {
  register_alice();
  const auto saa =
      sar("alice@example", {"sip:alice@example"}, ServerAssignmentType::kUserDeregistration);
  EXPECT_EQ(saa.result, results::kSuccess);
  EXPECT_FALSE(saa.user_data);
  EXPECT_EQ(hss_.state_of("sip:alice@example"), RegistrationState::kNotRegistered);
  EXPECT_FALSE(hss_.scscf_of("alice@example"));
}

TEST_F(HssTest, SarTimeoutDeregistrationStoreServerNameKeepsIt) {
  register_alice();
  sar("alice@example", {"sip:alice@example"},
      ServerAssignmentType::kTimeoutDeregistrationStoreServerName);
  EXPECT_EQ(hss_.state_of("sip:alice@example"), RegistrationState::kNotRegistered);
  EXPECT_EQ(hss_.scscf_of("alice@example"), kScscf);
}

TEST_F(HssTest, SarDeregistrationOfOneSetKeepsTheScscfForTheOther) {
  sar("bob@example", {"sip:bob@example"}, ServerAssignmentType::kRegistration);
  sar("bob@example", {"sip:bob-work@example"}, ServerAssignmentType::kRegistration);
  sar("bob@example", {"sip:bob@example"}, ServerAssignmentType::kUserDeregistration);
  EXPECT_EQ(hss_.state_of("sip:bob-work@example"), RegistrationState::kRegistered);
  EXPECT_EQ(hss_.scscf_of("bob@example"), kScscf);
  // Without Public-Identity the de-registration covers every set of the IMPI.
  sar("bob@example", {}, ServerAssignmentType::kAdministrativeDeregistration);
  EXPECT_EQ(hss_.state_of("sip:bob-work@example"), RegistrationState::kNotRegistered);
  EXPECT_FALSE(hss_.scscf_of("bob@example"));
}

TEST_F(HssTest, SarAuthenticationFailureReleasesTheMarAssignment) {
  mar("alice@example", "sip:alice@example");
  ASSERT_TRUE(hss_.scscf_of("alice@example"));
  EXPECT_EQ(sar("alice@example", {"sip:alice@example"},
                ServerAssignmentType::kAuthenticationFailure)
                .result,
            results::kSuccess);
  EXPECT_FALSE(hss_.scscf_of("alice@example"));
}

TEST_F(HssTest, SarNoAssignmentChecksTheScscf) {
  register_alice();
  const auto ok = sar("alice@example", {"sip:alice@example"}, ServerAssignmentType::kNoAssignment);
  EXPECT_EQ(ok.result, results::kSuccess);
  EXPECT_TRUE(ok.user_data);
  EXPECT_EQ(sar("alice@example", {"sip:alice@example"}, ServerAssignmentType::kNoAssignment,
                "sip:other.example")
                .result,
            results::kUnableToComply);
}

TEST_F(HssTest, SarErrors) {
  EXPECT_EQ(sar("alice@example", {"sip:carol@example"}, ServerAssignmentType::kRegistration)
                .result,
            results::kErrorUserUnknown);
  EXPECT_EQ(sar("bob@example", {"sip:alice@example"}, ServerAssignmentType::kRegistration).result,
            results::kErrorIdentitiesDontMatch);
  EXPECT_EQ(sar("alice@example", {"sip:alice@example", "sip:bob@example"},
                ServerAssignmentType::kRegistration)
                .result,
            results::kErrorIdentitiesDontMatch);
  EXPECT_EQ(sar("carol@example", {}, ServerAssignmentType::kRegistration).result,
            results::kErrorUserUnknown);
  EXPECT_EQ(sar(std::nullopt, {}, ServerAssignmentType::kRegistration).result,
            results::kErrorUserUnknown);
  EXPECT_EQ(sar("alice@example", {"sip:alice@example"}, ServerAssignmentType::kPgwUpdate).result,
            results::kErrorInAssignmentType);
}

// --- LIR (TS 29.228 §6.1.4; requirements C-05, X-05) -------------------------------------------

TEST_F(HssTest, LirUnknownIs5001) {
  EXPECT_EQ(lir("sip:carol@example").result, results::kErrorUserUnknown);
  // Outside the wildcarded range and unknown: 5001, which the I-CSCF maps to 404.
  EXPECT_EQ(lir("sip:+15560001234@block.example").result, results::kErrorUserUnknown);
}

TEST_F(HssTest, LirNotRegisteredWithoutUnregisteredServicesIs5003) {
  EXPECT_EQ(lir("sip:alice@example").result, results::kErrorIdentityNotRegistered);
  const auto lia = lir("sip:+15550001234@block.example");
  EXPECT_EQ(lia.result, results::kErrorIdentityNotRegistered);
  EXPECT_FALSE(lia.wildcarded_public_identity);
}

TEST_F(HssTest, LirRegisteredReturnsServerName) {
  register_alice();
  const auto lia = lir("tel:+15550100");
  EXPECT_EQ(lia.result, results::kSuccess);
  EXPECT_EQ(lia.server_name, kScscf);
  EXPECT_FALSE(lia.wildcarded_public_identity);
}

TEST_F(HssTest, LirThroughWildcardReturnsServerNameAndWildcard) {
  sar("block@block.example", {"sip:+15550000000@block.example"},
      ServerAssignmentType::kRegistration);
  const auto lia = lir("sip:+15550001234@block.example");
  EXPECT_EQ(lia.result, results::kSuccess);
  EXPECT_EQ(lia.server_name, kScscf);
  EXPECT_EQ(lia.wildcarded_public_identity, kBlockWildcard);
  // The distinct head IMPU matches exactly: no wildcard in the answer.
  EXPECT_FALSE(lir("sip:+15550000000@block.example").wildcarded_public_identity);
}

TEST_F(HssTest, LirUnregisteredServicesWithoutScscfIs2003WithCapabilities) {
  const auto lia = lir("sip:bob@example");
  EXPECT_EQ(lia.result, results::kUnregisteredService);
  ASSERT_TRUE(lia.server_capabilities);
  EXPECT_FALSE(lia.server_name);
}

TEST_F(HssTest, LirOriginatingWithoutScscfIs2003) {
  EXPECT_EQ(lir("sip:alice@example", true).result, results::kUnregisteredService);
}

TEST_F(HssTest, LirUnregisteredServicesWithStoredScscf) {
  sar(std::nullopt, {"sip:bob@example"}, ServerAssignmentType::kUnregisteredUser);
  auto lia = lir("sip:bob@example");
  EXPECT_EQ(lia.result, results::kSuccess);
  EXPECT_EQ(lia.server_name, kScscf);
  // The other set of the IMPI is not registered, but the IMPI has an S-CSCF stored.
  lia = lir("sip:bob-work@example");
  EXPECT_EQ(lia.result, results::kSuccess);
  EXPECT_EQ(lia.server_name, kScscf);
}

TEST_F(HssTest, LirAfterDeregistrationIs5003Again) {
  register_alice();
  sar("alice@example", {"sip:alice@example"}, ServerAssignmentType::kTimeoutDeregistration);
  EXPECT_EQ(lir("sip:alice@example").result, results::kErrorIdentityNotRegistered);
}

TEST_F(HssTest, OutcomesAreCounted) {
  const auto before = common::counter("hss.lia.10415.5001").value();
  lir("sip:nobody@example");
  EXPECT_EQ(common::counter("hss.lia.10415.5001").value(), before + 1);
}

TEST_F(HssTest, ReloadKeepsRegistrationState) {
  register_alice();
  hss_.reload(*SubscriberStore::parse(test::subscribers_toml()));
  EXPECT_EQ(hss_.state_of("sip:alice@example"), RegistrationState::kRegistered);
  EXPECT_EQ(lir("sip:alice@example").server_name, kScscf);
  // A reload without alice drops her state.
  const std::string ha1(32, 'a');
  hss_.reload(*SubscriberStore::parse(
      "[[subscriber]]\nimpi='x@example'\nrealm='example'\nha1='" + ha1 +
      "'\n[[subscriber.implicit_set]]\npublic_identities=['sip:x@example']\n"));
  EXPECT_EQ(lir("sip:alice@example").result, results::kErrorUserUnknown);
  EXPECT_FALSE(hss_.scscf_of("alice@example"));
}

TEST_F(HssTest, DispatchOnVariant) {
  CxRequest request = LocationInfoRequest{{}, false, "sip:carol@example", std::nullopt};
  const CxAnswer answer = hss_.handle(request);
  ASSERT_TRUE(std::holds_alternative<LocationInfoAnswer>(answer));
  EXPECT_EQ(std::get<LocationInfoAnswer>(answer).result, results::kErrorUserUnknown);
}

}  // namespace
}  // namespace wimpu::hss
