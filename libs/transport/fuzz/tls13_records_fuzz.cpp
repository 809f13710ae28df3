// libFuzzer target for the inbound TLS 1.3 record parser (src/tls13_records: tls13::next_record,
// RFC 8446 §5). Byte 0 chooses the suite, the mode and the read size. Raw mode feeds the rest as
// received ciphertext, read in pieces into a buffer handled as TlsStream handles its own. Sealed
// mode turns the rest into records sealed with the reader's own keys (chunks of [inner type,
// length, content...]), so the fuzzer reaches what lies behind the tag check: content types,
// padding, alerts, KeyUpdate. Invariants: no crash, no access outside the buffer, consumed bytes
// within what was received, content within its record, and the parse stops at the first alert.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../src/tls13_records.hpp"

namespace t13 = wimpu::transport::detail::tls13;

namespace {

// RFC 8448 §3 client_application_traffic_secret_0 (SHA-256 suites; SHA-384 repeats it), so a
// corpus entry can hold the RFC's own record.
constexpr std::uint8_t kSecret[48] = {
    0x9e, 0x40, 0x64, 0x6c, 0xe7, 0x9a, 0x7f, 0x9d, 0xc0, 0x5a, 0xf8, 0x88, 0x9b, 0xce, 0x65, 0x52,
    0x87, 0x5a, 0xfa, 0x0b, 0x06, 0xdf, 0x00, 0x87, 0xf7, 0x92, 0xeb, 0xb7, 0xc1, 0x75, 0x04, 0xa5,
    0x9e, 0x40, 0x64, 0x6c, 0xe7, 0x9a, 0x7f, 0x9d, 0xc0, 0x5a, 0xf8, 0x88, 0x9b, 0xce, 0x65, 0x52};

std::vector<std::uint8_t> seal_chunks(t13::Suite suite, const std::uint8_t* p, std::size_t n) {
  t13::DirectionKeys writer;
  const std::size_t hash = suite == t13::Suite::kAes256GcmSha384 ? 48 : 32;
  if (!t13::install_secret(suite, kSecret, hash, writer)) {
    std::abort();
  }
  std::vector<std::uint8_t> wire;
  std::size_t i = 0;
  while (i + 2 <= n) {
    const auto type = static_cast<t13::ContentType>(p[i]);
    const std::size_t len = std::min<std::size_t>(p[i + 1], n - i - 2);
    const std::size_t at = wire.size();
    wire.resize(at + t13::sealed_size(len));
    std::memcpy(wire.data() + at + t13::kHeaderSize, p + i + 2, len);
    if (!t13::seal(suite, writer, type, wire.data() + at, len)) {
      std::abort();
    }
    // A well-formed KeyUpdate moves the writer on as the reader will.
    if (type == t13::ContentType::kHandshake && len == 5 && p[i + 2] == 24 && p[i + 3] == 0 &&
        p[i + 4] == 0 && p[i + 5] == 1 && p[i + 6] <= 1) {
      t13::update_secret(suite, writer);
    }
    i += 2 + len;
  }
  return wire;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const auto suite = static_cast<t13::Suite>(data[0] % 3);
  const bool sealed = (data[0] & 0x04) != 0;
  const std::size_t chunk = 1 + (data[0] >> 3) * 97;  // 1 .. 3008 bytes per read
  std::vector<std::uint8_t> input(data + 1, data + size);
  if (sealed) {
    input = seal_chunks(suite, data + 1, size - 1);
  }
  t13::DirectionKeys reader;
  const std::size_t hash = suite == t13::Suite::kAes256GcmSha384 ? 48 : 32;
  if (!t13::install_secret(suite, kSecret, hash, reader)) {
    std::abort();
  }
  constexpr std::size_t kBuffer = t13::kHeaderSize + t13::kMaxCiphertext;
  std::vector<std::uint8_t> buf(kBuffer);
  std::size_t beg = 0;
  std::size_t end = 0;
  std::size_t pos = 0;
  for (;;) {
    const t13::Inbound in = t13::next_record(suite, reader, buf.data() + beg, end - beg);
    if (in.consumed > end - beg) {
      std::abort();
    }
    using Kind = t13::Inbound::Kind;
    if (in.kind == Kind::kData && t13::kHeaderSize + in.size > in.consumed) {
      std::abort();
    }
    if (in.kind == Kind::kFatal || in.kind == Kind::kPeerAlert ||
        in.kind == Kind::kCloseNotify) {
      return 0;
    }
    if (in.kind != Kind::kNeedMore) {
      beg += in.consumed;
      continue;
    }
    if (pos == input.size()) {
      return 0;
    }
    std::memmove(buf.data(), buf.data() + beg, end - beg);
    end -= beg;
    beg = 0;
    const std::size_t take = std::min({chunk, input.size() - pos, kBuffer - end});
    if (take == 0) {
      std::abort();  // a whole maximum-size record always fits: the parser must have taken it
    }
    std::memcpy(buf.data() + end, input.data() + pos, take);
    end += take;
    pos += take;
  }
}
