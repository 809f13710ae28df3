// The W4 conformance suite: every operation and rule of docs/w4.md, run unchanged against the
// memory and the redis backend (issue 3: "one conformance suite ... against both").
#include <algorithm>
#include <type_traits>
#include <set>

#include "harness.hpp"
#include "wimpu/common/counter.hpp"

namespace wimpu::registrar::test {
namespace {

using namespace std::chrono_literals;

ContactInfo contact(std::string uri, std::string call_id = "call-1", std::uint32_t cseq = 1,
                    std::string flow = "flow-1") {
  ContactInfo c;
  c.uri = std::move(uri);
  c.params = ";expires=3600;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"";
  c.call_id = std::move(call_id);
  c.cseq = cseq;
  c.flow_token = std::move(flow);
  c.epcscf_instance = "ep-1";
  c.path = {"<sip:tok1@ep1.example;lr;ob>"};
  c.user_agent = "WIC/1.0";
  return c;
}

ContactInfo outbound(std::string uri, std::string instance, std::uint32_t reg_id,
                     std::string call_id, std::uint32_t cseq, std::string flow) {
  ContactInfo c = contact(std::move(uri), std::move(call_id), cseq, std::move(flow));
  c.instance = std::move(instance);
  c.reg_id = reg_id;
  return c;
}

WebIdentity web(std::string sub) {
  return WebIdentity{"https://wwsf.example", std::move(sub)};
}

RegisterRequest reg(std::string block, std::string sub, std::vector<ContactUpdate> updates) {
  return RegisterRequest{std::move(block), web(std::move(sub)), std::move(updates)};
}

RegisterRequest reg1(std::string block, std::string sub, ContactInfo c,
                     std::uint32_t expires = 3600) {
  return reg(std::move(block), std::move(sub), {ContactUpdate{std::move(c), expires}});
}

template <class H>
class W4Conformance : public ::testing::Test {
protected:
  W4& w4() { return h_.w4(); }
  template <class T>
  T run(boost::asio::awaitable<T> aw) {
    return test::run(h_.ioc(), std::move(aw));
  }
  W4Result<RegisterResult> do_register(RegisterRequest r) {
    return run(w4().register_contacts(std::move(r)));
  }
  RegisterResult must_register(RegisterRequest r) {
    auto res = do_register(std::move(r));
    EXPECT_TRUE(res) << (res ? "" : to_string(res.error()));
    return res ? *res : RegisterResult{};
  }
  // Every lookup also goes through lookup_reusing() with a Binding recycled from the previous
  // lookups (other IMPUs, other contact counts): both forms must give the same answer.
  Binding must_lookup(std::string impu) {
    auto res = run(w4().lookup(impu));
    EXPECT_TRUE(res) << (res ? "" : to_string(res.error()));
    auto reused = run(w4().lookup_reusing(std::move(impu), std::move(recycled_)));
    EXPECT_TRUE(reused);
    if (res && reused) {
      expect_same(*res, *reused);
      recycled_ = std::move(*reused);
    } else {
      recycled_ = Binding{};
    }
    return res ? *res : Binding{};
  }
  static void expect_same(const Binding& a, const Binding& b) {
    EXPECT_EQ(a.block, b.block);
    EXPECT_EQ(a.impu, b.impu);
    EXPECT_EQ(a.aliases, b.aliases);
    EXPECT_EQ(a.state, b.state);
    EXPECT_EQ(a.owner, b.owner);
    // Two reads: the redis backend's clock (Redis TIME) may have moved between them.
    const bool same_instant = a.now_ms == b.now_ms;
    EXPECT_LE(a.now_ms, b.now_ms);
    ASSERT_EQ(a.contacts.size(), b.contacts.size());
    for (std::size_t i = 0; i < a.contacts.size(); ++i) {
      EXPECT_EQ(a.contacts[i].info, b.contacts[i].info);
      EXPECT_EQ(a.contacts[i].expires_at_ms, b.contacts[i].expires_at_ms);
      if (same_instant) {
        EXPECT_EQ(a.contacts[i].expires_in_s, b.contacts[i].expires_in_s);
      }
      EXPECT_EQ(a.contacts[i].registered_at_ms, b.contacts[i].registered_at_ms);
      EXPECT_EQ(a.contacts[i].updated_at_ms, b.contacts[i].updated_at_ms);
    }
  }
  bool registered(std::string impu) {
    auto res = run(w4().is_registered(std::move(impu)));
    EXPECT_TRUE(res);
    return res && *res;
  }
  BlockUsage usage(std::string block) {
    auto res = run(w4().usage(std::move(block)));
    EXPECT_TRUE(res);
    return res ? *res : BlockUsage{};
  }
  void advance(std::chrono::milliseconds d) { h_.advance(d); }

  H h_;
  Binding recycled_;  // handed to lookup_reusing() and back
};

struct BackendName {
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryHarness> ? "Memory" : "Redis";
  }
};

using Backends = ::testing::Types<MemoryHarness, RedisHarness>;
TYPED_TEST_SUITE(W4Conformance, Backends, BackendName);

// --- register: allocation ---------------------------------------------------------------------

TYPED_TEST(W4Conformance, RegisterAllocatesAnImpuOfTheBlockAndEchoesTheContact) {
  const auto c = contact("sip:wic1@192.0.2.1:5060;transport=ws");
  const auto r = this->must_register(reg1("b1", "alice", c));
  EXPECT_TRUE(r.newly_allocated);
  ASSERT_TRUE(this->w4().blocks().resolve(r.impu));
  EXPECT_EQ(this->w4().blocks().resolve(r.impu)->block->config.id, "b1");
  EXPECT_TRUE(r.impu.starts_with("sip:+1555000000") && r.impu.ends_with("@block.example"))
      << r.impu;
  ASSERT_EQ(r.aliases.size(), 1u);
  EXPECT_EQ(r.aliases[0], "tel:" + r.impu.substr(4, 12));
  ASSERT_EQ(r.contacts.size(), 1u);
  EXPECT_EQ(r.contacts[0].info, c);
  EXPECT_EQ(r.contacts[0].expires_in_s, 3600u);
  EXPECT_EQ(r.contacts[0].expires_at_ms, r.now_ms + 3'600'000);
  EXPECT_EQ(r.contacts[0].registered_at_ms, r.now_ms);
  EXPECT_EQ(r.contacts[0].updated_at_ms, r.now_ms);
}

TYPED_TEST(W4Conformance, SameIdentityGetsTheSameImpuWithOneMoreContact) {
  // G-02: a second WIC of the same `sub` gets the same IMPU with one more contact.
  const auto a = this->must_register(reg1("b1", "alice", contact("sip:wic1@192.0.2.1")));
  const auto b = this->must_register(
      reg1("b1", "alice", contact("sip:wic2@192.0.2.2", "call-2", 1, "flow-2")));
  EXPECT_EQ(a.impu, b.impu);
  EXPECT_FALSE(b.newly_allocated);
  ASSERT_EQ(b.contacts.size(), 2u);
  EXPECT_EQ(b.contacts[0].info.uri, "sip:wic1@192.0.2.1");
  EXPECT_EQ(b.contacts[1].info.uri, "sip:wic2@192.0.2.2");
}

TYPED_TEST(W4Conformance, LookupReusingRecyclesBuffersOfAnyShape) {
  // must_lookup() compares lookup() with lookup_reusing() on a recycled Binding: alternate
  // IMPUs with 2 contacts / 2 Path values, 1 contact / no Path, and a free IMPU.
  ContactInfo two_paths = contact("sip:wic1@192.0.2.1");
  two_paths.path = {"<sip:a@p1.example;lr>", "<sip:b@p2.example;lr>"};
  ContactInfo no_path = contact("sip:wic3@192.0.2.3", "call-3", 1, "flow-3");
  no_path.path.clear();
  no_path.user_agent.clear();
  const auto a = this->must_register(reg1("b1", "alice", two_paths));
  this->must_register(reg1("b1", "alice", contact("sip:wic2@192.0.2.2", "call-2", 1, "flow-2")));
  const auto b = this->must_register(reg1("b1", "bob", no_path));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(this->must_lookup(a.impu).contacts.size(), 2u);
    const auto got = this->must_lookup(b.impu);
    ASSERT_EQ(got.contacts.size(), 1u);
    EXPECT_TRUE(got.contacts[0].info.path.empty());
    EXPECT_EQ(this->must_lookup("sip:+15550000009@block.example").state, ImpuState::kFree);
  }
  // An error is reported by both forms alike.
  EXPECT_EQ(this->run(this->w4().lookup_reusing("sip:+19990000000@other.example", Binding{}))
                .error(),
            W4Error::kUnknownImpu);
}

TYPED_TEST(W4Conformance, TryRegisterNowAnswersLikeRegisterContactsOrDoesNothing) {
  // W4::try_register_now(): the memory backend answers at once, into a result recycled from
  // another shape (2 Path values, then none, then an error); redis says "would block" and does
  // nothing (the caller then takes register_contacts()).
  ContactInfo two_paths = contact("sip:wic1@192.0.2.1");
  two_paths.path = {"<sip:a@p1.example;lr>", "<sip:b@p2.example;lr>"};
  ContactInfo no_path = contact("sip:wic3@192.0.2.3", "call-3", 1, "flow-3");
  no_path.path.clear();
  RegisterResult out;
  const auto first = this->w4().try_register_now(reg1("b1", "alice", two_paths), out);
  if (!std::is_same_v<TypeParam, MemoryHarness>) {
    EXPECT_FALSE(first.has_value());
    EXPECT_EQ(this->run(this->w4().lookup_identity("b1", web("alice"))).error(),
              W4Error::kNotFound);
    return;
  }
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(*first);
  EXPECT_TRUE(out.newly_allocated);
  const auto expect_stored = [&](const RegisterResult& r) {
    const Binding b = this->must_lookup(r.impu);
    EXPECT_EQ(r.aliases, b.aliases);
    ASSERT_EQ(r.contacts.size(), b.contacts.size());
    for (std::size_t i = 0; i < r.contacts.size(); ++i) {
      EXPECT_EQ(r.contacts[i].info, b.contacts[i].info);
      EXPECT_EQ(r.contacts[i].expires_at_ms, b.contacts[i].expires_at_ms);
    }
  };
  expect_stored(out);
  ASSERT_EQ(out.contacts.size(), 1u);
  EXPECT_EQ(out.contacts[0].info, two_paths);
  const std::string alice = out.impu;

  const auto second = this->w4().try_register_now(reg1("b1", "bob", no_path), out);
  ASSERT_TRUE(second.has_value() && *second);
  EXPECT_NE(out.impu, alice);
  ASSERT_EQ(out.contacts.size(), 1u);
  EXPECT_EQ(out.contacts[0].info, no_path);
  expect_stored(out);

  // A refresh of alice's binding with a second contact; then the same CSeq again (§10.3 step 7).
  ContactInfo again = two_paths;
  again.cseq = 2;
  auto req = reg1("b1", "alice", again);
  req.contacts.push_back(ContactUpdate{no_path, 60});
  const auto third = this->w4().try_register_now(req, out);
  ASSERT_TRUE(third.has_value() && *third);
  EXPECT_EQ(out.impu, alice);
  EXPECT_FALSE(out.newly_allocated);
  ASSERT_EQ(out.contacts.size(), 2u);
  EXPECT_EQ(out.contacts[0].info, again);
  EXPECT_EQ(out.contacts[1].info, no_path);
  expect_stored(out);
  const auto replay = this->w4().try_register_now(req, out);
  ASSERT_TRUE(replay.has_value());
  ASSERT_FALSE(*replay);
  EXPECT_EQ(replay->error(), W4Error::kOutOfOrder);
}

TYPED_TEST(W4Conformance, DifferentIdentitiesGetDistinctImpus) {
  std::set<std::string> impus;
  for (int i = 0; i < 10; ++i) {
    impus.insert(
        this->must_register(reg1("b1", "user" + std::to_string(i), contact("sip:w@h"))).impu);
  }
  EXPECT_EQ(impus.size(), 10u);
  // Same subject at another issuer is another web identity.
  auto other = reg1("b2", "alice", contact("sip:w@h"));
  const auto x = this->must_register(other);
  other.identity.issuer = "https://other-wwsf.example";
  const auto y = this->must_register(other);
  EXPECT_NE(x.impu, y.impu);
}

TYPED_TEST(W4Conformance, PoolExhaustedIsItsOwnError) {
  this->must_register(reg1("b2", "a", contact("sip:a@h")));
  this->must_register(reg1("b2", "b", contact("sip:b@h")));
  const auto r = this->do_register(reg1("b2", "c", contact("sip:c@h")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), W4Error::kPoolExhausted);
  const auto u = this->usage("b2");
  EXPECT_EQ(u.size, 2u);
  EXPECT_EQ(u.registered, 2u);
  EXPECT_EQ(u.free, 0u);
  // Existing owners still register.
  EXPECT_TRUE(this->do_register(reg1("b2", "a", contact("sip:a2@h", "call-9"))));
}

TYPED_TEST(W4Conformance, DeregisterWithoutAnImpuIsNotFoundAndAllocatesNothing) {
  const auto r = this->do_register(reg1("b1", "ghost", contact("sip:g@h"), 0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), W4Error::kNotFound);
  EXPECT_EQ(this->usage("b1").free, 10u);
}

TYPED_TEST(W4Conformance, ExplicitListBlockAllocatesItsListedImpus) {
  std::set<std::string> impus;
  for (const char* who : {"a", "b", "c"}) {
    impus.insert(this->must_register(reg1("list", who, contact("sip:w@h"))).impu);
  }
  EXPECT_EQ(impus, (std::set<std::string>{"sip:alice@corp.example", "sip:bob@corp.example",
                                          "tel:+4930999"}));
  const auto upper = this->run(this->w4().is_registered("sip:ALICE@corp.example"));
  ASSERT_FALSE(upper);  // the user part is case-sensitive (RFC 3261 §19.1.4)
  EXPECT_EQ(upper.error(), W4Error::kUnknownImpu);
  EXPECT_TRUE(this->registered("sip:alice@CORP.example;transport=tcp"));
  const auto r = this->do_register(reg1("list", "d", contact("sip:w@h")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), W4Error::kPoolExhausted);
}

// --- register: binding keys, RFC 3261 §10.3 and RFC 5626 ---------------------------------------

TYPED_TEST(W4Conformance, RefreshOfTheSameContactUriReplacesItAndKeepsItsFirstRegistration) {
  const auto a = this->must_register(reg1("b1", "alice", contact("sip:wic1@h", "call-1", 1)));
  this->advance(10s);
  auto c = contact("sip:wic1@h", "call-1", 2, "flow-9");
  c.user_agent = "WIC/2.0";
  const auto b = this->must_register(reg1("b1", "alice", c, 600));
  ASSERT_EQ(b.contacts.size(), 1u);
  EXPECT_EQ(b.contacts[0].info, c);
  EXPECT_EQ(b.contacts[0].expires_in_s, 600u);
  EXPECT_EQ(b.contacts[0].registered_at_ms, a.contacts[0].registered_at_ms);
  EXPECT_EQ(b.contacts[0].updated_at_ms, b.now_ms);
  EXPECT_GE(b.now_ms, a.now_ms + 10'000);
}

TYPED_TEST(W4Conformance, OutboundContactsAreKeyedByInstanceAndRegId) {
  // RFC 5626 §6: (AOR, instance, reg-id) is the key; a re-registration over a new WebSocket
  // (new Contact URI, new flow) replaces the binding and moves it to the new flow (G-06).
  const std::string inst = "<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";
  this->must_register(
      reg1("b1", "alice", outbound("sip:a1@h1;transport=ws", inst, 1, "c1", 1, "flow-A")));
  const auto r = this->must_register(
      reg1("b1", "alice", outbound("sip:a2@h2;transport=ws", inst, 1, "c2", 1, "flow-B")));
  ASSERT_EQ(r.contacts.size(), 1u);
  EXPECT_EQ(r.contacts[0].info.uri, "sip:a2@h2;transport=ws");
  EXPECT_EQ(r.contacts[0].info.flow_token, "flow-B");
  // The old flow no longer holds the binding.
  EXPECT_EQ(*this->run(this->w4().remove_flow("flow-A")), 0u);
  EXPECT_TRUE(this->registered(r.impu));
  // Another reg-id of the same instance is a second binding (RFC 5626 §4.2 multiple flows).
  const auto r2 = this->must_register(
      reg1("b1", "alice", outbound("sip:a2@h2;transport=ws", inst, 2, "c3", 1, "flow-C")));
  EXPECT_EQ(r2.contacts.size(), 2u);
  // A contact without reg-id is keyed by its URI, apart from the outbound ones.
  const auto r3 = this->must_register(
      reg1("b1", "alice", contact("sip:a2@h2;transport=ws", "c4", 1, "flow-D")));
  EXPECT_EQ(r3.contacts.size(), 3u);
}

TYPED_TEST(W4Conformance, SameCallIdWithCseqNotHigherIsRefusedAndChangesNothing) {
  const auto a = this->must_register(reg1("b1", "alice", contact("sip:wic1@h", "call-1", 5)));
  for (const std::uint32_t cseq : {5u, 4u}) {
    auto c = contact("sip:wic1@h", "call-1", cseq, "flow-new");
    const auto r = this->do_register(reg1("b1", "alice", c, 100));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), W4Error::kOutOfOrder);
  }
  // Also when removing (RFC 3261 §10.3 step 7 applies to expires 0 as well).
  const auto rm = this->do_register(reg1("b1", "alice", contact("sip:wic1@h", "call-1", 5), 0));
  ASSERT_FALSE(rm);
  EXPECT_EQ(rm.error(), W4Error::kOutOfOrder);
  const auto b = this->must_lookup(a.impu);
  ASSERT_EQ(b.contacts.size(), 1u);
  EXPECT_EQ(b.contacts[0].info.cseq, 5u);
  EXPECT_EQ(b.contacts[0].info.flow_token, "flow-1");
  // A higher CSeq, or another Call-ID with any CSeq, updates.
  EXPECT_TRUE(this->do_register(reg1("b1", "alice", contact("sip:wic1@h", "call-1", 6))));
  const auto other = this->do_register(reg1("b1", "alice", contact("sip:wic1@h", "call-2", 1)));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->contacts[0].info.call_id, "call-2");
}

TYPED_TEST(W4Conformance, ARequestIsAppliedWhollyOrNotAtAll) {
  this->must_register(reg1("b1", "alice", contact("sip:wic1@h", "call-1", 5)));
  // One good new contact plus one replayed: nothing applies.
  const auto r = this->do_register(reg(
      "b1", "alice",
      {{contact("sip:wic2@h", "call-2", 1), 3600}, {contact("sip:wic1@h", "call-1", 5), 3600}}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), W4Error::kOutOfOrder);
  const auto id = this->run(this->w4().lookup_identity("b1", web("alice")));
  ASSERT_TRUE(id);
  EXPECT_EQ(id->contacts.size(), 1u);
  // Several contacts in one REGISTER: add one, remove another, refresh a third.
  this->must_register(reg1("b1", "alice", contact("sip:wic3@h", "call-3", 1)));
  const auto m = this->must_register(reg("b1", "alice",
                                         {{contact("sip:wic4@h", "call-4", 1), 60},
                                          {contact("sip:wic1@h", "call-1", 6), 0},
                                          {contact("sip:wic3@h", "call-3", 2), 120}}));
  ASSERT_EQ(m.contacts.size(), 2u);
  EXPECT_EQ(m.contacts[0].info.uri, "sip:wic3@h");
  EXPECT_EQ(m.contacts[0].expires_in_s, 120u);
  EXPECT_EQ(m.contacts[1].info.uri, "sip:wic4@h");
}

TYPED_TEST(W4Conformance, TooManyContactsIsRefusedBeforeAnythingChanges) {
  for (int i = 0; i < 4; ++i) {
    this->must_register(
        reg1("b1", "alice", contact("sip:w" + std::to_string(i) + "@h", "c" + std::to_string(i))));
  }
  const auto r = this->do_register(reg1("b1", "alice", contact("sip:w9@h", "c9")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), W4Error::kTooManyContacts);
  // Replacing one in the same request keeps the count: allowed.
  const auto ok = this->do_register(
      reg("b1", "alice", {{contact("sip:w0@h", "c0", 2), 0}, {contact("sip:w9@h", "c9"), 3600}}));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->contacts.size(), 4u);
  // A fresh identity asking for too many contacts does not even get an IMPU.
  std::vector<ContactUpdate> five;
  for (int i = 0; i < 5; ++i) {
    five.push_back({contact("sip:x" + std::to_string(i) + "@h"), 60});
  }
  const auto before = this->usage("b1");
  const auto big = this->do_register(reg("b1", "bob", five));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error(), W4Error::kTooManyContacts);
  EXPECT_EQ(this->usage("b1").registered, before.registered);
}

TYPED_TEST(W4Conformance, InvalidRequestsAreRefused) {
  const auto bad = [&](RegisterRequest r, W4Error e) {
    const auto res = this->do_register(std::move(r));
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error(), e);
  };
  bad(reg1("nope", "alice", contact("sip:w@h")), W4Error::kUnknownBlock);
  bad(reg1("b1", "", contact("sip:w@h")), W4Error::kInvalidArgument);
  bad(reg1("b1", "alice", contact("")), W4Error::kInvalidArgument);
  bad(reg1("b1", "alice", contact("sip:w@h", "")), W4Error::kInvalidArgument);
  bad(reg("b1", "alice", {}), W4Error::kInvalidArgument);
  auto nl = contact("sip:w@h");
  nl.path = {"<sip:a@b>\r\n<sip:c@d>"};
  bad(reg1("b1", "alice", nl), W4Error::kInvalidArgument);
  auto big = contact("sip:w@h");
  big.user_agent.assign(kMaxFieldBytes + 1, 'x');
  bad(reg1("b1", "alice", big), W4Error::kInvalidArgument);
  // CR or LF anywhere in a field of any length (the scan goes by words and blocks of 16).
  for (const std::size_t len : {1, 5, 7, 8, 9, 15, 16, 17, 31, 33, 40}) {
    for (std::size_t at = 0; at < len; ++at) {
      for (const char c : {'\r', '\n'}) {
        auto crlf = contact("sip:w@h");
        crlf.user_agent.assign(len, 'x');
        crlf.user_agent[at] = c;
        bad(reg1("b1", "alice", crlf), W4Error::kInvalidArgument);
      }
    }
  }
  EXPECT_EQ(this->usage("b1").free, 10u);
  const auto flow = this->run(this->w4().remove_flow(""));
  ASSERT_FALSE(flow);
  EXPECT_EQ(flow.error(), W4Error::kInvalidArgument);
}

// --- expiry -------------------------------------------------------------------------------------

TYPED_TEST(W4Conformance, ExpiredContactsAreInvisibleAtOnceWithoutASweeper) {
  const auto r = this->must_register(
      reg("b1", "alice", {{contact("sip:short@h", "c1"), 10}, {contact("sip:long@h", "c2"), 100}}));
  this->advance(9s);
  auto b = this->must_lookup(r.impu);
  ASSERT_EQ(b.contacts.size(), 2u);
  EXPECT_EQ(b.contacts[0].expires_in_s, 1u);
  EXPECT_EQ(b.contacts[1].expires_in_s, 91u);
  this->advance(2s);
  b = this->must_lookup(r.impu);
  ASSERT_EQ(b.contacts.size(), 1u);
  EXPECT_EQ(b.contacts[0].info.uri, "sip:long@h");
  EXPECT_EQ(b.state, ImpuState::kRegistered);
  this->advance(90s);
  b = this->must_lookup(r.impu);
  EXPECT_TRUE(b.contacts.empty());
  EXPECT_EQ(b.state, ImpuState::kQuarantined);  // released at its last contact's expiry
  EXPECT_FALSE(this->registered(r.impu));
  const auto u = this->usage("b1");
  EXPECT_EQ(u.registered, 0u);
  EXPECT_EQ(u.quarantined, 1u);
  // A refresh of an expired contact counts as new: no CSeq check against the dead binding.
  const auto again = this->must_register(reg1("b1", "alice", contact("sip:short@h", "c1", 1)));
  EXPECT_EQ(again.impu, r.impu);
  EXPECT_FALSE(again.newly_allocated);
  ASSERT_EQ(again.contacts.size(), 1u);
  EXPECT_EQ(again.contacts[0].registered_at_ms, again.now_ms);
}

TYPED_TEST(W4Conformance, ExpiresZeroRemovesTheContactAndTheLastRemovalStartsQuarantine) {
  const auto r = this->must_register(
      reg("b1", "alice", {{contact("sip:a@h", "c1"), 60}, {contact("sip:b@h", "c2"), 60}}));
  auto d = this->must_register(reg1("b1", "alice", contact("sip:a@h", "c1", 2), 0));
  EXPECT_EQ(d.impu, r.impu);
  ASSERT_EQ(d.contacts.size(), 1u);
  EXPECT_TRUE(this->registered(r.impu));
  d = this->must_register(reg1("b1", "alice", contact("sip:b@h", "c2", 2), 0));
  EXPECT_TRUE(d.contacts.empty());
  EXPECT_FALSE(this->registered(r.impu));
  EXPECT_EQ(this->must_lookup(r.impu).state, ImpuState::kQuarantined);
  // Removing a contact that is not there changes nothing and is not an error.
  d = this->must_register(reg1("b1", "alice", contact("sip:zzz@h", "c3"), 0));
  EXPECT_TRUE(d.contacts.empty());
}

// --- quarantine and reuse (G-13) ----------------------------------------------------------------

TYPED_TEST(W4Conformance, QuarantineKeepsTheImpuForItsOwnerThenFreesIt) {
  const auto a = this->must_register(reg1("tiny", "alice", contact("sip:a@h")));
  this->must_register(reg1("tiny", "alice", contact("sip:a@h", "call-1", 2), 0));
  // Others cannot have it during the quarantine...
  auto r = this->do_register(reg1("tiny", "bob", contact("sip:b@h")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), W4Error::kPoolExhausted);
  this->advance(30s);
  // ...but its owner gets it back, and a later release restarts the quarantine.
  const auto back = this->must_register(reg1("tiny", "alice", contact("sip:a@h", "call-2", 1)));
  EXPECT_EQ(back.impu, a.impu);
  EXPECT_FALSE(back.newly_allocated);
  this->must_register(reg1("tiny", "alice", contact("sip:a@h", "call-2", 2), 0));
  this->advance(59s);
  r = this->do_register(reg1("tiny", "bob", contact("sip:b@h")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), W4Error::kPoolExhausted);
  EXPECT_EQ(this->usage("tiny").quarantined, 1u);
  this->advance(2s);
  EXPECT_EQ(this->usage("tiny").free, 1u);
  const auto bob = this->must_register(reg1("tiny", "bob", contact("sip:b@h")));
  EXPECT_EQ(bob.impu, a.impu);
  EXPECT_TRUE(bob.newly_allocated);
  ASSERT_EQ(bob.contacts.size(), 1u);
  EXPECT_EQ(bob.contacts[0].info.uri, "sip:b@h");
  const auto owner = this->must_lookup(a.impu).owner;
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->subject, "bob");
  // alice lost it: she is now an identity without an IMPU, and the pool is empty.
  const auto lost = this->run(this->w4().lookup_identity("tiny", web("alice")));
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error(), W4Error::kNotFound);
  r = this->do_register(reg1("tiny", "alice", contact("sip:a@h", "call-3")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), W4Error::kPoolExhausted);
}

TYPED_TEST(W4Conformance, QuarantineStartsAtNaturalExpiryAndIsConfigurablePerBlock) {
  // b2 has a 5 s quarantine.
  const auto a = this->must_register(reg1("b2", "a", contact("sip:a@h"), 10));
  this->must_register(reg1("b2", "b", contact("sip:b@h"), 10));
  this->advance(11s);  // both expired: quarantined until expiry + 5 s
  auto r = this->do_register(reg1("b2", "c", contact("sip:c@h")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), W4Error::kPoolExhausted);
  // The owner comes back inside the quarantine and gets the same IMPU.
  EXPECT_EQ(this->must_register(reg1("b2", "a", contact("sip:a@h", "call-2"))).impu, a.impu);
  this->advance(5s);
  r = this->do_register(reg1("b2", "c", contact("sip:c@h")));
  ASSERT_TRUE(r);
  EXPECT_NE(r->impu, a.impu);
  EXPECT_TRUE(r->newly_allocated);
}

TYPED_TEST(W4Conformance, TheOwnerKeepsItsImpuAfterQuarantineUntilSomeoneElseTakesIt) {
  const auto a = this->must_register(reg1("tiny", "alice", contact("sip:a@h"), 10));
  this->advance(100s);
  const auto b = this->must_register(reg1("tiny", "alice", contact("sip:a@h", "call-2")));
  EXPECT_EQ(b.impu, a.impu);
  EXPECT_FALSE(b.newly_allocated);
}

// --- removals -----------------------------------------------------------------------------------

TYPED_TEST(W4Conformance, RemoveContactByUriOrByInstanceAndRegId) {
  const std::string inst = "<urn:uuid:1>";
  const auto r = this->must_register(
      reg("b1", "alice",
          {{contact("sip:a@h", "c1"), 60}, {outbound("sip:b@h", inst, 1, "c2", 1, "f2"), 60}}));
  auto rm = this->run(this->w4().remove_contact(r.impu, ContactKey{"sip:zzz@h", "", 0}));
  ASSERT_TRUE(rm);
  EXPECT_EQ(rm->removed, 0u);
  EXPECT_EQ(rm->remaining, 2u);
  // The outbound contact is not found by its URI alone.
  rm = this->run(this->w4().remove_contact(r.impu, ContactKey{"sip:b@h", "", 0}));
  EXPECT_EQ(rm->removed, 0u);
  rm = this->run(this->w4().remove_contact(r.impu, ContactKey{"", inst, 1}));
  EXPECT_EQ(rm->removed, 1u);
  EXPECT_EQ(rm->remaining, 1u);
  EXPECT_FALSE(rm->released);
  rm = this->run(this->w4().remove_contact(r.impu, ContactKey{"sip:a@h", "", 0}));
  EXPECT_EQ(rm->removed, 1u);
  EXPECT_EQ(rm->remaining, 0u);
  EXPECT_TRUE(rm->released);
  EXPECT_EQ(this->must_lookup(r.impu).state, ImpuState::kQuarantined);
  const auto bad = this->run(this->w4().remove_contact(r.impu, ContactKey{"", "", 0}));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), W4Error::kInvalidArgument);
  const auto unknown =
      this->run(this->w4().remove_contact("sip:+1@nowhere", ContactKey{"sip:a@h", "", 0}));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(), W4Error::kUnknownImpu);
}

TYPED_TEST(W4Conformance, RemoveAllHonoursTheCallIdGuard) {
  const auto r = this->must_register(
      reg("b1", "alice", {{contact("sip:a@h", "c1", 7), 60}, {contact("sip:b@h", "c2", 1), 60}}));
  auto rm = this->run(this->w4().remove_all(r.impu, CallIdGuard{"c1", 7}));
  ASSERT_FALSE(rm);
  EXPECT_EQ(rm.error(), W4Error::kOutOfOrder);
  EXPECT_EQ(this->must_lookup(r.impu).contacts.size(), 2u);
  rm = this->run(this->w4().remove_all(r.impu, CallIdGuard{"c1", 8}));
  ASSERT_TRUE(rm);
  EXPECT_EQ(rm->removed, 2u);
  EXPECT_TRUE(rm->released);
  EXPECT_FALSE(this->registered(r.impu));
  rm = this->run(this->w4().remove_all(r.impu, std::nullopt));
  EXPECT_EQ(rm->removed, 0u);
  EXPECT_FALSE(rm->released);
  // A never-allocated IMPU of the block: nothing to remove.
  rm = this->run(this->w4().remove_all("sip:+15550000009@block.example", std::nullopt));
  ASSERT_TRUE(rm);
  EXPECT_EQ(rm->removed, 0u);
}

TYPED_TEST(W4Conformance, RemoveFlowDropsEveryContactOnItAcrossImpusAndBlocks) {
  // RFC 5626 §7 / G-08: the flow died, whatever AOR used it.
  const auto a = this->must_register(reg(
      "b1", "alice",
      {{contact("sip:a1@h", "c1", 1, "ws-1"), 60}, {contact("sip:a2@h", "c2", 1, "ws-2"), 60}}));
  const auto b = this->must_register(reg1("b1", "bob", contact("sip:b1@h", "c3", 1, "ws-1")));
  const auto c = this->must_register(reg1("b2", "carol", contact("sip:c1@h", "c4", 1, "ws-1")));
  const auto d = this->must_register(reg1("b1", "dave", contact("sip:d1@h", "c5", 1, "ws-1"), 10));
  this->advance(11s);  // dave's contact expired: not counted
  const auto n = this->run(this->w4().remove_flow("ws-1"));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 3u);
  EXPECT_TRUE(this->registered(a.impu));
  EXPECT_EQ(this->must_lookup(a.impu).contacts.size(), 1u);
  EXPECT_FALSE(this->registered(b.impu));
  EXPECT_FALSE(this->registered(c.impu));
  EXPECT_EQ(this->must_lookup(b.impu).state, ImpuState::kQuarantined);
  EXPECT_EQ(this->must_lookup(d.impu).state, ImpuState::kQuarantined);
  EXPECT_EQ(*this->run(this->w4().remove_flow("ws-1")), 0u);
  EXPECT_EQ(*this->run(this->w4().remove_flow("never-seen")), 0u);
}

// --- readers ------------------------------------------------------------------------------------

TYPED_TEST(W4Conformance, LookupAcceptsEveryFormOfTheImpuAndReportsFreeOnes) {
  const auto r = this->must_register(reg1("b1", "alice", contact("sip:a@h")));
  const std::string number = r.impu.substr(4, 12);
  for (const std::string& form :
       {r.impu, "tel:" + number, "sip:" + number + "@ALIAS.example;user=phone"}) {
    const auto b = this->must_lookup(form);
    EXPECT_EQ(b.impu, r.impu) << form;
    EXPECT_EQ(b.block, "b1");
    EXPECT_EQ(b.aliases, r.aliases);
    EXPECT_EQ(b.state, ImpuState::kRegistered);
    ASSERT_TRUE(b.owner);
    EXPECT_EQ(*b.owner, web("alice"));
    EXPECT_EQ(b.contacts.size(), 1u);
    EXPECT_TRUE(this->registered(form));
  }
  const auto free_one = this->must_lookup("sip:+15550000009@block.example");
  EXPECT_EQ(free_one.state, ImpuState::kFree);
  EXPECT_FALSE(free_one.owner);
  EXPECT_TRUE(free_one.contacts.empty());
  EXPECT_FALSE(this->registered("sip:+15550000009@block.example"));
  for (const char* unknown :
       {"sip:+15550000010@block.example", "sip:+15550000001@elsewhere.example",
        "sip:carol@corp.example", "not a uri"}) {
    const auto b = this->run(this->w4().lookup(unknown));
    ASSERT_FALSE(b) << unknown;
    EXPECT_EQ(b.error(), W4Error::kUnknownImpu);
    const auto i = this->run(this->w4().is_registered(unknown));
    ASSERT_FALSE(i);
    EXPECT_EQ(i.error(), W4Error::kUnknownImpu);
  }
}

TYPED_TEST(W4Conformance, LookupByWebIdentity) {
  const auto r = this->must_register(reg1("b1", "alice", contact("sip:a@h"), 10));
  auto b = this->run(this->w4().lookup_identity("b1", web("alice")));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->impu, r.impu);
  EXPECT_EQ(b->state, ImpuState::kRegistered);
  EXPECT_EQ(b->contacts.size(), 1u);
  this->advance(11s);
  b = this->run(this->w4().lookup_identity("b1", web("alice")));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->state, ImpuState::kQuarantined);
  EXPECT_TRUE(b->contacts.empty());
  this->advance(60s);
  b = this->run(this->w4().lookup_identity("b1", web("alice")));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), W4Error::kNotFound);
  b = this->run(this->w4().lookup_identity("b1", web("nobody")));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), W4Error::kNotFound);
  b = this->run(this->w4().lookup_identity("b2", web("alice")));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), W4Error::kNotFound);
  b = this->run(this->w4().lookup_identity("nope", web("alice")));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), W4Error::kUnknownBlock);
}

TYPED_TEST(W4Conformance, UsageCountsEveryState) {
  auto u = this->usage("b1");
  EXPECT_EQ(u.size, 10u);
  EXPECT_EQ(u.free, 10u);
  this->must_register(reg1("b1", "a", contact("sip:a@h"), 100));
  this->must_register(reg1("b1", "b", contact("sip:b@h"), 10));
  const auto c = this->must_register(reg1("b1", "c", contact("sip:c@h"), 100));
  ASSERT_TRUE(this->run(this->w4().remove_all(c.impu, std::nullopt)));
  u = this->usage("b1");
  EXPECT_EQ(u.registered, 2u);
  EXPECT_EQ(u.quarantined, 1u);
  EXPECT_EQ(u.free, 7u);
  this->advance(11s);  // b expired
  u = this->usage("b1");
  EXPECT_EQ(u.registered, 1u);
  EXPECT_EQ(u.quarantined, 2u);
  this->advance(60s);  // c's and b's quarantines are over
  u = this->usage("b1");
  EXPECT_EQ(u.registered, 1u);
  EXPECT_EQ(u.quarantined, 0u);
  EXPECT_EQ(u.free, 9u);
  const auto bad = this->run(this->w4().usage("nope"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), W4Error::kUnknownBlock);
}

TYPED_TEST(W4Conformance, ListPagesThroughRegisteredAndQuarantinedImpus) {
  std::vector<std::string> impus;
  for (int i = 0; i < 7; ++i) {
    impus.push_back(
        this->must_register(reg1("b1", "u" + std::to_string(i), contact("sip:w@h"), 100)).impu);
  }
  ASSERT_TRUE(this->run(this->w4().remove_all(impus[1], std::nullopt)));  // quarantined
  this->advance(101s);
  // Everything expired at 100 s; u1's quarantine (from t=0) is over, the rest are quarantined.
  this->must_register(reg1("b1", "u3", contact("sip:w@h", "call-2"), 100));
  std::vector<Binding> all;
  std::uint64_t cursor = 0;
  int pages = 0;
  do {
    auto page = this->run(this->w4().list("b1", cursor, 3));
    ASSERT_TRUE(page);
    EXPECT_LE(page->entries.size(), 3u);
    all.insert(all.end(), page->entries.begin(), page->entries.end());
    cursor = page->next_cursor;
    ++pages;
  } while (cursor != 0 && pages < 10);
  EXPECT_EQ(pages, 3);  // indices 0..6 in windows of 3
  ASSERT_EQ(all.size(), 6u);
  for (const auto& b : all) {
    EXPECT_NE(b.impu, impus[1]);
    ASSERT_TRUE(b.owner);
    if (b.owner->subject == "u3") {
      EXPECT_EQ(b.state, ImpuState::kRegistered);
      EXPECT_EQ(b.contacts.size(), 1u);
    } else {
      EXPECT_EQ(b.state, ImpuState::kQuarantined);
      EXPECT_TRUE(b.contacts.empty());
    }
  }
  const auto zero = this->run(this->w4().list("b1", 0, 0));
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error(), W4Error::kInvalidArgument);
  const auto past = this->run(this->w4().list("b1", 1000, 10));
  ASSERT_TRUE(past);
  EXPECT_TRUE(past->entries.empty());
  EXPECT_EQ(past->next_cursor, 0u);
}

TYPED_TEST(W4Conformance, EveryContactFieldRoundTrips) {
  ContactInfo c;
  c.uri = "sip:wic@[2001:db8::1]:443;transport=ws;ob";
  c.params = ";+sip.instance=\"<urn:uuid:a>\";reg-id=3;+g.3gpp.icsi-ref=\"x\";q=0.5";
  c.instance = "<urn:uuid:a>";
  c.reg_id = 3;
  c.call_id = "a84b4c76e66710@pc33.atlanta.example";
  c.cseq = 4294967295u;
  c.flow_token = "Zm9vYmFy+/=";
  c.epcscf_instance = "ep-7";
  c.path = {"<sip:tok@ep1.example;lr;ob>", "<sip:ep2.example;lr>"};
  c.user_agent = "Mozilla/5.0 (X11) JsSIP 3.10 \xc3\xa9";
  const auto r = this->must_register(reg1("b1", "alice", c, 4000000));
  ASSERT_EQ(r.contacts.size(), 1u);
  EXPECT_EQ(r.contacts[0].info, c);
  EXPECT_EQ(r.contacts[0].expires_in_s, 4000000u);
  const auto b = this->must_lookup(r.impu);
  ASSERT_EQ(b.contacts.size(), 1u);
  EXPECT_EQ(b.contacts[0].info, c);
  EXPECT_EQ(b.contacts[0].expires_at_ms, r.contacts[0].expires_at_ms);
  c.path.clear();
  c.params.clear();
  c.cseq = 0;  // another Call-ID below: no ordering between Call-IDs
  c.call_id = "other";
  const auto r2 = this->must_register(reg1("b1", "alice", c, 1));
  EXPECT_EQ(r2.contacts[0].info, c);
}

TYPED_TEST(W4Conformance, TwoClientsShareOneState) {
  // Another shard / another eP-CSCF process sees the same bindings at once.
  boost::asio::io_context other_ioc;
  auto other = this->h_.another_client(other_ioc);
  const auto r = this->must_register(reg1("b1", "alice", contact("sip:a@h")));
  const auto seen = test::run(other_ioc, other->lookup(r.impu));
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->contacts.size(), 1u);
  const auto again =
      test::run(other_ioc, other->register_contacts(reg1("b1", "alice", contact("sip:b@h", "c2"))));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->impu, r.impu);
  EXPECT_EQ(this->must_lookup(r.impu).contacts.size(), 2u);
  EXPECT_TRUE(test::run(other_ioc, other->ping()));
  other.reset();
}

TYPED_TEST(W4Conformance, ErrorsAreCounted) {
  const auto before =
      common::counter(std::string("w4.") + this->h_.name() + ".error.pool_exhausted").value();
  this->must_register(reg1("tiny", "a", contact("sip:a@h")));
  EXPECT_FALSE(this->do_register(reg1("tiny", "b", contact("sip:b@h"))));
  EXPECT_EQ(common::counter(std::string("w4.") + this->h_.name() + ".error.pool_exhausted").value(),
            before + 1);
}

}  // namespace
}  // namespace wimpu::registrar::test
