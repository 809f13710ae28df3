#pragma once
// RFC 6455 §5.2 framing as the load tool's client side needs it: write masked client frames
// straight into an output buffer (several frames per socket write) and decode the server's
// unmasked frames in place from a read buffer (several frames per read).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace wimpu::loadgen {

/// RFC 6455 §5.2 opcodes.
enum class WsOpcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

/// XORs `n` bytes at `data` with the 32-bit masking key `key` (RFC 6455 §5.3: byte i with octet
/// i mod 4 of the key, the key's first octet being its most significant byte). Applying it twice
/// restores the data. Eight bytes per step.
void ws_mask(char* data, std::size_t n, std::uint32_t key) noexcept;

/// Bytes reserved by ws_begin_frame(): the header of a masked frame with a 16-bit length.
inline constexpr std::size_t kWsReservedHeader = 8;

/// Starts a client frame at the end of `out`: reserves kWsReservedHeader bytes and returns the
/// offset to give ws_end_frame(). The payload is then appended to `out` by the caller.
std::size_t ws_begin_frame(std::string& out);

/// Completes the frame begun at `start` (FIN set, one frame per message): writes the header for
/// the payload appended since (7-, 16- or 64-bit length; the payload is moved when its header
/// is not 8 bytes long), the masking bit and `key`, and masks the payload in place.
/// Precondition: `start` came from ws_begin_frame() on this buffer, nothing else appended since.
void ws_end_frame(std::string& out, std::size_t start, WsOpcode opcode, std::uint32_t key);

/// Appends one complete masked client frame carrying `payload`.
void ws_append_frame(std::string& out, WsOpcode opcode, std::string_view payload,
                     std::uint32_t key);

/// One frame decoded from a read buffer. `payload` points into the buffer (unmasked in place if
/// the frame was masked).
struct WsFrame {
  WsOpcode opcode = WsOpcode::kContinuation;
  bool fin = false;
  bool masked = false;
  std::uint8_t rsv = 0;        ///< RSV1-3 bits (non-zero without a negotiated extension: error)
  std::size_t size = 0;        ///< header + payload bytes consumed
  std::string_view payload;
};

/// Result of ws_decode_frame().
enum class WsDecode : std::uint8_t {
  kFrame,     ///< `frame` holds a complete frame
  kNeedMore,  ///< incomplete; `frame.size` is the total needed when the header is complete
              ///< (0 when even the header is incomplete)
  kTooLarge,  ///< payload longer than the limit given
};

/// Decodes the frame at the start of [data, data + n) without copying. A masked frame (server
/// frames never are, RFC 6455 §5.1; decoding them serves tests) is unmasked in place.
WsDecode ws_decode_frame(char* data, std::size_t n, std::size_t max_payload, WsFrame& frame) noexcept;

}  // namespace wimpu::loadgen
