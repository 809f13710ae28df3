#include "wimpu/transport/flow_token.hpp"

#include <gtest/gtest.h>

#include <cctype>

namespace wimpu::transport {
namespace {

TEST(FlowTokenCodec, RoundTrip) {
  const FlowTokenCodec codec("secret key", 42);
  for (const FlowId id : {FlowId{0, 0, 1}, FlowId{3, 12345, 7}, FlowId{65535, 0xFFFFFFFF, 0xFFFFFFFF}}) {
    const std::string token = codec.encode(id);
    EXPECT_EQ(token.size(), FlowTokenCodec::kTokenLength);
    for (char c : token) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')) << token;
    }
    auto back = codec.decode(token);
    ASSERT_TRUE(back.has_value()) << token;
    EXPECT_EQ(*back, id);
  }
}

TEST(FlowTokenCodec, DistinctFlowsGiveDistinctTokens) {
  const FlowTokenCodec codec("k", 1);
  EXPECT_NE(codec.encode({0, 1, 1}), codec.encode({0, 1, 2}));
  EXPECT_NE(codec.encode({0, 1, 1}), codec.encode({1, 1, 1}));
}

TEST(FlowTokenCodec, UpperCaseIsAccepted) {
  const FlowTokenCodec codec("k", 1);
  std::string token = codec.encode({1, 2, 3});
  for (char& c : token) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  auto back = codec.decode(token);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, (FlowId{1, 2, 3}));
}

TEST(FlowTokenCodec, EveryChangedCharacterIsTampered) {
  const FlowTokenCodec codec("k", 1);
  const std::string token = codec.encode({1, 2, 3});
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string bad = token;
    bad[i] = bad[i] == 'a' ? 'b' : 'a';
    auto r = codec.decode(bad);
    ASSERT_FALSE(r.has_value()) << i;
    EXPECT_EQ(r.error(), FlowTokenError::kTampered) << i;
  }
}

TEST(FlowTokenCodec, MalformedIsTampered) {
  const FlowTokenCodec codec("k", 1);
  const std::string token = codec.encode({1, 2, 3});
  for (const std::string& bad : {std::string(), token.substr(1), token + "a",
                                 std::string(token.size(), '!'), token.substr(0, 38) + "1"}) {
    auto r = codec.decode(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error(), FlowTokenError::kTampered);
  }
}

TEST(FlowTokenCodec, OtherKeyIsTamperedOtherEpochIsDead) {
  const FlowTokenCodec a("key a", 1);
  const FlowTokenCodec b("key b", 1);
  const FlowTokenCodec a_restarted("key a", 2);
  const std::string token = a.encode({0, 5, 9});
  EXPECT_EQ(b.decode(token).error(), FlowTokenError::kTampered);
  EXPECT_EQ(a_restarted.decode(token).error(), FlowTokenError::kFlowDead);
}

}  // namespace
}  // namespace wimpu::transport
