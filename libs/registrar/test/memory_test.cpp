// Memory-backend specifics that the shared conformance suite cannot see: the sweep (memory
// hygiene only) and the indexes it keeps in step.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "memory_block_store.hpp"

namespace wimpu::registrar::test {
namespace {

using namespace std::chrono_literals;

RegisterRequest request(std::string sub, std::string flow, std::uint32_t expires) {
  ContactInfo c;
  c.uri = "sip:" + sub + "@192.0.2.9";
  c.call_id = "call-" + sub;
  c.cseq = 1;
  c.flow_token = std::move(flow);
  return {"b1", {"https://wwsf.example", std::move(sub)}, {{std::move(c), expires}}};
}

TEST(MemoryRegistrar, SweepDropsExpiredContactsWithoutChangingAnyState) {
  MemoryHarness h;
  auto& m = h.memory();
  const auto a = m.register_now(request("a", "ws-1", 10));
  const auto b = m.register_now(request("b", "ws-1", 100));
  ASSERT_TRUE(a && b);
  h.advance(11s);
  EXPECT_EQ(m.sweep_now(100), 1u);  // a's contact
  EXPECT_EQ(m.sweep_now(100), 0u);
  // States are what they were: a quarantined since its expiry, b registered.
  EXPECT_EQ(m.lookup_now(a->impu)->state, ImpuState::kQuarantined);
  EXPECT_EQ(m.lookup_now(b->impu)->state, ImpuState::kRegistered);
  const auto u = m.usage_now("b1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->registered, 1u);
  EXPECT_EQ(u->quarantined, 1u);
  // The flow index followed: the flow now reaches b only.
  EXPECT_EQ(*m.remove_flow_now("ws-1"), 1u);
  EXPECT_FALSE(*m.is_registered_now(b->impu));
  // a is back inside its quarantine with the same IMPU.
  const auto again = m.register_now(request("a", "ws-2", 10));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->impu, a->impu);
}

TEST(MemoryRegistrar, ReclaimedImpusDropTheirFormerFlowsAndIdentities) {
  MemoryHarness h;
  auto& m = h.memory();
  // Fill b1 (10 IMPUs) on one flow with short contacts, let them expire past quarantine.
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(m.register_now(request("old" + std::to_string(i), "ws-old", 1)));
  }
  h.advance(62s);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(m.register_now(request("new" + std::to_string(i), "ws-new", 3600)));
  }
  EXPECT_EQ(*m.remove_flow_now("ws-old"), 0u);
  EXPECT_FALSE(m.lookup_identity_now("b1", {"https://wwsf.example", "old3"}));
  EXPECT_EQ(m.usage_now("b1")->registered, 10u);
  EXPECT_EQ(*m.remove_flow_now("ws-new"), 10u);
}

// A binding lives inside its slot while it fits and in the arena when it does not: growing past
// the slot, shrinking back, and the flow index across both moves, contents intact each time.
TEST(MemoryRegistrar, BindingsMoveBetweenTheSlotAndTheArenaIntact) {
  MemoryHarness h;
  auto& m = h.memory();
  auto req = request("big", "ws-a", 3600);
  const auto small = m.register_now(req);
  ASSERT_TRUE(small);
  // A second and third contact with long fields: several hundred bytes more than a slot holds.
  for (int k = 0; k < 2; ++k) {
    auto more = request("big", "ws-b", 3600);
    auto& c = more.contacts[0].contact;
    c.uri = "sip:big" + std::to_string(k) + "@192.0.2.9";
    c.user_agent = std::string(300, static_cast<char>('u' + k));
    c.path = {"<sip:" + std::string(200, 'p') + "@ep.example;lr>"};
    c.cseq = 1;
    ASSERT_TRUE(m.register_now(more));
  }
  auto b = m.lookup_now(small->impu);
  ASSERT_TRUE(b);
  ASSERT_EQ(b->contacts.size(), 3u);
  EXPECT_EQ(b->contacts[0].info.uri, "sip:big@192.0.2.9");
  EXPECT_EQ(b->contacts[2].info.user_agent, std::string(300, 'v'));
  EXPECT_EQ(b->contacts[2].info.path[0], "<sip:" + std::string(200, 'p') + "@ep.example;lr>");
  // The long contacts' flow dies: the binding shrinks back into its slot.
  EXPECT_EQ(*m.remove_flow_now("ws-b"), 2u);
  b = m.lookup_now(small->impu);
  ASSERT_TRUE(b);
  ASSERT_EQ(b->contacts.size(), 1u);
  EXPECT_EQ(b->contacts[0].info.flow_token, "ws-a");
  EXPECT_EQ(b->owner->subject, "big");
  // Refresh in place (inline to inline), then the last flow dies.
  req.contacts[0].contact.cseq = 2;
  ASSERT_TRUE(m.register_now(req));
  EXPECT_EQ(*m.remove_flow_now("ws-a"), 1u);
  EXPECT_EQ(m.lookup_now(small->impu)->state, ImpuState::kQuarantined);
}

// A refresh that changes only times and CSeq patches the stored contact in place (inline and in
// the arena); any other change (a field, the flow, a contact more or fewer) re-encodes. Readers
// see the same either way: new expiry, CSeq and update time, the first registration time kept, the
// untouched contact unchanged, and the flow index right after a move.
TEST(MemoryRegistrar, RefreshInPlaceAndRewriteGiveTheSameBinding) {
  for (const std::size_t ua_bytes : {std::size_t{8}, std::size_t{600}}) {  // inline, arena
    MemoryHarness h;
    auto& m = h.memory();
    auto a = request("x", "ws-a", 3600);
    a.contacts[0].contact.user_agent = std::string(ua_bytes, 'u');
    a.contacts[0].contact.path = {"<sip:p1@ep.example;lr>", "<sip:p2@ep.example;lr>"};
    auto b = request("x", "ws-b", 3600);
    b.contacts[0].contact.uri = "sip:other@192.0.2.9";
    const auto first = m.register_now(a);
    ASSERT_TRUE(first);
    ASSERT_TRUE(m.register_now(b));
    h.advance(5s);
    // Only the CSeq (and the times) differ: in place.
    a.contacts[0].contact.cseq = 2;
    a.contacts[0].expires_s = 600;
    const auto refreshed = m.register_now(a);
    ASSERT_TRUE(refreshed);
    ASSERT_EQ(refreshed->contacts.size(), 2u);
    EXPECT_EQ(refreshed->contacts[0].info, a.contacts[0].contact);
    EXPECT_EQ(refreshed->contacts[0].expires_at_ms, refreshed->now_ms + 600'000);
    EXPECT_EQ(refreshed->contacts[0].updated_at_ms, refreshed->now_ms);
    EXPECT_EQ(refreshed->contacts[0].registered_at_ms, first->now_ms);
    EXPECT_EQ(refreshed->contacts[1].info, b.contacts[0].contact);
    const auto looked = m.lookup_now(first->impu);
    ASSERT_TRUE(looked);
    ASSERT_EQ(looked->contacts.size(), 2u);
    EXPECT_EQ(looked->contacts[0].info, a.contacts[0].contact);
    EXPECT_EQ(looked->contacts[0].expires_at_ms, refreshed->contacts[0].expires_at_ms);
    EXPECT_EQ(looked->contacts[1].expires_at_ms, refreshed->contacts[1].expires_at_ms);
    // The same CSeq again is still out of order (the patched CSeq is the stored one).
    EXPECT_EQ(m.register_now(a).error(), W4Error::kOutOfOrder);
    // One Path entry differs (same lengths overall): re-encoded.
    a.contacts[0].contact.cseq = 3;
    a.contacts[0].contact.path = {"<sip:p1@ep.example;lr>", "<sip:p3@ep.example;lr>"};
    const auto path_changed = m.register_now(a);
    ASSERT_TRUE(path_changed);
    EXPECT_EQ(path_changed->contacts[0].info.path, a.contacts[0].contact.path);
    // The flow changes: the binding moves (RFC 5626 §6), the flow index follows.
    a.contacts[0].contact.cseq = 4;
    a.contacts[0].contact.flow_token = "ws-c";
    ASSERT_TRUE(m.register_now(a));
    EXPECT_EQ(*m.remove_flow_now("ws-a"), 0u);
    EXPECT_EQ(*m.remove_flow_now("ws-c"), 1u);
    EXPECT_EQ(*m.remove_flow_now("ws-b"), 1u);
    EXPECT_EQ(m.lookup_now(first->impu)->state, ImpuState::kQuarantined);
  }
}

// Many web identities on one flow (the flow index's group form): a de-registration in the middle,
// a move to another flow, then the flow's close reaches exactly the IMPUs still on it.
TEST(MemoryRegistrar, ManyImpusOnOneFlowAreAllReachedByItsClose) {
  MemoryHarness h;
  auto& m = h.memory();
  std::vector<std::string> impus;
  for (int i = 0; i < 10; ++i) {
    const auto r = m.register_now(request("u" + std::to_string(i), "ws-shared", 3600));
    ASSERT_TRUE(r);
    impus.push_back(r->impu);
  }
  auto bye = request("u3", "ws-shared", 0);
  bye.contacts[0].contact.cseq = 2;
  ASSERT_TRUE(m.register_now(bye));
  auto moved = request("u5", "ws-other", 3600);
  moved.contacts[0].contact.cseq = 2;
  ASSERT_TRUE(m.register_now(moved));  // same contact, new flow: the binding moves (RFC 5626 §6)
  EXPECT_EQ(*m.remove_flow_now("ws-shared"), 8u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(*m.is_registered_now(impus[static_cast<std::size_t>(i)]), i == 5) << i;
  }
  EXPECT_EQ(*m.remove_flow_now("ws-shared"), 0u);
  EXPECT_EQ(*m.remove_flow_now("ws-other"), 1u);
}

// MemoryOptions::preallocate_impus: the slot memory is reserved up front (capped at the block's
// size) and registering within it reserves no more; behaviour is the same as without it.
TEST(MemoryRegistrar, PreallocatedSlotsAreUsedWithoutGrowing) {
  BlockConfig cfg;
  cfg.id = "big";
  cfg.domains = {"big.example"};
  cfg.range_first = "+100000";
  cfg.range_last = "+119999";  // 20,000 IMPUs: 5 chunks of 4,681 slots
  const BlockSet set({cfg});
  const Block& block = *set.blocks()[0];
  const detail::ErrorCounters errors("memory");
  detail::MemoryBlockStore grown(block, errors);
  detail::MemoryBlockStore preallocated(block, errors);
  preallocated.preallocate(10'000);
  const std::size_t reserved = preallocated.slot_memory_bytes();
  EXPECT_EQ(reserved, 3 * detail::kHugePage);  // ceil(10,000 / 4,681) chunks
  EXPECT_EQ(grown.slot_memory_bytes(), 0u);
  for (int i = 0; i < 10'000; ++i) {
    ContactInfo c;
    c.uri = "sip:u@192.0.2.9";
    c.call_id = "c" + std::to_string(i);
    c.cseq = 1;
    c.flow_token = "ws-" + std::to_string(i % 7);
    const RegisterRequest req{"big", {"https://wwsf.example", "u" + std::to_string(i)},
                              {{c, 3600}}};
    const auto a = grown.register_contacts(req, 1000);
    const auto b = preallocated.register_contacts(req, 1000);
    ASSERT_TRUE(a && b);
    ASSERT_EQ(a->impu, b->impu);
  }
  EXPECT_EQ(preallocated.slot_memory_bytes(), reserved);
  EXPECT_EQ(grown.slot_memory_bytes(), reserved);
  EXPECT_EQ(preallocated.remove_flow("ws-3", 2000), grown.remove_flow("ws-3", 2000));
  // More than the block holds is capped at its size.
  detail::MemoryBlockStore capped(block, errors);
  capped.preallocate(1'000'000);
  EXPECT_EQ(capped.slot_memory_bytes(), 5 * detail::kHugePage);
  // Through the public constructor: the same answers as the default harness's registrar.
  MemoryRegistrar m(std::make_shared<const BlockSet>(test_blocks()),
                    std::make_shared<common::FakeClock>(), MemoryOptions{.preallocate_impus = 4});
  const auto r = m.register_now(request("a", "ws-1", 60));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->impu, "sip:+15550000000@block.example");
  EXPECT_EQ(*m.remove_flow_now("ws-1"), 1u);
}

}  // namespace
}  // namespace wimpu::registrar::test
