#pragma once
// The Diameter wire format (RFC 6733 §3, §4) without any freeDiameter dependency: a bounds-checked
// reader over AVPs in a byte buffer and a writer that appends AVPs with padding. The Cx codec
// (cx_codec.hpp) is built on these; the fuzzer (fuzz/diameter_avp_fuzz.cpp) drives them directly.
//
// Decoding never throws and never reads outside the given span: every malformed input becomes a
// DecodeError (and bumps the counter "diameter.decode_error.<code>").
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wimpu/common/expected.hpp"
#include "wimpu/diameter/codes.hpp"

namespace wimpu::diameter {

/// Closed set of reasons a Diameter message or AVP is rejected. On the server side they map to base
/// Result-Codes: kMissingAvp -> 5005 DIAMETER_MISSING_AVP, kBadAvpValue -> 5004
/// DIAMETER_INVALID_AVP_VALUE, framing errors -> 5014/5015 (RFC 6733 §7.1.5).
enum class DecodeErrorCode : std::uint8_t {
  kTruncated,          ///< fewer bytes than a header needs
  kBadVersion,         ///< message version is not 1 (RFC 6733 §3)
  kBadMessageLength,   ///< message length field disagrees with the buffer or is not 4-aligned
  kBadAvpLength,       ///< AVP length smaller than its header or running past its container
  kBadAvpValue,        ///< wrong size for the type, invalid UTF-8, or a value out of range
  kMissingAvp,         ///< a required {AVP} of the command's ABNF is absent
  kDuplicateAvp,       ///< a single-valued AVP appears twice
  kTooManyAvps,        ///< more AVPs than the decoder accepts at one level
  kUnexpectedCommand,  ///< not a Cx command, wrong application id or wrong R bit
};

/// Stable lowercase name ("missing_avp", ...), used in logs and counter names.
std::string_view to_string(DecodeErrorCode code) noexcept;

/// Why decoding failed, and which AVP was at fault (0/0 for framing errors).
struct DecodeError {
  DecodeErrorCode code = DecodeErrorCode::kTruncated;
  std::uint32_t avp_code = 0;
  std::uint32_t vendor_id = 0;

  friend bool operator==(const DecodeError&, const DecodeError&) = default;
};

/// Builds a DecodeError and bumps its counter. Used by every decoder of this library.
DecodeError decode_error(DecodeErrorCode code, std::uint32_t avp_code = 0,
                         std::uint32_t vendor_id = 0);

template <class T>
using DecodeResult = wimpu::Expected<T, DecodeError>;

/// One AVP as it sits in a buffer. `data` excludes header and padding and points into the buffer
/// the reader was given: valid as long as that buffer is.
struct AvpView {
  std::uint32_t code = 0;
  std::uint8_t flags = 0;
  std::uint32_t vendor_id = 0;  ///< 0 when the V bit is clear
  std::span<const std::uint8_t> data;
  /// The whole AVP (header, data and padding) as it was received: lets a proxy echo it unchanged.
  std::span<const std::uint8_t> raw;

  /// M bit set by the sender.
  bool mandatory() const { return (flags & kAvpFlagMandatory) != 0; }
  /// True when code and vendor match `def` (flags are not compared: RFC 6733 §4.1 lets a receiver
  /// accept an unexpected M bit).
  bool is(const AvpDef& def) const { return code == def.code && vendor_id == def.vendor_id; }
};

/// Iterates over the AVPs of one level: a message body or the data of a Grouped AVP.
/// Not thread-safe; cheap to copy.
class AvpReader {
public:
  explicit AvpReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  /// The next AVP, std::nullopt at the end, or an error when the next header or length is bad.
  /// After an error the reader stays at the failing offset (it keeps returning the error).
  DecodeResult<std::optional<AvpView>> next();

private:
  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
};

/// All AVPs of one level, in order. Fails on the first malformed one or past `max_avps`.
DecodeResult<std::vector<AvpView>> parse_avps(std::span<const std::uint8_t> bytes,
                                              std::size_t max_avps = 128);

/// Unsigned32/Enumerated value (exactly 4 bytes, RFC 6733 §4.2).
DecodeResult<std::uint32_t> avp_u32(const AvpView& avp);
/// OctetString/DiameterIdentity value as a view into the buffer.
std::string_view avp_octets(const AvpView& avp);
/// UTF8String value; fails on invalid UTF-8 (RFC 6733 §4.3.1, RFC 3629).
DecodeResult<std::string_view> avp_utf8(const AvpView& avp);
/// Decodes `avp` per `def.type` (kOctetString or kUtf8String) into an owned string.
DecodeResult<std::string> avp_string(const AvpView& avp, const AvpDef& def);

/// Appends AVPs to a byte vector, with the flags from each AvpDef and 4-byte padding (RFC 6733
/// §4). Grouped AVPs are opened and closed explicitly; their length is patched on close.
/// Not thread-safe; the vector must outlive the writer.
class AvpWriter {
public:
  explicit AvpWriter(std::vector<std::uint8_t>& out) : out_(out) {}

  /// Appends an Unsigned32/Enumerated AVP (`def.type` must be one of those).
  void u32(const AvpDef& def, std::uint32_t value);
  /// Appends an OctetString/UTF8String AVP; the value is written as given (callers pass UTF-8).
  void string(const AvpDef& def, std::string_view value);
  /// Appends pre-encoded AVP bytes (for example an echoed Proxy-Info) unchanged.
  void raw(std::span<const std::uint8_t> avp_bytes);
  /// Starts a Grouped AVP; returns a token for close_group(). Groups nest.
  [[nodiscard]] std::size_t open_group(const AvpDef& def);
  /// Ends the group started by `token` (its length is patched now).
  void close_group(std::size_t token);

private:
  std::size_t put_header(const AvpDef& def);
  void finish(std::size_t start);

  std::vector<std::uint8_t>& out_;
};

/// Size of the Diameter message header (RFC 6733 §3).
inline constexpr std::size_t kMessageHeaderSize = 20;
/// Largest message we build or accept (the length field is 24 bits; Cx messages are small).
inline constexpr std::size_t kMaxMessageSize = 1 << 20;

/// The fixed header of a Diameter message (RFC 6733 §3).
struct MessageHeader {
  std::uint8_t flags = 0;
  std::uint32_t command_code = 0;
  std::uint32_t application_id = 0;
  std::uint32_t hop_by_hop = 0;
  std::uint32_t end_to_end = 0;

  /// R bit: a request.
  bool request() const { return (flags & kFlagRequest) != 0; }
  /// E bit: an answer carrying a protocol error (RFC 6733 §7.1.3).
  bool error() const { return (flags & kFlagError) != 0; }
};

/// A parsed message: header plus a view of its AVP bytes (into the caller's buffer).
struct MessageView {
  MessageHeader header;
  std::span<const std::uint8_t> avps;
};

/// Parses the header of a complete message: version 1, length equal to `bytes.size()`, 4-aligned.
DecodeResult<MessageView> parse_message(std::span<const std::uint8_t> bytes);

/// Writes a 20-byte header at the start of `out` (resizing it if needed) with the length set to
/// out.size() once the AVPs are appended: call it first, then finish_message() after the AVPs.
void begin_message(std::vector<std::uint8_t>& out, const MessageHeader& header);
/// Patches the length field of a message started by begin_message().
void finish_message(std::vector<std::uint8_t>& out);

}  // namespace wimpu::diameter
