// FlowIndex (src/flow_index.hpp): single entries, groups for flows with several IMPUs, and flows
// whose 32-bit hashes collide (the hash is passed in, so a test can force a collision).
#include "flow_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace wimpu::registrar::detail {
namespace {

// A model of the store: which flows each IMPU index has contacts on (what on_flow() reads).
struct Model {
  std::map<std::uint32_t, std::set<std::string>> on;
  FlowIndex index;

  void add(std::uint32_t h, const std::string& flow, std::uint32_t i) {
    index.insert(h, flow, i, [&](std::uint32_t x) { return on[x].count(flow) > 0; });
    on[i].insert(flow);
  }
  bool remove(std::uint32_t h, const std::string& flow, std::uint32_t i) {
    on[i].erase(flow);
    return index.erase(h, flow, i);
  }
  // What remove_flow() would act on: candidates confirmed against the model, sorted.
  std::vector<std::uint32_t> members(std::uint32_t h, const std::string& flow) {
    std::vector<std::uint32_t> out;
    index.find_all(h, flow, out);
    std::erase_if(out, [&](std::uint32_t x) { return on[x].count(flow) == 0; });
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST(FlowIndex, OneImpuPerFlowStaysASingleEntry) {
  Model m;
  m.add(IndexTable::hash("f1"), "f1", 7);
  m.add(IndexTable::hash("f2"), "f2", 8);
  EXPECT_EQ(m.index.groups(), 0u);
  EXPECT_EQ(m.members(IndexTable::hash("f1"), "f1"), std::vector<std::uint32_t>{7});
  EXPECT_TRUE(m.remove(IndexTable::hash("f1"), "f1", 7));
  EXPECT_FALSE(m.remove(IndexTable::hash("f1"), "f1", 7));
  EXPECT_TRUE(m.members(IndexTable::hash("f1"), "f1").empty());
  EXPECT_EQ(m.index.size(), 1u);
}

TEST(FlowIndex, ManyImpusOnOneFlowFormAGroupAndShrinkBack) {
  Model m;
  const std::uint32_t h = IndexTable::hash("ws-1");
  std::vector<std::uint32_t> all;
  for (std::uint32_t i = 0; i < 5000; ++i) {
    m.add(h, "ws-1", i);
    all.push_back(i);
  }
  EXPECT_EQ(m.index.groups(), 1u);
  EXPECT_EQ(m.index.size(), 5000u);
  EXPECT_EQ(m.members(h, "ws-1"), all);
  // Erase in the order find_all() gives (what remove_flow() does), down to one member.
  std::vector<std::uint32_t> order;
  m.index.find_all(h, "ws-1", order);
  ASSERT_EQ(order.size(), 5000u);
  for (std::size_t k = 0; k + 1 < order.size(); ++k) {
    ASSERT_TRUE(m.remove(h, "ws-1", order[k]));
  }
  EXPECT_EQ(m.index.groups(), 0u);  // the last member is a single again
  EXPECT_EQ(m.members(h, "ws-1"), std::vector<std::uint32_t>{order.back()});
  // A freed group is reused by the next shared flow.
  m.add(IndexTable::hash("ws-2"), "ws-2", 1);
  m.add(IndexTable::hash("ws-2"), "ws-2", 2);
  EXPECT_EQ(m.index.groups(), 1u);
  EXPECT_EQ(m.members(IndexTable::hash("ws-2"), "ws-2"), (std::vector<std::uint32_t>{1, 2}));
}

TEST(FlowIndex, CollidingFlowsKeepTheirOwnMembers) {
  Model m;
  const std::uint32_t h = 42;  // "a" and "b" forced to the same hash
  m.add(h, "a", 1);
  m.add(h, "b", 1);  // the same IMPU on both flows
  m.add(h, "b", 2);  // b becomes a group; one of the (h, 1) singles stays for a
  m.add(h, "a", 3);  // a becomes a group too
  EXPECT_EQ(m.members(h, "a"), (std::vector<std::uint32_t>{1, 3}));
  EXPECT_EQ(m.members(h, "b"), (std::vector<std::uint32_t>{1, 2}));
  EXPECT_TRUE(m.remove(h, "b", 1));
  EXPECT_EQ(m.members(h, "a"), (std::vector<std::uint32_t>{1, 3}));
  EXPECT_EQ(m.members(h, "b"), std::vector<std::uint32_t>{2});
  EXPECT_TRUE(m.remove(h, "a", 1));
  EXPECT_TRUE(m.remove(h, "a", 3));
  EXPECT_TRUE(m.members(h, "a").empty());
  EXPECT_EQ(m.members(h, "b"), std::vector<std::uint32_t>{2});
  EXPECT_TRUE(m.remove(h, "b", 2));
  EXPECT_EQ(m.index.size(), 0u);
  // find_all() lists an IMPU once even when a colliding flow's single names it too.
  m.add(h, "a", 5);
  m.add(h, "a", 6);
  m.add(h, "b", 5);
  std::vector<std::uint32_t> raw;
  m.index.find_all(h, "a", raw);
  std::sort(raw.begin(), raw.end());
  EXPECT_EQ(raw, (std::vector<std::uint32_t>{5, 6}));
}

}  // namespace
}  // namespace wimpu::registrar::detail
