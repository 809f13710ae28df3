#include <gtest/gtest.h>

#include "wimpu/common/counter.hpp"
#include "wimpu/common/utf8.hpp"
#include "wimpu/diameter/avp.hpp"

namespace wimpu::diameter {
namespace {

std::vector<std::uint8_t> bytes(std::initializer_list<int> list) {
  std::vector<std::uint8_t> out;
  for (int b : list) {
    out.push_back(static_cast<std::uint8_t>(b));
  }
  return out;
}

TEST(AvpWriter, WritesVendorAvpWithPaddingAndFlags) {
  std::vector<std::uint8_t> out;
  AvpWriter w(out);
  w.string(avp::kWildcardedPublicIdentity, "abcde");
  // code 634, flags V only (M must not be set, TS 29.229 Table 6.3.1), length 12+5, vendor 10415.
  EXPECT_EQ(out, bytes({0, 0, 2, 0x7a, 0x80, 0, 0, 17, 0, 0, 0x28, 0xaf, 'a', 'b', 'c', 'd', 'e', 0,
                        0, 0}));
}

TEST(AvpWriter, GroupLengthCoversChildren) {
  std::vector<std::uint8_t> out;
  AvpWriter w(out);
  const std::size_t g = w.open_group(avp::kExperimentalResult);
  w.u32(avp::kVendorId, 10415);
  w.u32(avp::kExperimentalResultCode, 5001);
  w.close_group(g);
  ASSERT_EQ(out.size(), 8u + 12u + 12u);
  EXPECT_EQ(out[7], 32);  // length
  EXPECT_EQ(out[4], 0x40);  // M, no V

  auto level = parse_avps(out);
  ASSERT_TRUE(level);
  ASSERT_EQ(level->size(), 1u);
  EXPECT_TRUE((*level)[0].is(avp::kExperimentalResult));
  auto children = parse_avps((*level)[0].data);
  ASSERT_TRUE(children);
  ASSERT_EQ(children->size(), 2u);
  EXPECT_EQ(*avp_u32((*children)[0]), 10415u);
  EXPECT_EQ(*avp_u32((*children)[1]), 5001u);
}

TEST(AvpReader, RejectsTruncatedHeader) {
  const auto buf = bytes({0, 0, 1, 7, 0x40, 0});
  auto r = parse_avps(buf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DecodeErrorCode::kTruncated);
}

TEST(AvpReader, RejectsLengthPastBuffer) {
  const auto before = common::counter("diameter.decode_error.bad_avp_length").value();
  const auto buf = bytes({0, 0, 1, 7, 0x40, 0, 0, 40, 'x', 'y', 0, 0});
  auto r = parse_avps(buf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DecodeErrorCode::kBadAvpLength);
  EXPECT_EQ(r.error().avp_code, 263u);
  EXPECT_EQ(common::counter("diameter.decode_error.bad_avp_length").value(), before + 1);
}

TEST(AvpReader, RejectsLengthBelowHeader) {
  const auto buf = bytes({0, 0, 1, 7, 0x40, 0, 0, 4, 0, 0, 0, 0});
  auto r = parse_avps(buf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DecodeErrorCode::kBadAvpLength);
}

TEST(AvpReader, RejectsVendorHeaderTruncated) {
  const auto buf = bytes({0, 0, 2, 0x59, 0xc0, 0, 0, 12, 0, 0});
  auto r = parse_avps(buf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DecodeErrorCode::kTruncated);
}

TEST(AvpReader, AcceptsMissingPaddingOnLastAvp) {
  const auto buf = bytes({0, 0, 1, 7, 0x40, 0, 0, 9, 'x'});
  auto r = parse_avps(buf);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(avp_octets((*r)[0]), "x");
}

TEST(AvpReader, BoundsTheNumberOfAvps) {
  std::vector<std::uint8_t> out;
  AvpWriter w(out);
  for (int i = 0; i < 5; ++i) {
    w.u32(avp::kVendorId, 1);
  }
  EXPECT_TRUE(parse_avps(out, 5));
  auto r = parse_avps(out, 4);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DecodeErrorCode::kTooManyAvps);
}

TEST(AvpValues, Unsigned32NeedsFourBytes) {
  std::vector<std::uint8_t> out;
  AvpWriter w(out);
  w.string(avp::kSessionId, "abc");
  auto r = parse_avps(out);
  ASSERT_TRUE(r);
  EXPECT_FALSE(avp_u32((*r)[0]));
}

// UTF8String AVPs are checked by the one common validator (its own tests are in common_test).
TEST(AvpValues, Utf8Validation) {
  using common::is_valid_utf8;
  EXPECT_TRUE(is_valid_utf8("sip:+15550001@block.example"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xc3"));              // truncated
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xff"));
}

TEST(Message, HeaderRoundTrip) {
  std::vector<std::uint8_t> out;
  begin_message(out, MessageHeader{kFlagRequest | kFlagProxiable, 302, kCxApplicationId, 7, 9});
  AvpWriter w(out);
  w.u32(avp::kAuthSessionState, 1);
  finish_message(out);
  auto view = parse_message(out);
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->header.request());
  EXPECT_EQ(view->header.command_code, 302u);
  EXPECT_EQ(view->header.application_id, kCxApplicationId);
  EXPECT_EQ(view->header.hop_by_hop, 7u);
  EXPECT_EQ(view->header.end_to_end, 9u);
  EXPECT_EQ(view->avps.size(), 12u);
}

TEST(Message, RejectsBadVersionAndLength) {
  std::vector<std::uint8_t> out;
  begin_message(out, MessageHeader{});
  finish_message(out);
  auto bad = out;
  bad[0] = 2;
  EXPECT_EQ(parse_message(bad).error().code, DecodeErrorCode::kBadVersion);
  bad = out;
  bad.push_back(0);
  EXPECT_EQ(parse_message(bad).error().code, DecodeErrorCode::kBadMessageLength);
  EXPECT_EQ(parse_message(std::span(out).first(10)).error().code, DecodeErrorCode::kTruncated);
}

}  // namespace
}  // namespace wimpu::diameter
