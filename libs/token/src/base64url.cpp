#include "wimpu/token/base64url.hpp"

#include <array>

namespace wimpu::token::base64url {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 0..63 for the RFC 4648 §5 alphabet, 0xff for everything else (padding and whitespace included:
// RFC 7515 §2 removes both, so their presence means the input is not a JWS segment).
constexpr std::array<std::uint8_t, 256> make_table() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) {
    v = 0xff;
  }
  for (std::uint8_t i = 0; i < 64; ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = i;
  }
  return t;
}
constexpr std::array<std::uint8_t, 256> kTable = make_table();

}  // namespace

void encode_append(std::span<const std::uint8_t> in, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + encoded_size(in.size()));
  char* o = out.data() + start;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = kAlphabet[v & 63];
  }
  const std::size_t rest = in.size() - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{in[i]} << 16;
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8);
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
  }
}

std::string encode(std::span<const std::uint8_t> in) {
  std::string out;
  encode_append(in, out);
  return out;
}

std::string encode(std::string_view in) {
  return encode(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(in.data()),
                                              in.size()));
}

Expected<std::size_t, DecodeError> decode_append(std::string_view in, std::string& out) {
  const std::size_t rest = in.size() % 4;
  if (rest == 1) {
    return DecodeError::kBadLength;
  }
  const std::size_t start = out.size();
  const std::size_t produced = in.size() / 4 * 3 + (rest == 0 ? 0 : rest - 1);
  out.resize(start + produced);
  auto* o = reinterpret_cast<std::uint8_t*>(out.data() + start);
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t full = in.size() - rest;
  std::uint32_t bad = 0;  // OR of every table value: one check per segment, not per character
  for (std::size_t i = 0; i < full; i += 4) {
    const std::uint32_t a = kTable[p[i]];
    const std::uint32_t b = kTable[p[i + 1]];
    const std::uint32_t c = kTable[p[i + 2]];
    const std::uint32_t d = kTable[p[i + 3]];
    bad |= a | b | c | d;
    const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    *o++ = static_cast<std::uint8_t>(v >> 16);
    *o++ = static_cast<std::uint8_t>(v >> 8);
    *o++ = static_cast<std::uint8_t>(v);
  }
  bool non_canonical = false;
  if (rest >= 2) {
    const std::uint32_t a = kTable[p[full]];
    const std::uint32_t b = kTable[p[full + 1]];
    const std::uint32_t c = rest == 3 ? kTable[p[full + 2]] : 0;
    bad |= a | b | c;
    const std::uint32_t v = (a << 18) | (b << 12) | (c << 6);
    *o++ = static_cast<std::uint8_t>(v >> 16);
    if (rest == 3) {
      *o++ = static_cast<std::uint8_t>(v >> 8);
      non_canonical = (c & 0x3) != 0;  // 18 bits carry 16: the low 2 bits must be zero
    } else {
      non_canonical = (b & 0xf) != 0;  // 12 bits carry 8: the low 4 bits must be zero
    }
  }
  if (bad & 0x80) {
    out.resize(start);
    return DecodeError::kBadCharacter;
  }
  if (non_canonical) {
    out.resize(start);
    return DecodeError::kNonCanonical;
  }
  return produced;
}

Expected<std::string, DecodeError> decode(std::string_view in) {
  std::string out;
  auto r = decode_append(in, out);
  if (!r) {
    return r.error();
  }
  return out;
}

}  // namespace wimpu::token::base64url
