// The MessagePack slice shared with the Redis functions: round trips at every size boundary and
// a refusal (never a crash or an over-read) of malformed input.
#include <gtest/gtest.h>

#include <string>

#include "msgpack.hpp"

namespace wimpu::registrar::detail {
namespace {

TEST(Msgpack, RoundTripsAtEveryLengthBoundary) {
  std::string buf;
  MsgpackWriter w(buf);
  const std::vector<std::size_t> lens = {0, 31, 32, 255, 256, 65535, 65536};
  const std::vector<std::uint64_t> ints = {
      0, 127, 128, 255, 256, 65535, 65536, 4294967295ULL, 4294967296ULL, 1'700'000'000'000ULL};
  w.array(static_cast<std::uint32_t>(lens.size() + ints.size()));
  for (const auto n : lens) {
    w.str(std::string(n, 'x'));
  }
  for (const auto v : ints) {
    w.uint(v);
  }
  MsgpackReader r(buf);
  std::uint32_t n = 0;
  ASSERT_TRUE(r.array(n));
  EXPECT_EQ(n, lens.size() + ints.size());
  for (const auto len : lens) {
    std::string_view s;
    ASSERT_TRUE(r.str(s)) << len;
    EXPECT_EQ(s.size(), len);
  }
  for (const auto v : ints) {
    std::int64_t got = 0;
    ASSERT_TRUE(r.integer(got)) << v;
    EXPECT_EQ(static_cast<std::uint64_t>(got), v);
  }
  EXPECT_TRUE(r.at_end());
}

TEST(Msgpack, ReadsWhatLuaCmsgpackWrites) {
  // Negative fixint, int8..int64, an integral float64 (a Lua number), array16.
  const std::string in(
      "\xdc\x00\x05\xff\xd0\x80\xd3\xff\xff\xff\xff\xff\xff\xff\xfe"
      "\xcb\x42\x78\xbc\xfe\x56\x80\x00\x00"
      "\xa1z",
      26);
  MsgpackReader r(in);
  std::uint32_t n = 0;
  std::int64_t v = 0;
  std::string_view s;
  ASSERT_TRUE(r.array(n));
  EXPECT_EQ(n, 5u);
  ASSERT_TRUE(r.integer(v));
  EXPECT_EQ(v, -1);
  ASSERT_TRUE(r.integer(v));
  EXPECT_EQ(v, -128);
  ASSERT_TRUE(r.integer(v));
  EXPECT_EQ(v, -2);
  ASSERT_TRUE(r.integer(v));
  EXPECT_EQ(v, 1'700'000'000'000);
  ASSERT_TRUE(r.str(s));
  EXPECT_EQ(s, "z");
  EXPECT_TRUE(r.at_end());
}

TEST(Msgpack, RefusesMalformedInput) {
  std::string_view s;
  std::int64_t v = 0;
  std::uint32_t n = 0;
  EXPECT_FALSE(MsgpackReader(std::string_view("\xa5"
                                              "abc",
                                              4))
                   .str(s));                                            // truncated string
  EXPECT_FALSE(MsgpackReader(std::string_view("\xda\x00", 2)).str(s));  // truncated length
  EXPECT_FALSE(
      MsgpackReader(std::string_view("\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9)).integer(v));
  EXPECT_FALSE(MsgpackReader(std::string_view("\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00", 9))
                   .integer(v));                                      // 1.5
  EXPECT_FALSE(MsgpackReader(std::string_view("\xc0", 1)).array(n));  // nil
  EXPECT_FALSE(MsgpackReader(std::string_view()).integer(v));
  MsgpackReader r(std::string_view("\x01\xa1", 2));
  ASSERT_TRUE(r.integer(v));
  EXPECT_FALSE(r.str(s));
  EXPECT_FALSE(r.integer(v));  // stays failed
}

}  // namespace
}  // namespace wimpu::registrar::detail
