// The client side of the version-6 record form (src/w4_record.*, docs/w4.md 5.2): a part the
// client encodes, prefixed by an entry head as the function writes it, decodes to the same
// contact; malformed records are refused, never read past their end.
#include "w4_record.hpp"

#include <gtest/gtest.h>

namespace wimpu::registrar::detail {
namespace {

void put(std::uint64_t v, int bytes, std::string& out) {
  for (int i = bytes - 1; i >= 0; --i) {
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}

// A record as w4.lua writes it: 0x06, owner, then per contact the 22-byte head and its part.
std::string record(const std::string& owner, const std::vector<ContactInfo>& contacts,
                   std::int64_t expires_at) {
  std::string r(1, static_cast<char>(kRecordFormat));
  put(owner.size(), 2, r);
  r += owner;
  for (const auto& c : contacts) {
    put(static_cast<std::uint64_t>(expires_at), 6, r);
    put(1000, 6, r);  // registered_at
    put(2000, 6, r);  // updated_at
    put(c.cseq, 4, r);
    append_part(c, r);
  }
  return r;
}

ContactInfo sample(bool outbound, std::size_t long_field) {
  ContactInfo c;
  c.uri = "sip:k3v9x2@df7a.invalid;transport=ws";
  c.params = ";+sip.ice;reg-id=1;+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"";
  if (outbound) {
    c.instance = "<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";
    c.reg_id = 2147483647;
  }
  c.call_id = "a84b4c76e66710";
  c.cseq = 4294967295U;
  c.flow_token = "1.c0ffee";
  c.epcscf_instance = "ep-1";
  c.path = {"<sip:1.c0ffee@ep1.example;lr;ob>"};
  if (long_field != 0) {  // (a Path value is never empty)
    c.path.push_back(std::string(long_field, 'p'));
  }
  c.user_agent = std::string(long_field, 'u');
  return c;
}

TEST(W4Record, APartRoundTripsThroughARecord) {
  // Field sizes across every MessagePack string header (fixstr, str8, str16).
  for (const std::size_t n : {0, 31, 200, 4096}) {
    const std::vector<ContactInfo> cs = {sample(true, n), sample(false, n)};
    const std::string rec = record("20:https://wwsf.examplealice", cs, 1'795'479'498'833);
    std::vector<ContactView> out;
    std::string_view owner;
    ASSERT_TRUE(decode_record(rec, 1'795'479'498'000, out, &owner)) << n;
    EXPECT_EQ(owner, "20:https://wwsf.examplealice");
    ASSERT_EQ(out.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(out[i].info, cs[i]) << n;
      EXPECT_EQ(out[i].expires_at_ms, 1'795'479'498'833);
      EXPECT_EQ(out[i].expires_in_s, 1u);  // 833 ms, rounded up
      EXPECT_EQ(out[i].registered_at_ms, 1000);
      EXPECT_EQ(out[i].updated_at_ms, 2000);
    }
  }
}

TEST(W4Record, TheKeyIsInstanceAndRegIdOrTheUri) {
  std::string part;
  append_part(sample(true, 0), part);
  EXPECT_EQ(part.substr(kPartHead, 3), "o21");  // "o2147483647:<urn:...>"
  EXPECT_NE(part.find("o2147483647:<urn:uuid:f81d4fae"), std::string::npos);
  part.clear();
  auto no_reg_id = sample(true, 0);
  no_reg_id.reg_id = 0;  // an instance without reg-id is keyed by its URI (RFC 5626 §6)
  append_part(no_reg_id, part);
  EXPECT_EQ(part.substr(kPartHead, 5), "usip:");
}

TEST(W4Record, MalformedRecordsAreRefused) {
  const std::string rec = record("owner", {sample(true, 40)}, 5000);
  std::vector<ContactView> out;
  ASSERT_TRUE(decode_record(rec, 0, out));
  for (std::size_t cut = 0; cut < rec.size(); ++cut) {
    out.clear();
    // Every strict prefix is refused, except the bare header (an owner without contacts).
    EXPECT_EQ(decode_record(std::string_view(rec).substr(0, cut), 0, out), cut == 3 + 5) << cut;
  }
  // rest (its length at bytes 6..9 of the part, which starts after owner and head) must be the
  // 7-element array.
  const std::size_t part = 3 + 5 + kEntryHead;
  std::size_t rest_len = 0;
  for (std::size_t i = part + 6; i < part + 10; ++i) {
    rest_len = (rest_len << 8) | static_cast<unsigned char>(rec[i]);
  }
  std::string bad_rest = rec;
  ASSERT_EQ(static_cast<unsigned char>(bad_rest[rec.size() - rest_len]), 0x97);
  bad_rest[rec.size() - rest_len] = '\x96';
  out.clear();
  EXPECT_FALSE(decode_record(bad_rest, 0, out));
}

}  // namespace
}  // namespace wimpu::registrar::detail
