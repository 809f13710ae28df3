#pragma once
// One WebSocket data frame (RFC 6455 §5.2) appended to a write buffer: what WsConnection writes
// for each SIP message (RFC 7118 §5: one SIP message per WebSocket message, never fragmented).
#include <string>
#include <string_view>

namespace wimpu::transport::detail {

/// Appends a final (FIN) frame carrying `payload` to `out`: opcode text (0x1) when `text`, else
/// binary (0x2); the 7, 16 or 64-bit payload length (§5.2, the shortest form). A server's frames
/// are not masked (§5.1); a client's (`mask`) carry a fresh random masking key (§5.3, §10.3).
void append_ws_frame(std::string& out, std::string_view payload, bool text, bool mask);

/// Size of the frame header append_ws_frame() writes before `payload_size` bytes.
std::size_t ws_frame_header_size(std::size_t payload_size, bool mask);

}  // namespace wimpu::transport::detail
