// libFuzzer target for the TCP/TLS stream framer (RFC 3261 §18.3 Content-Length framing). The
// input is split into reads at positions taken from its first byte, so the fuzzer also explores
// messages arriving in pieces. Invariants: no crash, the buffer stays bounded, and every message
// returned starts where the previous one ended.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wimpu/transport/stream_framer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using wimpu::transport::StreamFramer;
  if (size == 0) {
    return 0;
  }
  const std::size_t chunk = 1 + data[0] % 64;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  StreamFramer framer({512, 2048});
  std::string message;
  std::size_t consumed = 0;
  for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
    framer.feed(input.substr(pos, chunk));
    for (;;) {
      const StreamFramer::Event e = framer.next(message);
      if (e == StreamFramer::Event::kMessage) {
        if (message.size() > 512 + 2048) {
          std::abort();
        }
        consumed += message.size();
        continue;
      }
      if (e == StreamFramer::Event::kPing) {
        continue;
      }
      if (e == StreamFramer::Event::kError) {
        return 0;  // sticky: the connection would be closed
      }
      break;
    }
    if (framer.buffered() > 512 + 2048 + 64) {
      std::abort();  // the buffer must stay bounded by the limits
    }
  }
  if (consumed > input.size()) {
    std::abort();
  }
  return 0;
}
