#include <gtest/gtest.h>

#include "wimpu/sip/message.hpp"

namespace wimpu::sip {
namespace {

TEST(Message, ParsesMinimalRequest) {
  const std::string_view text =
      "OPTIONS sip:bob@example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n"
      "To: <sip:bob@example.com>\r\n"
      "From: <sip:alice@example.com>;tag=1928301774\r\n"
      "Call-ID: a84b4c76e66710\r\n"
      "CSeq: 63104 OPTIONS\r\n"
      "Content-Length: 0\r\n"
      "\r\n";
  auto msg = Message::parse(text, ParseOptions::stream());
  ASSERT_TRUE(msg) << to_string(msg.error().code);
  EXPECT_TRUE(msg->is_request());
  EXPECT_EQ(msg->method(), Method::kOptions);
  EXPECT_EQ(msg->top_via().branch, "z9hG4bK776asdhds");
  EXPECT_EQ(msg->from_tag(), "1928301774");
}

}  // namespace
}  // namespace wimpu::sip
