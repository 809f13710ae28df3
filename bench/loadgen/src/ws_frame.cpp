// RFC 6455 §5.2 / §5.3 framing for the load tool's WebSocket client.
#include "wimpu/loadgen/ws_frame.hpp"

#include <cstring>

#include "wimpu/common/assert.hpp"

namespace wimpu::loadgen {
namespace {

// Header bytes of a masked client frame with `n` payload bytes (RFC 6455 §5.2).
constexpr std::size_t masked_header_size(std::size_t n) noexcept {
  return n < 126 ? 6 : (n <= 0xFFFF ? 8 : 14);
}

void put_header(char* h, WsOpcode opcode, std::size_t n, std::uint32_t key) noexcept {
  h[0] = static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode));  // FIN, no RSV
  std::size_t i = 2;
  if (n < 126) {
    h[1] = static_cast<char>(0x80 | n);
  } else if (n <= 0xFFFF) {
    h[1] = static_cast<char>(0x80 | 126);
    h[2] = static_cast<char>(n >> 8);
    h[3] = static_cast<char>(n & 0xFF);
    i = 4;
  } else {
    h[1] = static_cast<char>(0x80 | 127);
    for (int b = 0; b < 8; ++b) {
      h[2 + b] = static_cast<char>((static_cast<std::uint64_t>(n) >> (56 - 8 * b)) & 0xFF);
    }
    i = 10;
  }
  h[i] = static_cast<char>(key >> 24);
  h[i + 1] = static_cast<char>((key >> 16) & 0xFF);
  h[i + 2] = static_cast<char>((key >> 8) & 0xFF);
  h[i + 3] = static_cast<char>(key & 0xFF);
}

}  // namespace

void ws_mask(char* data, std::size_t n, std::uint32_t key) noexcept {
  // The key as it lies in the frame (big-endian octets), repeated to 8 bytes in memory order.
  unsigned char k[8];
  for (int i = 0; i < 8; ++i) {
    k[i] = static_cast<unsigned char>((key >> (24 - 8 * (i % 4))) & 0xFF);
  }
  std::uint64_t k8;
  std::memcpy(&k8, k, 8);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t v;
    std::memcpy(&v, data + i, 8);
    v ^= k8;
    std::memcpy(data + i, &v, 8);
  }
  for (; i < n; ++i) {
    data[i] = static_cast<char>(data[i] ^ static_cast<char>(k[i % 4]));
  }
}

std::size_t ws_begin_frame(std::string& out) {
  const std::size_t start = out.size();
  out.append(kWsReservedHeader, '\0');
  return start;
}

void ws_end_frame(std::string& out, std::size_t start, WsOpcode opcode, std::uint32_t key) {
  WIMPU_ASSERT(out.size() >= start + kWsReservedHeader);
  const std::size_t n = out.size() - start - kWsReservedHeader;
  const std::size_t h = masked_header_size(n);
  if (h < kWsReservedHeader) {
    // Short payload (< 126 bytes): close the gap.
    std::memmove(out.data() + start + h, out.data() + start + kWsReservedHeader, n);
    out.resize(start + h + n);
  } else if (h > kWsReservedHeader) {
    out.insert(start + kWsReservedHeader, h - kWsReservedHeader, '\0');
  }
  put_header(out.data() + start, opcode, n, key);
  ws_mask(out.data() + start + h, n, key);
}

void ws_append_frame(std::string& out, WsOpcode opcode, std::string_view payload,
                     std::uint32_t key) {
  const std::size_t start = ws_begin_frame(out);
  out.append(payload);
  ws_end_frame(out, start, opcode, key);
}

WsDecode ws_decode_frame(char* data, std::size_t n, std::size_t max_payload,
                         WsFrame& frame) noexcept {
  frame.size = 0;
  if (n < 2) {
    return WsDecode::kNeedMore;
  }
  const auto b0 = static_cast<std::uint8_t>(data[0]);
  const auto b1 = static_cast<std::uint8_t>(data[1]);
  frame.fin = (b0 & 0x80) != 0;
  frame.rsv = static_cast<std::uint8_t>((b0 >> 4) & 0x7);
  frame.opcode = static_cast<WsOpcode>(b0 & 0x0F);
  frame.masked = (b1 & 0x80) != 0;
  std::uint64_t len = b1 & 0x7F;
  std::size_t h = 2;
  if (len == 126) {
    if (n < 4) {
      return WsDecode::kNeedMore;
    }
    len = (std::uint64_t{static_cast<std::uint8_t>(data[2])} << 8) |
          static_cast<std::uint8_t>(data[3]);
    h = 4;
  } else if (len == 127) {
    if (n < 10) {
      return WsDecode::kNeedMore;
    }
    len = 0;
    for (int b = 0; b < 8; ++b) {
      len = (len << 8) | static_cast<std::uint8_t>(data[2 + b]);
    }
    h = 10;
  }
  if (len > max_payload) {
    return WsDecode::kTooLarge;
  }
  std::uint32_t key = 0;
  if (frame.masked) {
    if (n < h + 4) {
      return WsDecode::kNeedMore;
    }
    for (int b = 0; b < 4; ++b) {
      key = (key << 8) | static_cast<std::uint8_t>(data[h + b]);
    }
    h += 4;
  }
  frame.size = h + static_cast<std::size_t>(len);
  if (n < frame.size) {
    return WsDecode::kNeedMore;
  }
  if (frame.masked) {
    ws_mask(data + h, static_cast<std::size_t>(len), key);
  }
  frame.payload = std::string_view(data + h, static_cast<std::size_t>(len));
  return WsDecode::kFrame;
}

}  // namespace wimpu::loadgen
