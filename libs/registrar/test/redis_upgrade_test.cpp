// The version-6 record form (docs/w4.md 5.2, 5.4) against a real redis-server: the upgrade rule
// (5.5: records stored by the version-5 library, test/data/w4_v5.lua as released, are read,
// refreshed and removed by the current one; the version-5 functions and reply forms keep working
// on version-6 records), the index hint, the in-place refresh, and w4_register_records' checks.
#include <string>
#include <vector>

#include "harness.hpp"
#include "msgpack.hpp"
#include "w4_v5_lua.hpp"
#include "w4_record.hpp"

namespace wimpu::registrar::test {
namespace {

using namespace std::chrono_literals;
using testing::RedisServer;

std::vector<BlockConfig> upgrade_block() {
  BlockConfig b;
  b.id = "b1";
  b.domains = {"block.example"};
  b.range_first = "+15550000000";
  b.range_last = "+15550000009";
  return {b};
}

ContactInfo contact(const std::string& who, std::uint32_t cseq, bool outbound) {
  ContactInfo c;
  c.uri = "sip:" + who + "@192.0.2.7;transport=ws";
  c.params = outbound ? ";+sip.instance=\"<urn:uuid:" + who + ">\";reg-id=1" : ";expires=600";
  if (outbound) {
    c.instance = "<urn:uuid:" + who + ">";
    c.reg_id = 1;
  }
  c.call_id = "call-" + who;
  c.cseq = cseq;
  c.flow_token = "flow-" + who;
  c.epcscf_instance = "ep-1";
  c.path = {"<sip:tok-" + who + "@ep1.example;lr;ob>", "<sip:ep2.example;lr>"};
  c.user_agent = "JsSIP 3.10.0";
  return c;
}

// The version-5 argument form of a contact: one MessagePack array of 11 fields.
std::string v5_contact(const ContactInfo& c, std::uint32_t expires_s) {
  std::string out;
  detail::MsgpackWriter w(out);
  w.array(11);
  w.str(c.uri);
  w.str(c.params);
  w.str(c.instance);
  w.uint(c.reg_id);
  w.str(c.call_id);
  w.uint(c.cseq);
  w.uint(expires_s);
  w.str(c.flow_token);
  w.str(c.epcscf_instance);
  w.str(c.path.empty() ? "" : c.path[0] + "\n" + c.path[1]);
  w.str(c.user_agent);
  return out;
}

WebIdentity identity(const std::string& sub) {
  return WebIdentity{"https://wwsf.example", sub};
}

// Stores alice (two contacts: one by URI, one by instance + reg-id) and bob (one outbound
// contact) with the version-5 library and its version-5 arguments, as a version-5 client did.
void store_with_version_5(RedisServer& server) {
  server.command({"FUNCTION", "LOAD", "REPLACE", std::string(kW4LuaV5)});
  server.command({"SET", "{w4}:lib", "5"});
  server.command(RedisRegistrar::configure_command(*BlockSet(upgrade_block()).find("b1")));
  server.command({"FCALL", "w4_register_batch", "1", "{blk:b1}:cfg", "2",
                  identity("alice").key(), "2", v5_contact(contact("alice", 3, false), 600),
                  v5_contact(contact("alice-phone", 3, true), 600), identity("bob").key(), "1",
                  v5_contact(contact("bob", 5, true), 600)});
  ASSERT_EQ(server.command({"FCALL_RO", "w4_version", "0"}), "5");
  // Version 5's record form: MessagePack [owner, [contact...]] (fixarray 2 = 0x92).
  ASSERT_EQ(static_cast<unsigned char>(server.command({"GET", "{blk:b1}:b:0"}).at(0)), 0x92);
}

std::size_t find_uri(const std::vector<ContactView>& cs, const std::string& uri) {
  for (std::size_t i = 0; i < cs.size(); ++i) {
    if (cs[i].info.uri == uri) {
      return i;
    }
  }
  return cs.size();
}

TEST(W4RedisUpgrade, RecordsOfVersion5AreReadRefreshedAndRemovedByVersion6) {
  RedisServer server;
  store_with_version_5(server);
  RedisHarness h(upgrade_block(), {}, &server);  // loads the current (newer) library
  ASSERT_EQ(server.command({"FCALL_RO", "w4_version", "0"}),
            std::to_string(RedisRegistrar::functions_version()));

  // Read: every field of the version-5 records.
  const auto alice = run(h.ioc(), h.w4().lookup("sip:+15550000000@block.example"));
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->state, ImpuState::kRegistered);
  ASSERT_EQ(alice->owner, identity("alice"));
  ASSERT_EQ(alice->contacts.size(), 2u);
  EXPECT_EQ(alice->contacts[0].info, contact("alice", 3, false));
  EXPECT_EQ(alice->contacts[1].info, contact("alice-phone", 3, true));
  const std::int64_t registered_at = alice->contacts[1].registered_at_ms;

  // Refresh of a version-5 record (with and without the index hint): the record is rewritten
  // in the version-6 form, the other contact and the first registration time are kept.
  RegisterRequest refresh{"b1", identity("alice"), {{contact("alice-phone", 4, true), 1200}}};
  refresh.impu_hint = "tel:+15550000000";
  const auto r = run(h.ioc(), h.w4().register_contacts(refresh));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->impu, "sip:+15550000000@block.example");
  EXPECT_FALSE(r->newly_allocated);
  ASSERT_EQ(r->contacts.size(), 2u);
  const auto phone = find_uri(r->contacts, contact("alice-phone", 4, true).uri);
  ASSERT_LT(phone, 2u);
  EXPECT_EQ(r->contacts[phone].info, contact("alice-phone", 4, true));
  EXPECT_EQ(r->contacts[phone].expires_in_s, 1200u);
  EXPECT_EQ(r->contacts[phone].registered_at_ms, registered_at);
  EXPECT_EQ(r->contacts[1 - phone].info, contact("alice", 3, false));
  EXPECT_EQ(static_cast<unsigned char>(server.command({"GET", "{blk:b1}:b:0"}).at(0)),
            detail::kRecordFormat);

  // RFC 3261 §10.3 ordering against a version-5 record: bob's CSeq 5 was stored by version 5.
  const auto late =
      run(h.ioc(), h.w4().register_contacts({"b1", identity("bob"), {{contact("bob", 5, true), 600}}}));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error(), W4Error::kOutOfOrder);

  // The flow sets written by version 5 still drive remove_flow.
  const auto gone = run(h.ioc(), h.w4().remove_flow("flow-bob"));
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, 1u);
  EXPECT_FALSE(*run(h.ioc(), h.w4().is_registered("sip:+15550000001@block.example")));
  // And those the current library writes: alice's refreshed contact is still on flow-alice-phone.
  EXPECT_EQ(*run(h.ioc(), h.w4().remove_flow("flow-alice-phone")), 1u);
  const auto left = run(h.ioc(), h.w4().lookup("sip:+15550000000@block.example"));
  ASSERT_TRUE(left);
  ASSERT_EQ(left->contacts.size(), 1u);
  EXPECT_EQ(left->contacts[0].info, contact("alice", 3, false));
}

TEST(W4RedisUpgrade, Version5FunctionsKeepTheirFormsOnVersion6Records) {
  RedisServer server;
  RedisHarness h(upgrade_block(), {}, &server);
  const auto r = run(h.ioc(), h.w4().register_contacts(
                                  {"b1", identity("carol"), {{contact("carol", 1, true), 600}}}));
  ASSERT_TRUE(r);
  ASSERT_EQ(static_cast<unsigned char>(server.command({"GET", "{blk:b1}:b:0"}).at(0)),
            detail::kRecordFormat);

  // A version-5 client refreshes with w4_register (version-5 arguments) and gets the
  // version-5 reply: [index, newly, now, MessagePack [owner, [contact (13 fields)...]]].
  const std::string reply =
      server.command({"FCALL", "w4_register", "1", "{blk:b1}:cfg", identity("carol").key(), "1",
                      v5_contact(contact("carol", 2, true), 900)});
  ASSERT_TRUE(reply.starts_with("0\n0\n")) << reply;
  const auto blob_at = reply.find('\n', 4) + 1;
  std::vector<ContactView> cs;
  std::string_view owner;
  ASSERT_EQ(static_cast<unsigned char>(reply.at(blob_at)), 0x92);
  ASSERT_TRUE(detail::decode_record(std::string_view(reply).substr(blob_at), r->now_ms, cs, &owner));
  EXPECT_EQ(owner, identity("carol").key());
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].info, contact("carol", 2, true));
  EXPECT_EQ(cs[0].registered_at_ms, r->contacts[0].registered_at_ms);

  // The current client reads what the version-5 function wrote, and orders against it.
  const auto b = run(h.ioc(), h.w4().lookup("sip:+15550000000@block.example"));
  ASSERT_TRUE(b);
  ASSERT_EQ(b->contacts.size(), 1u);
  EXPECT_EQ(b->contacts[0].info, contact("carol", 2, true));
  const auto stale = run(h.ioc(), h.w4().register_contacts(
                                      {"b1", identity("carol"), {{contact("carol", 2, true), 600}}}));
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error(), W4Error::kOutOfOrder);
}

TEST(W4RedisRecords, AWrongOrStaleIndexHintChangesNothingButTheCost) {
  RedisServer server;
  RedisHarness h(upgrade_block(), {}, &server);
  const auto a = run(h.ioc(), h.w4().register_contacts(
                                  {"b1", identity("alice"), {{contact("alice", 1, false), 600}}}));
  const auto b = run(h.ioc(), h.w4().register_contacts(
                                  {"b1", identity("bob"), {{contact("bob", 1, false), 600}}}));
  ASSERT_TRUE(a && b);
  ASSERT_NE(a->impu, b->impu);
  // bob names alice's IMPU (and then one outside every block): the owner check ignores it.
  for (const std::string& hint : {a->impu, std::string("sip:+4930@elsewhere.example"),
                                 std::string("sip:+15550000009@block.example")}) {
    RegisterRequest req{"b1", identity("bob"), {{contact("bob", 2, false), 600}}};
    req.impu_hint = hint;
    const auto r = run(h.ioc(), h.w4().register_contacts(req));
    ASSERT_TRUE(r) << hint;
    EXPECT_EQ(r->impu, b->impu);
    EXPECT_FALSE(r->newly_allocated);
    // Next round's CSeq.
    ASSERT_TRUE(run(h.ioc(), h.w4().remove_contact(b->impu, contact("bob", 2, false).key())));
  }
  const auto alice = run(h.ioc(), h.w4().lookup(a->impu));
  ASSERT_TRUE(alice);
  ASSERT_EQ(alice->contacts.size(), 1u);
  EXPECT_EQ(alice->contacts[0].info, contact("alice", 1, false));
}

// Calls of a command so far, from INFO commandstats ("cmdstat_hget:calls=N,...").
long long calls_of(RedisServer& server, const std::string& command) {
  const std::string stats = server.command({"INFO", "commandstats"});
  const std::string key = "cmdstat_" + command + ":calls=";
  const auto at = stats.find(key);
  return at == std::string::npos ? 0 : std::stoll(stats.substr(at + key.size()));
}

TEST(W4RedisRecords, AHintedRefreshSkipsTheIdentityIndex) {
  RedisServer server;
  RedisHarness h(upgrade_block(), {}, &server);
  const auto a = run(h.ioc(), h.w4().register_contacts(
                                  {"b1", identity("alice"), {{contact("alice", 1, false), 600}}}));
  ASSERT_TRUE(a);
  // Without the hint: HGET lid (once per call), HGET next (the index a new identity would
  // claim), the claim (HSETNX, which fails: alice holds an index) and HGET of the identity index.
  long long before = calls_of(server, "hget");
  const long long claims = calls_of(server, "hsetnx");
  ASSERT_TRUE(run(h.ioc(), h.w4().register_contacts(
                               {"b1", identity("alice"), {{contact("alice", 2, false), 600}}})));
  EXPECT_EQ(calls_of(server, "hget") - before, 3);
  EXPECT_EQ(calls_of(server, "hsetnx") - claims, 1);
  // With it: only HGET lid; the record's owner proves the hint.
  RegisterRequest hinted{"b1", identity("alice"), {{contact("alice", 3, false), 600}}};
  hinted.impu_hint = a->impu;
  before = calls_of(server, "hget");
  const long long gets = calls_of(server, "get");
  ASSERT_TRUE(run(h.ioc(), h.w4().register_contacts(hinted)));
  EXPECT_EQ(calls_of(server, "hget") - before, 1);
  EXPECT_EQ(calls_of(server, "get") - gets, 1);
}

// A new identity without a hint claims the next index with one HSETNX (lookup and index entry in
// one command), and `next` is written once per call; a claim whose request then fails is undone.
TEST(W4RedisRecords, ANewIdentityClaimsItsIndexInOneCommandAndAFailedClaimIsUndone) {
  RedisServer server;
  auto blocks = upgrade_block();
  blocks[0].max_contacts = 1;
  RedisHarness h(blocks, {}, &server);
  const long long hsetnx = calls_of(server, "hsetnx");
  const long long hset = calls_of(server, "hset");
  const long long hincrby = calls_of(server, "hincrby");
  const auto a = run(h.ioc(), h.w4().register_contacts(
                                  {"b1", identity("alice"), {{contact("alice", 1, true), 600}}}));
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->newly_allocated);
  EXPECT_EQ(a->impu, "sip:+15550000000@block.example");
  EXPECT_EQ(calls_of(server, "hsetnx") - hsetnx, 1);
  EXPECT_EQ(calls_of(server, "hset") - hset, 1);  // `next`, once per call
  EXPECT_EQ(calls_of(server, "hincrby") - hincrby, 0);
  EXPECT_EQ(server.command({"HGET", "{blk:b1}:cfg", "next"}), "1");
  EXPECT_EQ(server.command({"SISMEMBER", "{blk:b1}:f:flow-alice", "0"}), "1");

  // bob sends two contacts with max_contacts 1: his claim of index 1 is undone.
  const auto b = run(h.ioc(), h.w4().register_contacts(
                                  {"b1", identity("bob"), {{contact("bob", 1, true), 600},
                                                           {contact("bob-phone", 1, false), 600}}}));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), W4Error::kTooManyContacts);
  EXPECT_EQ(server.command({"HLEN", "{blk:b1}:id"}), "1");
  EXPECT_EQ(server.command({"HGET", "{blk:b1}:cfg", "next"}), "1");
  EXPECT_EQ(server.command({"EXISTS", "{blk:b1}:b:1"}), "0");

  // The index is still free for the next new identity.
  const auto c = run(h.ioc(), h.w4().register_contacts(
                                  {"b1", identity("carol"), {{contact("carol", 1, false), 600}}}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->impu, "sip:+15550000001@block.example");
  const auto again = run(h.ioc(), h.w4().lookup(a->impu));
  ASSERT_TRUE(again);
  ASSERT_EQ(again->contacts.size(), 1u);
  EXPECT_EQ(again->contacts[0].info, contact("alice", 1, true));
}

TEST(W4RedisRecords, ARefreshOfOneEntryIsWrittenInPlace) {
  RedisServer server;
  RedisHarness h(upgrade_block(), {}, &server);
  const auto first = run(h.ioc(), h.w4().register_contacts(
                                      {"b1", identity("alice"), {{contact("alice", 1, false), 600},
                                                                 {contact("alice-phone", 1, true), 600}}}));
  ASSERT_TRUE(first);
  const std::string before = server.command({"GET", "{blk:b1}:b:0"});
  const long long sets = calls_of(server, "set");
  const long long setranges = calls_of(server, "setrange");

  // Same contact, higher CSeq, new expiry: only the second entry's 22-byte head changes.
  RegisterRequest refresh{"b1", identity("alice"), {{contact("alice-phone", 2, true), 1200}}};
  refresh.impu_hint = first->impu;
  const auto r = run(h.ioc(), h.w4().register_contacts(refresh));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(calls_of(server, "set") - sets, 0);
  EXPECT_EQ(calls_of(server, "setrange") - setranges, 1);
  ASSERT_EQ(r->contacts.size(), 2u);
  EXPECT_EQ(r->contacts[0].info, contact("alice", 1, false));
  EXPECT_EQ(r->contacts[0].expires_at_ms, first->contacts[0].expires_at_ms);
  EXPECT_EQ(r->contacts[1].info, contact("alice-phone", 2, true));
  EXPECT_EQ(r->contacts[1].expires_in_s, 1200u);
  EXPECT_EQ(r->contacts[1].registered_at_ms, first->contacts[1].registered_at_ms);
  EXPECT_EQ(r->contacts[1].updated_at_ms, r->now_ms);

  // The stored record is the reply's, and differs from the old one in that head only.
  const std::string after = server.command({"GET", "{blk:b1}:b:0"});
  ASSERT_EQ(after.size(), before.size());
  std::size_t first_diff = 0;
  while (first_diff < after.size() && after[first_diff] == before[first_diff]) {
    ++first_diff;
  }
  std::size_t last_diff = after.size();
  while (last_diff > 0 && after[last_diff - 1] == before[last_diff - 1]) {
    --last_diff;
  }
  EXPECT_LE(last_diff - first_diff, detail::kEntryHead);
  std::vector<ContactView> stored;
  ASSERT_TRUE(detail::decode_record(after, r->now_ms, stored));
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1].expires_at_ms, r->contacts[1].expires_at_ms);
  EXPECT_EQ(stored[1].info.cseq, 2u);

  // The order check sees the patched CSeq.
  const auto again = run(h.ioc(), h.w4().register_contacts(refresh));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), W4Error::kOutOfOrder);
}

TEST(W4RedisRecords, ARefreshDropsTheExpiredEntriesOfTheRecord) {
  RedisServer server;
  RedisHarness h(upgrade_block(), {}, &server);
  auto flowless = contact("alice", 1, false);
  flowless.flow_token.clear();  // no flow set to update: only the record changes
  const auto first = run(h.ioc(), h.w4().register_contacts(
                                      {"b1", identity("alice"), {{flowless, 10},
                                                                 {contact("alice-phone", 1, true), 600}}}));
  ASSERT_TRUE(first);
  h.advance(11s);
  RegisterRequest refresh{"b1", identity("alice"), {{contact("alice-phone", 2, true), 600}}};
  refresh.impu_hint = first->impu;
  const auto r = run(h.ioc(), h.w4().register_contacts(refresh));
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->contacts.size(), 1u);
  EXPECT_EQ(r->contacts[0].info, contact("alice-phone", 2, true));
  std::vector<ContactView> stored;
  ASSERT_TRUE(detail::decode_record(server.command({"GET", "{blk:b1}:b:0"}), r->now_ms, stored));
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].info, contact("alice-phone", 2, true));
}

TEST(W4RedisRecords, MalformedRequestsAreRefusedAndWriteNothing) {
  RedisServer server;
  RedisHarness h(upgrade_block(), {}, &server);
  std::string part;
  detail::append_part(contact("alice", 1, false), part);
  std::string nums;
  detail::append_nums(600, 1, nums);
  const std::string key = "{blk:b1}:cfg";
  const std::string who = identity("alice").key();
  auto fcall = [&](std::vector<std::string> request) {
    std::vector<std::string> argv = {"FCALL", "w4_register_records", "1", key, "1"};
    argv.insert(argv.end(), request.begin(), request.end());
    try {
      return server.command(argv);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
  };
  // Framing: nums not a multiple of 8, a part missing, an argument left over.
  EXPECT_NE(fcall({who, "", nums.substr(0, 7), part}).find("INVALID_ARGUMENT"), std::string::npos);
  EXPECT_NE(fcall({who, "", nums + nums, part}).find("INVALID_ARGUMENT"), std::string::npos);
  EXPECT_NE(fcall({who, "", nums, part, part}).find("INVALID_ARGUMENT"), std::string::npos);
  // A part whose lengths do not add up, a key of another kind, a rest that is no 7-array.
  std::string bad_key = part;
  bad_key[detail::kPartHead] = 'x';
  std::string bad_rest = part;  // rest is the last rest_len bytes (big-endian at bytes 6..9)
  std::size_t rest_len = 0;
  for (std::size_t i = 6; i < 10; ++i) {
    rest_len = (rest_len << 8) | static_cast<unsigned char>(part[i]);
  }
  ASSERT_EQ(static_cast<unsigned char>(part[part.size() - rest_len]), 0x97);
  bad_rest[part.size() - rest_len] = '\x96';
  for (const std::string& p : {part.substr(0, part.size() - 1), bad_key, bad_rest}) {
    const std::string reply = fcall({who, "", nums, p});
    EXPECT_NE(reply.find("INVALID_ARGUMENT"), std::string::npos) << reply;
  }
  // The same for the version-5 group commit (which applied its requests before it found the
  // argument left over, until version 6).
  try {
    server.command({"FCALL", "w4_register_batch", "1", key, "1", who, "1",
                    v5_contact(contact("alice", 1, false), 600), "left over"});
    ADD_FAILURE() << "arguments left over are an error of the whole call";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("INVALID_ARGUMENT"), std::string::npos) << e.what();
  }
  EXPECT_EQ(server.command({"EXISTS", "{blk:b1}:b:0"}), "0");
  EXPECT_EQ(server.command({"HLEN", "{blk:b1}:id"}), "0");
  // The well-formed request is applied.
  EXPECT_EQ(fcall({who, "", nums, part}).substr(0, 4), "0\n1\n");
}

}  // namespace
}  // namespace wimpu::registrar::test
