#include "ws_frame.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdint>

#include "wimpu/common/assert.hpp"

namespace wimpu::transport::detail {

namespace {

void append_frame(std::string& out, unsigned opcode, std::string_view payload, bool mask) {
  std::array<unsigned char, 14> h{};
  std::size_t n = 0;
  h[n++] = static_cast<unsigned char>(0x80 | opcode);  // FIN, opcode
  const unsigned char mask_bit = mask ? 0x80 : 0x00;
  const std::uint64_t len = payload.size();
  if (len < 126) {
    h[n++] = static_cast<unsigned char>(mask_bit | len);
  } else if (len <= 0xFFFF) {
    h[n++] = static_cast<unsigned char>(mask_bit | 126);  // 16-bit length, network order
    h[n++] = static_cast<unsigned char>(len >> 8);
    h[n++] = static_cast<unsigned char>(len);
  } else {
    h[n++] = static_cast<unsigned char>(mask_bit | 127);  // 64-bit length, network order
    for (int shift = 56; shift >= 0; shift -= 8) {
      h[n++] = static_cast<unsigned char>(len >> shift);
    }
  }
  if (!mask) {
    out.append(reinterpret_cast<const char*>(h.data()), n);
    out.append(payload);
    return;
  }
  // §10.3: the key must not be predictable by the application whose data it masks.
  std::array<unsigned char, 4> key{};
  WIMPU_RELEASE_ASSERT(RAND_bytes(key.data(), static_cast<int>(key.size())) == 1);
  for (unsigned char k : key) {
    h[n++] = k;
  }
  out.append(reinterpret_cast<const char*>(h.data()), n);
  const std::size_t start = out.size();
  out.append(payload);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out[start + i] = static_cast<char>(static_cast<unsigned char>(out[start + i]) ^ key[i % 4]);
  }
}

}  // namespace

std::size_t ws_frame_header_size(std::size_t payload_size, bool mask) {
  const std::size_t length = payload_size < 126 ? 0 : payload_size <= 0xFFFF ? 2 : 8;
  return 2 + length + (mask ? 4 : 0);
}

void append_ws_frame(std::string& out, std::string_view payload, bool text, bool mask) {
  append_frame(out, text ? 0x1 : 0x2, payload, mask);
}

void append_ws_control_frame(std::string& out, WsControl opcode, std::string_view payload,
                             bool mask) {
  WIMPU_ASSERT(payload.size() <= 125);  // §5.5
  append_frame(out, static_cast<unsigned>(opcode), payload, mask);
}

void append_ws_close_frame(std::string& out, std::uint16_t code, bool mask) {
  if (code == 1005) {
    append_frame(out, static_cast<unsigned>(WsControl::kClose), {}, mask);
    return;
  }
  const char body[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  append_frame(out, static_cast<unsigned>(WsControl::kClose), std::string_view(body, 2), mask);
}

}  // namespace wimpu::transport::detail
