// libFuzzer target for Diameter decoding (STYLE.md habit 8): the raw AVP reader over the input,
// then both Cx decoders; whatever decodes is re-encoded and must decode to the same value.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "wimpu/diameter/avp.hpp"
#include "wimpu/diameter/cx_codec.hpp"

namespace {

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

// Walks nested groups to a fixed depth, decoding every leaf as each scalar type.
void walk(std::span<const std::uint8_t> bytes, int depth) {
  wimpu::diameter::AvpReader reader(bytes);
  for (int i = 0; i < 64; ++i) {
    auto next = reader.next();
    if (!next || !next->has_value()) {
      return;
    }
    const wimpu::diameter::AvpView& avp = **next;
    (void)wimpu::diameter::avp_u32(avp);
    (void)wimpu::diameter::avp_utf8(avp);
    if (depth < 3) {
      walk(avp.data, depth + 1);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wimpu::diameter;
  const std::span<const std::uint8_t> input(data, size);
  walk(input, 0);
  if (size >= kMessageHeaderSize) {
    walk(input.subspan(kMessageHeaderSize), 0);
  }
  if (auto request = decode_request(input)) {
    auto again = decode_request(encode_request(*request, MessageIds{1, 2}));
    check(again && *again == *request);
  }
  if (auto answer = decode_answer(input)) {
    auto again = decode_answer(encode_answer(*answer, MessageIds{1, 2}));
    check(again && *again == *answer);
  }
  return 0;
}
