#include <gtest/gtest.h>

#include "wimpu/s_cscf/registration_store.hpp"
#include "wimpu/s_cscf/s_cscf.hpp"

namespace wimpu::s_cscf {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kBlockSet = {"sip:+15550000000@block.example",
                                            "sip:+1555000!.*!@block.example"};

ContactUpdate contact(std::string uri, std::uint32_t expires, std::uint32_t cseq = 1) {
  return ContactUpdate{std::move(uri), {"<sip:ep@127.0.0.1:5090;lr>"}, "call-1", cseq, expires};
}

class StoreTest : public ::testing::Test {
protected:
  std::shared_ptr<common::FakeClock> clock = std::make_shared<common::FakeClock>();
  RegistrationStore store{clock};
};

TEST_F(StoreTest, DistinctImpuRegistersTheWholeWildcardedRange) {
  auto v = store.update("block@block.example", "sip:+15550000000@block.example", kBlockSet,
                        {contact("sip:block@127.0.0.1:5090", 600)});
  ASSERT_TRUE(v);
  EXPECT_TRUE(store.is_registered("sip:+15550000000@block.example"));
  EXPECT_TRUE(store.is_registered("sip:+15550000123@block.example"));
  EXPECT_TRUE(store.is_registered("sip:+15550000123@BLOCK.example"));  // host case-insensitive
  EXPECT_FALSE(store.is_registered("sip:+15559990123@block.example"));
  EXPECT_FALSE(store.is_registered("sip:+15550000123@other.example"));
  // P-Profile-Key carries the wildcard itself: an exact hit.
  auto byKey = store.lookup("sip:+1555000!.*!@block.example");
  ASSERT_TRUE(byKey);
  ASSERT_EQ(byKey->contacts.size(), 1u);
  EXPECT_EQ(byKey->contacts[0].path, std::vector<std::string>{"<sip:ep@127.0.0.1:5090;lr>"});
  EXPECT_EQ(byKey->contacts[0].expires_in_s, 600u);
}

TEST_F(StoreTest, ContactsExpireAndTheEmptySetIsReported) {
  ASSERT_TRUE(store.update("alice@example", "sip:alice@example", {"sip:alice@example"},
                           {contact("sip:a@10.0.0.1", 60), contact("sip:b@10.0.0.2", 120)}));
  clock->advance(61s);
  auto v = store.lookup("sip:alice@example");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->contacts.size(), 1u);
  EXPECT_TRUE(store.expire().empty());
  clock->advance(60s);
  EXPECT_FALSE(store.is_registered("sip:alice@example"));
  auto gone = store.expire();
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].impi, "alice@example");
  EXPECT_EQ(store.size(), 0u);
}

TEST_F(StoreTest, RefreshRemovalAndOrdering) {
  ASSERT_TRUE(store.update("alice@example", "sip:alice@example", {}, {contact("sip:a@h", 60, 1)}));
  EXPECT_EQ(store.update("alice@example", "sip:alice@example", {}, {contact("sip:a@h", 60, 1)})
                .error(),
            StoreError::kOutOfOrder);
  auto v = store.update("alice@example", "sip:alice@example", {}, {contact("sip:a@h", 0, 2)});
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->contacts.empty());
  EXPECT_EQ(store.update("x@example", "sip:x@example", {}, {contact("sip:x@h", 0)}).error(),
            StoreError::kNotFound);
  EXPECT_EQ(store.remove_all("sip:nobody@example").error(), StoreError::kNotFound);
  store.erase("sip:alice@example");
  EXPECT_EQ(store.size(), 0u);
}

TEST_F(StoreTest, BadWildcardIsRefused) {
  EXPECT_EQ(store.update("b@b", "sip:1@b", {"sip:1@b", "sip:!(!@b"}, {contact("sip:c@h", 60)})
                .error(),
            StoreError::kBadIdentity);
}

TEST(UserData, IdentitiesAreReadInOrderAndDecoded) {
  const std::string xml =
      "<?xml version=\"1.0\"?><IMSSubscription><PrivateID>b</PrivateID><ServiceProfile>"
      "<PublicIdentity><Identity>sip:+15550000000@block.example</Identity></PublicIdentity>"
      "<PublicIdentity><Identity>sip:+1555000!.*!@block.example</Identity><Extension>"
      "<IdentityType>3</IdentityType></Extension></PublicIdentity>"
      "<PublicIdentity><Identity>sip:a&amp;b@x</Identity></PublicIdentity>"
      "</ServiceProfile></IMSSubscription>";
  EXPECT_EQ(public_identities_of(xml),
            (std::vector<std::string>{"sip:+15550000000@block.example",
                                      "sip:+1555000!.*!@block.example", "sip:a&b@x"}));
  EXPECT_TRUE(public_identities_of("<Identity>unterminated").empty());
}

TEST(UserData, ImpuOfDropsParametersAndPort) {
  EXPECT_EQ(impu_of("sip:alice@Example:5060;transport=udp"), "sip:alice@Example");
  EXPECT_EQ(impu_of("tel:+15550100;phone-context=x"), "tel:+15550100");
  EXPECT_EQ(impu_of("not a uri"), "");
}

}  // namespace
}  // namespace wimpu::s_cscf
