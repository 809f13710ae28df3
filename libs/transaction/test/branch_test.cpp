#include <gtest/gtest.h>

#include <set>
#include <string>

#include "wimpu/transaction/branch.hpp"

namespace wimpu::transaction {
namespace {

TEST(Branch, CarriesShardAndIsUnique) {
  Random random(42);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string b;
    append_branch(b, 7, random);
    EXPECT_EQ(b.substr(0, 9), "z9hG4bK7.");
    EXPECT_EQ(shard_from_branch(b), ShardId{7});
    EXPECT_TRUE(seen.insert(b).second);
  }
}

TEST(Branch, SuffixSurvivesAndShardStillParses) {
  Random random(1);
  std::string b;
  append_branch(b, 12, random, "lh0123abcd");
  EXPECT_EQ(shard_from_branch(b), ShardId{12});
  EXPECT_EQ(branch_suffix(b), "lh0123abcd");
}

TEST(Branch, ForeignBranchesNameNoShard) {
  EXPECT_FALSE(shard_from_branch("z9hG4bK776asdhds"));
  EXPECT_FALSE(shard_from_branch("z9hG4bK1.short"));
  EXPECT_FALSE(shard_from_branch("z9hG4bK99999999.0123456789abcdef"));
  EXPECT_FALSE(shard_from_branch("1.0123456789abcdef"));
  EXPECT_FALSE(shard_from_branch(""));
  EXPECT_EQ(branch_suffix("z9hG4bKabc"), "");
}

}  // namespace
}  // namespace wimpu::transaction
