#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "wimpu/token/base64url.hpp"

namespace wimpu::token::base64url {
namespace {

// RFC 4648 §10 test vectors, in the URL-safe alphabet without padding.
TEST(Base64Url, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},         {"f", "Zg"},         {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(encode(plain), encoded);
    auto d = decode(encoded);
    ASSERT_TRUE(d.has_value()) << encoded;
    EXPECT_EQ(*d, plain);
  }
}

TEST(Base64Url, UsesUrlSafeAlphabet) {
  const std::string bytes = "\xfb\xff\xbf";
  EXPECT_EQ(encode(bytes), "-_-_");
  EXPECT_EQ(*decode("-_-_"), bytes);
}

TEST(Base64Url, RoundTripsEveryLengthAndByte) {
  std::mt19937 rng(42);
  for (std::size_t n = 0; n < 200; ++n) {
    std::vector<std::uint8_t> in(n);
    for (auto& b : in) {
      b = static_cast<std::uint8_t>(rng());
    }
    const std::string e = encode(in);
    EXPECT_EQ(e.size(), encoded_size(n));
    auto d = decode(e);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(std::vector<std::uint8_t>(d->begin(), d->end()), in);
  }
}

TEST(Base64Url, RejectsPaddingStandardAlphabetAndWhitespace) {
  EXPECT_EQ(decode("Zg==").error(), DecodeError::kBadCharacter);
  EXPECT_EQ(decode("Zm8=").error(), DecodeError::kBadCharacter);
  EXPECT_EQ(decode("+/+/").error(), DecodeError::kBadCharacter);
  EXPECT_EQ(decode("Zm9v Yg").error(), DecodeError::kBadCharacter);
  EXPECT_EQ(decode("Zm9v\nYmF").error(), DecodeError::kBadCharacter);
  EXPECT_EQ(decode(std::string("Zm\0v", 4)).error(), DecodeError::kBadCharacter);
  EXPECT_EQ(decode("Zm\xc3\xa9").error(), DecodeError::kBadCharacter);
}

TEST(Base64Url, RejectsImpossibleLength) {
  EXPECT_EQ(decode("Z").error(), DecodeError::kBadLength);
  EXPECT_EQ(decode("Zm9vY").error(), DecodeError::kBadLength);
}

TEST(Base64Url, RejectsNonCanonicalTrailingBits) {
  EXPECT_TRUE(decode("Zg").has_value());
  EXPECT_EQ(decode("Zh").error(), DecodeError::kNonCanonical);   // 'f' with a stray low bit
  EXPECT_TRUE(decode("Zm8").has_value());
  EXPECT_EQ(decode("Zm9").error(), DecodeError::kNonCanonical);  // "fo" with a stray low bit
}

TEST(Base64Url, DecodeAppendLeavesOutputUntouchedOnError) {
  std::string out = "keep";
  EXPECT_FALSE(decode_append("Zm9v!", out).has_value());
  EXPECT_EQ(out, "keep");
  auto n = decode_append("Zm9v", out);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(out, "keepfoo");
}

}  // namespace
}  // namespace wimpu::token::base64url
