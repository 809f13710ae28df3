// The proxy core's message-level helpers (src/wire_helpers.hpp).
#include <gtest/gtest.h>

#include "wire_helpers.hpp"

namespace wimpu::proxy::detail {
namespace {

std::string text_of(std::string_view address) {
  AddressText buf;
  return std::string(format_address(boost::asio::ip::make_address(address), buf));
}

// The "received" text (§18.2.1) must be exactly what address::to_string() gives.
TEST(FormatAddress, MatchesTheLibraryTextForIpv4AndIpv6) {
  for (const char* a : {"0.0.0.0", "127.0.0.1", "10.0.0.10", "192.168.100.200",
                        "255.255.255.255", "1.23.45.9", "::1", "2001:db8::5",
                        "::ffff:10.0.0.1", "fe80::1:2:3:4"}) {
    EXPECT_EQ(text_of(a), boost::asio::ip::make_address(a).to_string()) << a;
  }
}

TEST(ViaWithReceived, AddsReceivedAndFillsAnEmptyRport) {
  auto m = sip::Message::parse("OPTIONS sip:a@example.com SIP/2.0\r\n"
                      "Via: SIP/2.0/WSS abc.invalid;rport;branch=z9hG4bK1\r\n"
                      "From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n"
                      "Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(m);
  std::string out;
  const transaction::Endpoint source{boost::asio::ip::make_address("198.51.100.7"), 61000};
  ASSERT_TRUE(via_with_received(m->top_via(), source, out));
  EXPECT_EQ(out, "SIP/2.0/WSS abc.invalid;rport=61000;branch=z9hG4bK1;received=198.51.100.7");
}

TEST(ViaWithReceived, NothingToDoWhenTheSentByIsTheSourceAndNoRport) {
  auto m = sip::Message::parse("OPTIONS sip:a@example.com SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK1\r\n"
                      "From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n"
                      "Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(m);
  std::string out = "untouched";
  const transaction::Endpoint source{boost::asio::ip::make_address("198.51.100.7"), 5060};
  EXPECT_FALSE(via_with_received(m->top_via(), source, out));
  EXPECT_EQ(out, "untouched");
}

}  // namespace
}  // namespace wimpu::proxy::detail
