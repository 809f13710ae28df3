#pragma once
// WebSocket frames (RFC 6455 §5.2) appended to a write buffer: what WsConnection writes for each
// SIP message (RFC 7118 §5: one SIP message per WebSocket message, never fragmented) and, on the
// server side, its own control frames (ping, pong, Close).
#include <cstdint>
#include <string>
#include <string_view>

namespace wimpu::transport::detail {

/// Appends a final (FIN) frame carrying `payload` to `out`: opcode text (0x1) when `text`, else
/// binary (0x2); the 7, 16 or 64-bit payload length (§5.2, the shortest form). A server's frames
/// are not masked (§5.1); a client's (`mask`) carry a fresh random masking key (§5.3, §10.3).
void append_ws_frame(std::string& out, std::string_view payload, bool text, bool mask);

/// Control frame opcodes (§5.5).
enum class WsControl : std::uint8_t { kClose = 0x8, kPing = 0x9, kPong = 0xA };

/// Appends a control frame (§5.5) with `payload` (at most 125 octets, asserted) to `out`.
void append_ws_control_frame(std::string& out, WsControl opcode, std::string_view payload,
                             bool mask);

/// Appends a Close frame (§5.5.1) with status `code` and no reason; 1005 (no status, §7.4.1,
/// never on the wire) gives a Close frame without a body.
void append_ws_close_frame(std::string& out, std::uint16_t code, bool mask);

/// Size of the frame header append_ws_frame() writes before `payload_size` bytes.
std::size_t ws_frame_header_size(std::size_t payload_size, bool mask);

}  // namespace wimpu::transport::detail
