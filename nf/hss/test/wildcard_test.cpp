#include <gtest/gtest.h>

#include "wimpu/hss/wildcard.hpp"

namespace wimpu::hss {
namespace {

TEST(Wildcard, MatchesTheBlock) {
  auto p = WildcardPattern::compile("sip:+1555000!.*!@block.example");
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->regex(), "^sip:\\+1555000(.*)@block\\.example$");
  EXPECT_TRUE(p->matches("sip:+15550001234@block.example"));
  EXPECT_TRUE(p->matches("sip:+1555000@block.example"));  // ".*" may be empty
  EXPECT_FALSE(p->matches("sip:+15550011234@block.example"));  // other prefix
  EXPECT_FALSE(p->matches("sip:+15550001234@block.example.net"));  // anchored at the end
  EXPECT_FALSE(p->matches("xsip:+15550001234@block.example"));     // anchored at the start
  EXPECT_FALSE(p->matches("sip:+15550001234@blockXexample"));      // '.' is literal outside !!
  EXPECT_EQ(p->text(), "sip:+1555000!.*!@block.example");
}

TEST(Wildcard, BoundedRangeWithBracketExpression) {
  // TS 23.003 example "!\d{3}!" written in POSIX ERE (no \d).
  auto p = WildcardPattern::compile("sip:+1555000![0-9]{3}!@ims.example");
  ASSERT_TRUE(p) << p.error();
  EXPECT_TRUE(p->matches("sip:+1555000123@ims.example"));
  EXPECT_FALSE(p->matches("sip:+155500012@ims.example"));
  EXPECT_FALSE(p->matches("sip:+15550001234@ims.example"));
  EXPECT_FALSE(p->matches("sip:+1555000abc@ims.example"));
}

TEST(Wildcard, AlternationStaysInsideItsGroup) {
  auto p = WildcardPattern::compile("sip:chat!a|b!@example.com");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->matches("sip:chata@example.com"));
  EXPECT_TRUE(p->matches("sip:chatb@example.com"));
  EXPECT_FALSE(p->matches("sip:chata"));
  EXPECT_FALSE(p->matches("b@example.com"));
}

TEST(Wildcard, TelUri) {
  auto p = WildcardPattern::compile("tel:+1555000!.*!");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->matches("tel:+15550009999"));
  EXPECT_FALSE(p->matches("tel:+15560009999"));
}

TEST(Wildcard, RejectsMalformedPatterns) {
  EXPECT_FALSE(WildcardPattern::compile("sip:alice@example.com"));  // no '!'
  EXPECT_FALSE(WildcardPattern::compile("sip:+1555!.*@example.com"));  // unbalanced
  EXPECT_FALSE(WildcardPattern::compile("sip:+1555!!@example.com"));   // empty part
  auto bad = WildcardPattern::compile("sip:+1555![0-9!@example.com");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("bad regular expression"), std::string::npos);
  EXPECT_TRUE(WildcardPattern::is_wildcarded("sip:a!.*!@b"));
  EXPECT_FALSE(WildcardPattern::is_wildcarded("sip:a@b"));
}

TEST(Wildcard, MovedPatternStillMatches) {
  auto p = WildcardPattern::compile("sip:x!.*!@y");
  ASSERT_TRUE(p);
  WildcardPattern moved = std::move(*p);
  EXPECT_TRUE(moved.matches("sip:x123@y"));
}

}  // namespace
}  // namespace wimpu::hss
