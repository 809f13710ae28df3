// libFuzzer target for the server side's WebSocket frame parser (src/ws_frame_reader,
// RFC 6455 §5). Byte 0 chooses the read size and the message limit; the rest is fed as received
// bytes, in pieces, into a buffer handled as WsConnection handles its own (unconsumed octets stay
// at the front, at most kReadChunk octets). Invariants: no crash, no access outside the buffer,
// consumed octets within what was given, a message within the limit (and UTF-8 when text),
// control payloads of at most 125 octets inside the buffer, and nothing after an error or Close.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../src/ws_frame_reader.hpp"
#include "wimpu/common/utf8.hpp"

using wimpu::common::is_valid_utf8;
using wimpu::transport::detail::WsFrameReader;

namespace {
void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::size_t step = 1 + (data[0] & 0x3F);                      // 1..64 octets per read
  const std::size_t max_message = (data[0] & 0x40) != 0 ? 64 : 65536;  // small or default limit
  constexpr std::size_t kReadChunk = 16 * 1024;
  ++data;
  --size;
  WsFrameReader reader(max_message);
  std::string buf;
  buf.reserve(kReadChunk);
  std::size_t at = 0;
  bool ended = false;
  while (at < size && !ended) {
    const std::size_t n = std::min({step, size - at, kReadChunk - buf.size()});
    check(n != 0);  // the reader never leaves a full buffer unconsumed
    buf.append(reinterpret_cast<const char*>(data + at), n);
    at += n;
    for (;;) {
      std::size_t used = 0;
      const WsFrameReader::Event ev = reader.next(buf.data(), buf.size(), used);
      check(used <= buf.size());
      if (ev == WsFrameReader::Event::kMessage) {
        const bool text = reader.message_is_text();
        const std::string m = reader.take_message();
        check(m.size() <= max_message);
        check(!text || is_valid_utf8(m));
      } else if (ev == WsFrameReader::Event::kPing || ev == WsFrameReader::Event::kPong ||
                 ev == WsFrameReader::Event::kClose) {
        const std::string_view p = reader.control_payload();
        check(p.size() <= 125);
        check(p.empty() || (p.data() >= buf.data() && p.data() + p.size() <= buf.data() + used));
      }
      buf.erase(0, used);
      if (ev == WsFrameReader::Event::kNeedMore) {
        check(buf.size() < 14 + 4 + 125);  // at most a header or a control frame waits
        break;
      }
      if (ev == WsFrameReader::Event::kError || ev == WsFrameReader::Event::kClose) {
        ended = true;
        break;
      }
    }
  }
  return 0;
}
