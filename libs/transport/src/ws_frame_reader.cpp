#include "ws_frame_reader.hpp"

#include <cstring>

#include "wimpu/common/utf8.hpp"

namespace wimpu::transport::detail {

namespace {

constexpr unsigned kContinuation = 0x0;
constexpr unsigned kText = 0x1;
constexpr unsigned kBinary = 0x2;
constexpr unsigned kClose = 0x8;
constexpr unsigned kPing = 0x9;
constexpr unsigned kPong = 0xA;
constexpr std::size_t kMaxControlPayload = 125;  // §5.5
constexpr std::uint16_t kNoStatus = 1005;        // §7.4.1: reported, never sent

unsigned char octet(const char* p, std::size_t i) { return static_cast<unsigned char>(p[i]); }

}  // namespace

std::string_view to_string(WsReadError e) {
  switch (e) {
    case WsReadError::kNone:
      return "none";
    case WsReadError::kUnmasked:
      return "unmasked";
    case WsReadError::kReservedBits:
      return "reserved_bits";
    case WsReadError::kReservedOpcode:
      return "reserved_opcode";
    case WsReadError::kControlTooLong:
      return "control_too_long";
    case WsReadError::kControlFragmented:
      return "control_fragmented";
    case WsReadError::kBadLength:
      return "bad_length";
    case WsReadError::kUnexpectedContinuation:
      return "unexpected_continuation";
    case WsReadError::kExpectedContinuation:
      return "expected_continuation";
    case WsReadError::kMessageTooBig:
      return "message_too_big";
    case WsReadError::kBadUtf8:
      return "bad_utf8";
    case WsReadError::kBadClosePayload:
      return "bad_close_payload";
    case WsReadError::kBadCloseCode:
      return "bad_close_code";
    case WsReadError::kBadCloseReason:
      return "bad_close_reason";
  }
  return "unknown";
}

std::uint16_t close_code_for(WsReadError e) {
  switch (e) {
    case WsReadError::kMessageTooBig:
      return 1009;  // §7.4.1 "message too big"
    case WsReadError::kBadUtf8:
    case WsReadError::kBadCloseReason:
      return 1007;  // §7.4.1 "data within a message that was not consistent with its type"
    default:
      return 1002;  // §7.4.1 "protocol error"
  }
}

bool is_valid_close_code(std::uint16_t code) {
  // §7.4.1 defined codes, minus 1004 (reserved), 1005 and 1006 (never on the wire); 1012-1014
  // are in the IANA registry (§11.7); 3000-3999 registered, 4000-4999 private (§7.4.2). 1015
  // (TLS failure) and the rest of 1000-2999 are reserved; above 4999 nothing is defined.
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

void ws_unmask(char* p, std::size_t n, const unsigned char key[4], std::size_t pos) {
  // Eight octets at a time with the key repeated from `pos` (the key repeats every 4 octets, so
  // index i of this run uses k[i % 8]).
  unsigned char k[8];
  for (std::size_t i = 0; i < 8; ++i) {
    k[i] = key[(pos + i) & 3];
  }
  std::uint64_t k64 = 0;
  std::memcpy(&k64, k, sizeof k64);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p + i, sizeof w);
    w ^= k64;
    std::memcpy(p + i, &w, sizeof w);
  }
  for (; i < n; ++i) {
    p[i] = static_cast<char>(static_cast<unsigned char>(p[i]) ^ k[i & 7]);
  }
}

WsFrameReader::Event WsFrameReader::next(char* data, std::size_t size, std::size_t& consumed) {
  consumed = 0;
  if (error_ != WsReadError::kNone) {
    return Event::kError;
  }
  for (;;) {
    if (in_payload_) {
      const std::size_t avail = size - consumed;
      const std::size_t n = remaining_ < avail ? static_cast<std::size_t>(remaining_) : avail;
      if (n != 0) {
        const std::size_t at = message_.size();
        message_.append(data + consumed, n);
        ws_unmask(message_.data() + at, n, key_, mask_pos_);
        consumed += n;
        remaining_ -= n;
        mask_pos_ += n;
      }
      if (remaining_ != 0) {
        return Event::kNeedMore;
      }
      in_payload_ = false;
      if (!fin_) {
        continue;  // §5.4: more fragments follow (control frames may come between them)
      }
      open_ = false;
      // §8.1: a text message must be UTF-8 as a whole; fragments may split a character.
      if (text_ && !common::is_valid_utf8(message_)) {
        return fail(WsReadError::kBadUtf8);
      }
      return Event::kMessage;
    }
    const char* p = data + consumed;
    const std::size_t avail = size - consumed;
    if (avail < 2) {
      return Event::kNeedMore;
    }
    const unsigned b0 = octet(p, 0);
    const unsigned b1 = octet(p, 1);
    const bool fin = (b0 & 0x80) != 0;
    const unsigned opcode = b0 & 0x0F;
    const unsigned len7 = b1 & 0x7F;
    if ((b0 & 0x70) != 0) {
      return fail(WsReadError::kReservedBits);  // §5.2: no extension negotiated
    }
    const bool control = (opcode & kClose) != 0;  // §5.2: control opcodes 0x8-0xF, Close the first
    if (control ? opcode > kPong : opcode > kBinary) {
      return fail(WsReadError::kReservedOpcode);
    }
    if ((b1 & 0x80) == 0) {
      return fail(WsReadError::kUnmasked);  // §5.1: the server MUST close
    }
    if (control && !fin) {
      return fail(WsReadError::kControlFragmented);
    }
    if (control && len7 > kMaxControlPayload) {
      return fail(WsReadError::kControlTooLong);
    }
    const std::size_t length_octets = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    const std::size_t header = 2 + length_octets + 4;
    if (avail < header) {
      return Event::kNeedMore;
    }
    std::uint64_t len = len7;
    if (length_octets != 0) {
      len = 0;
      for (std::size_t i = 0; i < length_octets; ++i) {
        len = (len << 8) | octet(p, 2 + i);
      }
      // §5.2: the minimal number of octets MUST be used; the 64-bit form's MSB MUST be 0.
      if ((length_octets == 2 && len < 126) || (length_octets == 8 && len <= 0xFFFF) ||
          (len >> 63) != 0) {
        return fail(WsReadError::kBadLength);
      }
    }
    const unsigned char* key = reinterpret_cast<const unsigned char*>(p + 2 + length_octets);
    if (control) {
      if (avail < header + len) {
        return Event::kNeedMore;
      }
      char* payload = data + consumed + header;
      ws_unmask(payload, static_cast<std::size_t>(len), key, 0);
      consumed += header + static_cast<std::size_t>(len);
      return control_frame(opcode, payload, static_cast<std::size_t>(len));
    }
    if (opcode == kContinuation && !open_) {
      return fail(WsReadError::kUnexpectedContinuation);
    }
    if (opcode != kContinuation && open_) {
      return fail(WsReadError::kExpectedContinuation);
    }
    if (len > max_message_ || message_.size() > max_message_ - len) {
      return fail(WsReadError::kMessageTooBig);
    }
    if (opcode != kContinuation) {
      open_ = true;
      text_ = opcode == kText;
    }
    // One allocation for an unfragmented message, exactly its size; later fragments grow it
    // geometrically (a reserve per fragment would copy the message once per fragment).
    if (message_.empty()) {
      message_.reserve(static_cast<std::size_t>(len));
    }
    std::memcpy(key_, key, sizeof key_);
    consumed += header;
    remaining_ = len;
    mask_pos_ = 0;
    fin_ = fin;
    in_payload_ = true;
  }
}

WsFrameReader::Event WsFrameReader::control_frame(unsigned opcode, char* payload,
                                                  std::size_t len) {
  control_ = std::string_view(payload, len);
  if (opcode == kPing) {
    return Event::kPing;
  }
  if (opcode == kPong) {
    return Event::kPong;
  }
  // §5.5.1: no body, or a 2-octet status code (network order) and a UTF-8 reason.
  if (len == 0) {
    close_code_ = kNoStatus;
    return Event::kClose;
  }
  if (len == 1) {
    return fail(WsReadError::kBadClosePayload);
  }
  const auto code = static_cast<std::uint16_t>((octet(payload, 0) << 8) | octet(payload, 1));
  if (!is_valid_close_code(code)) {
    return fail(WsReadError::kBadCloseCode);
  }
  control_.remove_prefix(2);
  if (!common::is_valid_utf8(control_)) {
    return fail(WsReadError::kBadCloseReason);
  }
  close_code_ = code;
  return Event::kClose;
}

}  // namespace wimpu::transport::detail
