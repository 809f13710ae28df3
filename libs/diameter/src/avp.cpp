#include "wimpu/diameter/avp.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "wimpu/common/assert.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/common/utf8.hpp"

namespace wimpu::diameter {
namespace {

constexpr std::size_t kAvpHeaderSize = 8;
constexpr std::size_t kAvpVendorHeaderSize = 12;

std::uint32_t read_u24(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | std::uint32_t{p[2]};
}

std::uint32_t read_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

void write_u24(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 16);
  p[1] = static_cast<std::uint8_t>(v >> 8);
  p[2] = static_cast<std::uint8_t>(v);
}

void append_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

constexpr std::size_t padded(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

// One counter per error code, resolved once (the registry lookup takes a lock).
common::Counter& error_counter(DecodeErrorCode code) {
  static const std::array<common::Counter*, 9> counters = [] {
    std::array<common::Counter*, 9> c{};
    for (std::size_t i = 0; i < c.size(); ++i) {
      c[i] = &common::counter(std::string("diameter.decode_error.") +
                              std::string(to_string(static_cast<DecodeErrorCode>(i))));
    }
    return c;
  }();
  return *counters[static_cast<std::size_t>(code)];
}

}  // namespace

std::string_view to_string(DecodeErrorCode code) noexcept {
  switch (code) {
    case DecodeErrorCode::kTruncated: return "truncated";
    case DecodeErrorCode::kBadVersion: return "bad_version";
    case DecodeErrorCode::kBadMessageLength: return "bad_message_length";
    case DecodeErrorCode::kBadAvpLength: return "bad_avp_length";
    case DecodeErrorCode::kBadAvpValue: return "bad_avp_value";
    case DecodeErrorCode::kMissingAvp: return "missing_avp";
    case DecodeErrorCode::kDuplicateAvp: return "duplicate_avp";
    case DecodeErrorCode::kTooManyAvps: return "too_many_avps";
    case DecodeErrorCode::kUnexpectedCommand: return "unexpected_command";
  }
  return "unknown";
}

DecodeError decode_error(DecodeErrorCode code, std::uint32_t avp_code, std::uint32_t vendor_id) {
  error_counter(code).inc();
  return DecodeError{code, avp_code, vendor_id};
}

DecodeResult<std::optional<AvpView>> AvpReader::next() {
  const std::size_t left = bytes_.size() - offset_;
  if (left == 0) {
    return std::optional<AvpView>{};
  }
  if (left < kAvpHeaderSize) {
    return decode_error(DecodeErrorCode::kTruncated);
  }
  const std::uint8_t* p = bytes_.data() + offset_;
  AvpView avp;
  avp.code = read_u32(p);
  avp.flags = p[4];
  const std::uint32_t length = read_u24(p + 5);
  std::size_t header = kAvpHeaderSize;
  if ((avp.flags & kAvpFlagVendor) != 0) {
    if (left < kAvpVendorHeaderSize) {
      return decode_error(DecodeErrorCode::kTruncated, avp.code);
    }
    avp.vendor_id = read_u32(p + 8);
    header = kAvpVendorHeaderSize;
  }
  // RFC 6733 §4.1: the length covers header and data but not the padding; the padding may be
  // missing only for the last AVP of the buffer (tolerated, as most stacks do).
  if (length < header || length > left) {
    return decode_error(DecodeErrorCode::kBadAvpLength, avp.code, avp.vendor_id);
  }
  const std::size_t total = std::min(padded(length), left);
  avp.data = bytes_.subspan(offset_ + header, length - header);
  avp.raw = bytes_.subspan(offset_, total);
  offset_ += total;
  return std::optional<AvpView>{avp};
}

DecodeResult<std::vector<AvpView>> parse_avps(std::span<const std::uint8_t> bytes,
                                              std::size_t max_avps) {
  std::vector<AvpView> out;
  AvpReader reader(bytes);
  while (true) {
    auto next = reader.next();
    if (!next) {
      return next.error();
    }
    if (!next->has_value()) {
      return out;
    }
    if (out.size() == max_avps) {
      return decode_error(DecodeErrorCode::kTooManyAvps);
    }
    out.push_back(**next);
  }
}

DecodeResult<std::uint32_t> avp_u32(const AvpView& avp) {
  if (avp.data.size() != 4) {
    return decode_error(DecodeErrorCode::kBadAvpValue, avp.code, avp.vendor_id);
  }
  return read_u32(avp.data.data());
}

std::string_view avp_octets(const AvpView& avp) {
  return std::string_view(reinterpret_cast<const char*>(avp.data.data()), avp.data.size());
}

DecodeResult<std::string_view> avp_utf8(const AvpView& avp) {
  const std::string_view text = avp_octets(avp);
  if (!common::is_valid_utf8(text)) {
    return decode_error(DecodeErrorCode::kBadAvpValue, avp.code, avp.vendor_id);
  }
  return text;
}

DecodeResult<std::string> avp_string(const AvpView& avp, const AvpDef& def) {
  if (def.type == AvpType::kUtf8String) {
    auto text = avp_utf8(avp);
    if (!text) {
      return text.error();
    }
    return std::string(*text);
  }
  WIMPU_ASSERT(def.type == AvpType::kOctetString);
  return std::string(avp_octets(avp));
}

std::size_t AvpWriter::put_header(const AvpDef& def) {
  const std::size_t start = out_.size();
  append_u32(out_, def.code);
  out_.push_back(def.flags());
  out_.insert(out_.end(), 3, 0);  // length, patched by finish()
  if (def.vendor_id != 0) {
    append_u32(out_, def.vendor_id);
  }
  return start;
}

void AvpWriter::finish(std::size_t start) {
  const std::size_t length = out_.size() - start;
  WIMPU_RELEASE_ASSERT(length < (std::size_t{1} << 24));
  write_u24(out_.data() + start + 5, static_cast<std::uint32_t>(length));
  out_.resize(start + padded(length), 0);
}

void AvpWriter::u32(const AvpDef& def, std::uint32_t value) {
  WIMPU_ASSERT(def.type == AvpType::kUnsigned32 || def.type == AvpType::kEnumerated);
  const std::size_t start = put_header(def);
  append_u32(out_, value);
  finish(start);
}

void AvpWriter::string(const AvpDef& def, std::string_view value) {
  WIMPU_ASSERT(def.type == AvpType::kOctetString || def.type == AvpType::kUtf8String);
  const std::size_t start = put_header(def);
  out_.insert(out_.end(), value.begin(), value.end());
  finish(start);
}

void AvpWriter::raw(std::span<const std::uint8_t> avp_bytes) {
  out_.insert(out_.end(), avp_bytes.begin(), avp_bytes.end());
  out_.resize(padded(out_.size()), 0);
}

std::size_t AvpWriter::open_group(const AvpDef& def) {
  WIMPU_ASSERT(def.type == AvpType::kGrouped);
  return put_header(def);
}

void AvpWriter::close_group(std::size_t token) { finish(token); }

DecodeResult<MessageView> parse_message(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kMessageHeaderSize) {
    return decode_error(DecodeErrorCode::kTruncated);
  }
  const std::uint8_t* p = bytes.data();
  if (p[0] != 1) {
    return decode_error(DecodeErrorCode::kBadVersion);
  }
  const std::uint32_t length = read_u24(p + 1);
  if (length != bytes.size() || length % 4 != 0 || length > kMaxMessageSize) {
    return decode_error(DecodeErrorCode::kBadMessageLength);
  }
  MessageView view;
  view.header.flags = p[4];
  view.header.command_code = read_u24(p + 5);
  view.header.application_id = read_u32(p + 8);
  view.header.hop_by_hop = read_u32(p + 12);
  view.header.end_to_end = read_u32(p + 16);
  view.avps = bytes.subspan(kMessageHeaderSize);
  return view;
}

void begin_message(std::vector<std::uint8_t>& out, const MessageHeader& header) {
  out.clear();
  out.push_back(1);
  out.insert(out.end(), 3, 0);
  out.push_back(header.flags);
  out.push_back(static_cast<std::uint8_t>(header.command_code >> 16));
  out.push_back(static_cast<std::uint8_t>(header.command_code >> 8));
  out.push_back(static_cast<std::uint8_t>(header.command_code));
  append_u32(out, header.application_id);
  append_u32(out, header.hop_by_hop);
  append_u32(out, header.end_to_end);
}

void finish_message(std::vector<std::uint8_t>& out) {
  WIMPU_RELEASE_ASSERT(out.size() >= kMessageHeaderSize && out.size() <= kMaxMessageSize);
  write_u24(out.data() + 1, static_cast<std::uint32_t>(out.size()));
}

}  // namespace wimpu::diameter
