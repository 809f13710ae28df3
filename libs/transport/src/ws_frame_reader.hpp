#pragma once
// WsFrameReader: the server side's WebSocket frame parser (RFC 6455 §5), fed from one
// per-connection read buffer by WsConnection. It replaces Beast's read path after the upgrade
// (issue 8 figure 2: two async_base levels, a posted handler and a dynamic buffer per message).
//
// - Parses as many frames as the bytes given hold; a data frame's payload is unmasked straight
//   into the message being assembled (one allocation, the size of the message, which becomes the
//   std::string handed to the sink), so the caller's buffer never needs to hold a whole frame:
//   only a frame header (at most 14 octets) or a whole control frame (at most 131) contiguously.
// - Control frames are unmasked in place in the caller's buffer and returned as a view.
// - Every violation is final (the reader stays in error) and names the close code the server
//   sends (§7.4.1): 1002 protocol error, 1007 invalid UTF-8 in a text message (§8.1), 1009
//   message over the configured size.
// Threading: none of its own; one reader per connection, used on the connection's thread.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace wimpu::transport::detail {

/// Why the server fails a WebSocket connection (RFC 6455 §7.1.7).
enum class WsReadError : std::uint8_t {
  kNone,
  kUnmasked,              ///< §5.1: a client's frame without the MASK bit
  kReservedBits,          ///< §5.2: RSV1-3 set, no extension negotiated
  kReservedOpcode,        ///< §5.2: opcodes 0x3-0x7 and 0xB-0xF
  kControlTooLong,        ///< §5.5: a control frame payload over 125 octets
  kControlFragmented,     ///< §5.5: a control frame without FIN
  kBadLength,             ///< §5.2: length not in its minimal form, or the 64-bit MSB set
  kUnexpectedContinuation,///< §5.4: a continuation frame with no message open
  kExpectedContinuation,  ///< §5.4: a new data message while one is still open
  kMessageTooBig,         ///< over Limits::max_ws_message_bytes (close code 1009)
  kBadUtf8,               ///< §8.1: a text message that is not UTF-8 (close code 1007)
  kBadClosePayload,       ///< §5.5.1: a Close payload of one octet
  kBadCloseCode,          ///< §7.4: a status code not allowed on the wire
  kBadCloseReason,        ///< §5.5.1: a Close reason that is not UTF-8 (close code 1007)
};

/// Counter-friendly name ("unmasked", ...).
std::string_view to_string(WsReadError e);

/// The status code a server sends in its Close frame for `e` (RFC 6455 §7.4.1).
std::uint16_t close_code_for(WsReadError e);

/// §7.4: may `code` appear in a Close frame? 1000-1003, 1007-1014 and 3000-4999.
bool is_valid_close_code(std::uint16_t code);

/// XORs `n` octets at `p` with the masking key `key` starting at key position `pos` (§5.3).
void ws_unmask(char* p, std::size_t n, const unsigned char key[4], std::size_t pos);

class WsFrameReader {
public:
  enum class Event : std::uint8_t {
    kNeedMore,  ///< every given byte was consumed or is part of an incomplete header/control frame
    kMessage,   ///< a complete data message: take_message(), message_is_text()
    kPing,      ///< control_payload() holds the ping's application data (answer with a pong)
    kPong,      ///< control_payload() holds the pong's application data
    kClose,     ///< close_code() (1005 when the frame had no status), control_payload() the reason
    kError,     ///< error(): fail the connection with close_code_for(error())
  };

  /// `max_message`: the largest message payload accepted (the sum of its fragments).
  explicit WsFrameReader(std::size_t max_message) : max_message_(max_message) {}

  /// Parses the next event from `data[0, size)`; `consumed` is set to the octets used (the caller
  /// drops them; any rest must be passed again, with more bytes appended). Control frame payloads
  /// are unmasked in place and control_payload() points into `data` until the next call.
  /// After kError every call returns kError.
  Event next(char* data, std::size_t size, std::size_t& consumed);

  /// The message of the last kMessage; leaves the reader without an allocation.
  std::string take_message() { return std::exchange(message_, std::string()); }
  /// Whether the last kMessage came in a text frame (else binary).
  bool message_is_text() const { return text_; }
  std::string_view control_payload() const { return control_; }
  std::uint16_t close_code() const { return close_code_; }
  WsReadError error() const { return error_; }

  /// True while a frame or a fragmented message is incomplete (octets of it were consumed).
  bool mid_message() const { return in_payload_ || open_; }

private:
  Event fail(WsReadError e) {
    error_ = e;
    return Event::kError;
  }
  Event control_frame(unsigned opcode, char* payload, std::size_t len);

  std::size_t max_message_;
  std::string message_;           // the message being assembled
  std::string_view control_;      // last control frame's payload (in the caller's buffer)
  std::uint64_t remaining_ = 0;   // payload octets of the current data frame still to come
  std::size_t mask_pos_ = 0;      // position in the masking key of the next payload octet
  unsigned char key_[4] = {};     // the current data frame's masking key
  std::uint16_t close_code_ = 0;
  WsReadError error_ = WsReadError::kNone;
  bool in_payload_ = false;  // a data frame's header is consumed, its payload is not
  bool fin_ = false;         // ... and that frame ends the message
  bool open_ = false;        // a message has begun and has not ended
  bool text_ = false;        // the open (or last) message is text
};

}  // namespace wimpu::transport::detail
