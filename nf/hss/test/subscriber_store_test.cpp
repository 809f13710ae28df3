#include <gtest/gtest.h>

#include "test_data.hpp"
#include "wimpu/hss/subscriber_store.hpp"

namespace wimpu::hss {
namespace {

TEST(DigestHa1, Rfc2617Example) {
  // RFC 2617 §3.5: Mufasa / testrealm@host.com / "Circle Of Life".
  EXPECT_EQ(digest_ha1("Mufasa", "testrealm@host.com", "Circle Of Life"),
            "939e7578ed9e3c518a452acee763bce9");
}

TEST(SubscriberStore, ParsesAndIndexes) {
  auto store = SubscriberStore::parse(test::subscribers_toml());
  ASSERT_TRUE(store) << store.error();
  const SubscriberStore& s = **store;
  EXPECT_EQ(s.subscribers().size(), 3u);
  EXPECT_EQ(s.capabilities().mandatory, (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(s.capabilities().server_names.size(), 1u);

  auto alice = s.find_impu("tel:+15550100");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->subscriber->impi, "alice@example");
  EXPECT_TRUE(alice->wildcard.empty());
  EXPECT_EQ(alice->subscriber->allowed_wwsf, (std::vector<std::string>{"wwsf.example"}));

  auto in_block = s.find_impu("sip:+15550001234@block.example");
  ASSERT_TRUE(in_block);
  EXPECT_EQ(in_block->subscriber->impi, "block@block.example");
  EXPECT_EQ(in_block->wildcard, "sip:+1555000!.*!@block.example");

  // The distinct "range head" IMPU matches exactly, not through the wildcard.
  auto head = s.find_impu("sip:+15550000000@block.example");
  ASSERT_TRUE(head);
  EXPECT_TRUE(head->wildcard.empty());

  // The wildcarded identity given literally reports itself.
  auto literal = s.find_impu("sip:+1555000!.*!@block.example");
  ASSERT_TRUE(literal);
  EXPECT_EQ(literal->wildcard, "sip:+1555000!.*!@block.example");

  EXPECT_FALSE(s.find_impu("sip:+15560001234@block.example"));
  EXPECT_FALSE(s.find_impu("sip:carol@example"));
  EXPECT_NE(s.find_impi("bob@example"), nullptr);
  EXPECT_EQ(s.find_impi("carol@example"), nullptr);
  EXPECT_EQ(s.find_impu("sip:bob-work@example")->set, 1u);
}

TEST(SubscriberStore, RejectsBadData) {
  const std::string ha1(32, 'a');
  auto err = [](const std::string& text) {
    auto r = SubscriberStore::parse(text);
    return r ? std::string() : r.error();
  };
  EXPECT_NE(err("[[subscriber"), "");
  EXPECT_NE(err("x = 1"), "");  // no subscribers
  EXPECT_NE(err("[[subscriber]]\nimpi='a'\nrealm='r'\nha1='xyz'\n[[subscriber.implicit_set]]\n"
                "public_identities=['sip:a@r']"),
            "");
  EXPECT_NE(err("[[subscriber]]\nimpi='a'\nrealm='r'\nha1='" + ha1 + "'\n"), "");  // no set
  const std::string dup = "[[subscriber]]\nimpi='a'\nrealm='r'\nha1='" + ha1 +
                          "'\n[[subscriber.implicit_set]]\npublic_identities=['sip:a@r']\n"
                          "[[subscriber]]\nimpi='b'\nrealm='r'\nha1='" + ha1 +
                          "'\n[[subscriber.implicit_set]]\npublic_identities=['sip:a@r']\n";
  EXPECT_NE(err(dup).find("listed twice"), std::string::npos);
  const std::string bad_re = "[[subscriber]]\nimpi='a'\nrealm='r'\nha1='" + ha1 +
                             "'\n[[subscriber.implicit_set]]\npublic_identities=['sip:a![!@r']\n";
  EXPECT_NE(err(bad_re).find("bad regular expression"), std::string::npos);
  EXPECT_FALSE(SubscriberStore::load("/nonexistent/subscribers.toml"));
}

}  // namespace
}  // namespace wimpu::hss
