#include "wimpu/transport/flow_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include "wimpu/common/counter.hpp"

namespace wimpu::transport {
namespace {

constexpr std::size_t kPayloadBytes = 14;  // epoch(4) shard(2) slot(4) generation(4)
constexpr std::size_t kMacBytes = 10;      // 80 bits, as RFC 5626 §5.2's HMAC-SHA1-80 example
constexpr std::size_t kRawBytes = kPayloadBytes + kMacBytes;
static_assert((kRawBytes * 8 + 4) / 5 == FlowTokenCodec::kTokenLength);

constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";  // RFC 4648 §6, lower case

using Raw = std::array<unsigned char, kRawBytes>;

void put32(unsigned char* p, std::uint32_t v) {
  p[0] = static_cast<unsigned char>(v >> 24);
  p[1] = static_cast<unsigned char>(v >> 16);
  p[2] = static_cast<unsigned char>(v >> 8);
  p[3] = static_cast<unsigned char>(v);
}

std::uint32_t get32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// HMAC-SHA256(key, payload) truncated to kMacBytes (RFC 2104 §5 allows truncation to >= 80 bits).
void mac(const std::string& key, const unsigned char* payload, unsigned char* out) {
  unsigned char full[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), payload, kPayloadBytes, full, &len);
  std::copy_n(full, kMacBytes, out);
}

int decode_char(char c) {
  if (c >= 'a' && c <= 'z') {
    return c - 'a';
  }
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= '2' && c <= '7') {
    return c - '2' + 26;
  }
  return -1;
}

}  // namespace

FlowTokenCodec::FlowTokenCodec(std::string key, std::uint32_t epoch)
    : key_(std::move(key)), epoch_(epoch) {}

std::string FlowTokenCodec::encode(const FlowId& flow) const {
  Raw raw{};
  put32(raw.data(), epoch_);
  raw[4] = static_cast<unsigned char>(flow.shard >> 8);
  raw[5] = static_cast<unsigned char>(flow.shard);
  put32(raw.data() + 6, flow.slot);
  put32(raw.data() + 10, flow.generation);
  mac(key_, raw.data(), raw.data() + kPayloadBytes);

  std::string out;
  out.reserve(kTokenLength);
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : raw) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(acc >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) {
    out.push_back(kAlphabet[(acc << (5 - bits)) & 31]);
  }
  return out;
}

Expected<FlowId, FlowTokenError> FlowTokenCodec::decode(std::string_view token) const {
  static common::Counter& malformed = common::counter("transport.flow_token.malformed");
  static common::Counter& bad_mac = common::counter("transport.flow_token.bad_mac");
  static common::Counter& other_epoch = common::counter("transport.flow_token.other_epoch");

  if (token.size() != kTokenLength) {
    malformed.inc();
    return FlowTokenError::kTampered;
  }
  Raw raw{};
  std::size_t n = 0;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : token) {
    const int v = decode_char(c);
    if (v < 0) {
      malformed.inc();
      return FlowTokenError::kTampered;
    }
    acc = (acc << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      raw[n++] = static_cast<unsigned char>(acc >> (bits - 8));
      bits -= 8;
    }
  }
  // 39 chars = 195 bits: the 3 trailing pad bits must be zero, or two spellings would decode to
  // the same token.
  if ((acc & ((1U << bits) - 1)) != 0) {
    malformed.inc();
    return FlowTokenError::kTampered;
  }
  unsigned char expected[kMacBytes];
  mac(key_, raw.data(), expected);
  if (CRYPTO_memcmp(expected, raw.data() + kPayloadBytes, kMacBytes) != 0) {
    bad_mac.inc();
    return FlowTokenError::kTampered;
  }
  if (get32(raw.data()) != epoch_) {
    other_epoch.inc();
    return FlowTokenError::kFlowDead;
  }
  FlowId flow;
  flow.shard = static_cast<ShardId>((raw[4] << 8) | raw[5]);
  flow.slot = get32(raw.data() + 6);
  flow.generation = get32(raw.data() + 10);
  return flow;
}

}  // namespace wimpu::transport
