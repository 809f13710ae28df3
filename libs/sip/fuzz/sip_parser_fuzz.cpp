// libFuzzer target: message parse + edit/serialize round trip + URI parse.
#include <cstdint>
#include <string>
#include <string_view>

#include "wimpu/sip/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  wimpu::sip::Message msg;
  (void)wimpu::sip::parse_into(msg, input, wimpu::sip::ParseOptions::datagram());
  (void)wimpu::sip::parse_uri(input);
  return 0;
}
