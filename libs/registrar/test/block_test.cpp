// BlockSet: configuration checks, IMPU resolution and rendering (shared by both backends).
#include <gtest/gtest.h>

#include <stdexcept>

#include "wimpu/registrar/block.hpp"

namespace wimpu::registrar {
namespace {

BlockConfig range_block(std::string id, std::string first, std::string last) {
  BlockConfig b;
  b.id = std::move(id);
  b.domains = {"Block.Example", "alias.example"};
  b.range_first = std::move(first);
  b.range_last = std::move(last);
  return b;
}

TEST(CanonicalImpu, LowercasesSchemeAndHostAndDropsParameters) {
  EXPECT_EQ(canonical_impu("SIP:+1555@Block.Example;user=phone?x=y"), "sip:+1555@block.example");
  EXPECT_EQ(canonical_impu("tel:+1555;phone-context=x"), "tel:+1555");
  EXPECT_EQ(canonical_impu("sip:Alice@EX.com"), "sip:Alice@ex.com");  // user part is case-sensitive
  EXPECT_EQ(canonical_impu("sips:+1555@block.example"), "");
  EXPECT_EQ(canonical_impu("sip:block.example"), "");
  EXPECT_EQ(canonical_impu("nonsense"), "");
  EXPECT_EQ(canonical_impu("tel:"), "");
}

TEST(BlockSet, RangeRendersSipAndTelAndDerivesWildcard) {
  auto cfg = range_block("b1", "+15550000000", "+15550009999");
  cfg.render_tel = true;
  const BlockSet set({cfg});
  const Block& b = *set.find("b1");
  EXPECT_EQ(b.size, 10000u);
  EXPECT_EQ(b.render(0), "sip:+15550000000@block.example");
  EXPECT_EQ(b.render(123), "sip:+15550000123@block.example");
  EXPECT_EQ(b.aliases(123), std::vector<std::string>{"tel:+15550000123"});
  EXPECT_EQ(b.config.wildcard, "sip:+1555000!.*!@block.example");
  EXPECT_EQ(b.redis_tag(), "{blk:b1}");
}

TEST(BlockSet, LeadingZerosAreKeptAndTelOnlyRenders) {
  auto cfg = range_block("z", "0010", "0019");
  cfg.render_sip = false;
  cfg.render_tel = true;
  const BlockSet set({cfg});
  EXPECT_EQ(set.find("z")->render(5), "tel:0015");
  EXPECT_EQ(set.find("z")->config.wildcard, "tel:001!.*!");
}

TEST(BlockSet, ResolvesEveryAcceptedForm) {
  const BlockSet set({range_block("b1", "+15550000000", "+15550009999")});
  for (const char* form : {"sip:+15550000042@block.example", "sip:+15550000042@BLOCK.example;user=phone",
                           "sip:+15550000042@alias.example", "tel:+15550000042"}) {
    const auto r = set.resolve(form);
    ASSERT_TRUE(r) << form;
    EXPECT_EQ(r->index, 42u) << form;
    EXPECT_EQ(r->block->config.id, "b1");
  }
  for (const char* form : {"sip:+15550010000@block.example", "sip:+1555000004@block.example",
                           "sip:15550000042@block.example", "sip:+15550000042@other.example",
                           "tel:+1555000004x", "mailto:x"}) {
    const auto r = set.resolve(form);
    ASSERT_FALSE(r) << form;
    EXPECT_EQ(r.error(), W4Error::kUnknownImpu);
  }
}

TEST(BlockSet, ExplicitListResolvesByCanonicalForm) {
  BlockConfig cfg;
  cfg.id = "list";
  cfg.impus = {"sip:alice@Corp.Example", "tel:+4930123"};
  const BlockSet set({cfg, range_block("b1", "+15550000000", "+15550000009")});
  const auto r = set.resolve("sip:alice@corp.example;transport=tcp");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->block->config.id, "list");
  EXPECT_EQ(r->index, 0u);
  EXPECT_EQ(set.find("list")->render(1), "tel:+4930123");
  EXPECT_TRUE(set.find("list")->aliases(1).empty());
  EXPECT_FALSE(set.resolve("sip:bob@corp.example"));
}

TEST(BlockSet, RejectsBadConfigurations) {
  const auto throws = [](std::vector<BlockConfig> c) {
    EXPECT_THROW(BlockSet{std::move(c)}, std::invalid_argument);
  };
  throws({range_block("", "+1", "+2")});
  throws({range_block("bad id", "+1", "+2")});
  throws({range_block("a", "+1", "+2"), range_block("a", "+3", "+4")});
  throws({range_block("a", "+10", "+1")});
  throws({range_block("a", "+10", "11")});
  throws({range_block("a", "+10", "+100")});
  throws({range_block("a", "+1x", "+19")});
  throws({range_block("a", "+10", "+19"), range_block("b", "+15", "+25")});
  auto no_domain = range_block("a", "+10", "+19");
  no_domain.domains.clear();
  throws({no_domain});
  auto both = range_block("a", "+10", "+19");
  both.impus = {"sip:x@y"};
  throws({both});
  BlockConfig dup;
  dup.id = "l";
  dup.impus = {"sip:x@Y", "sip:x@y;user=phone"};
  throws({dup});
  BlockConfig in_range;
  in_range.id = "l";
  in_range.impus = {"tel:+15"};
  throws({range_block("a", "+10", "+19"), in_range});
  auto zero = range_block("a", "+10", "+19");
  zero.max_contacts = 0;
  throws({zero});
}

TEST(WebIdentity, KeyRoundTripsAndIsUnambiguous) {
  const WebIdentity a{"https://wwsf.example", "alice:1"};
  EXPECT_EQ(a.key(), "20:https://wwsf.examplealice:1");
  EXPECT_EQ(WebIdentity::from_key(a.key()), a);
  EXPECT_NE((WebIdentity{"ab", "c"}.key()), (WebIdentity{"a", "bc"}.key()));
  EXPECT_FALSE(WebIdentity::from_key("x:abc"));
  EXPECT_FALSE(WebIdentity::from_key("9:abc"));
}

}  // namespace
}  // namespace wimpu::registrar
