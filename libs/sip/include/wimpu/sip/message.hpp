#pragma once
// The SIP message model (RFC 3261 §7). A Message owns its bytes in one contiguous buffer and indexes
// them with views: every header line, plus the routing-relevant headers parsed eagerly at ingress
// (STYLE.md "Errors": no lazy parse-on-access): start line, Via, From, To, Call-ID, CSeq,
// Max-Forwards, Route, Record-Route, Contact, Content-Length and the body. Other headers stay views;
// typed accessors in header_values.hpp parse them on request.
//
// A Message is immutable once parsed. Proxies do not mutate it: they describe their changes with a
// MessageEditor (editor.hpp), which copies the untouched byte ranges into the outgoing buffer.
//
// Threading: a Message is a value. Reading it from several threads is safe; parse_into() on the same
// object from two threads is not. Views handed out (Uri, Via, NameAddr, string_view) point into the
// Message's buffer: they stay valid until the Message is destroyed, re-parsed or assigned to.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wimpu/sip/header.hpp"
#include "wimpu/sip/method.hpp"
#include "wimpu/sip/name_addr.hpp"
#include "wimpu/sip/parse_error.hpp"
#include "wimpu/sip/uri.hpp"
#include "wimpu/sip/via.hpp"

namespace wimpu::sip {

/// The CSeq header (RFC 3261 §20.16).
struct CSeq {
  std::uint32_t number = 0;
  Method method = Method::kExtension;
  std::string_view method_text;  ///< as received; equals the request method for requests
};

/// How the bytes reached us, which decides framing rules.
struct ParseOptions {
  /// Content-Length must be present. RFC 3261 §18.3/§20.14: mandatory on stream transports; on
  /// UDP and on WebSocket (RFC 7118 §5) it may be absent and the body runs to the end of the input.
  bool require_content_length = true;
  /// Inputs longer than this are rejected with kMessageTooLarge before any parsing.
  std::size_t max_size = 65535;

  /// TCP/TLS: Content-Length mandatory.
  static ParseOptions stream() { return ParseOptions{true, 65535}; }
  /// UDP: Content-Length optional; bytes after the body are ignored (RFC 3261 §18.3, RFC 4475
  /// §3.1.1.11).
  static ParseOptions datagram() { return ParseOptions{false, 65535}; }
  /// WebSocket: one SIP message per WebSocket message, Content-Length optional (RFC 7118 §5).
  static ParseOptions websocket() { return ParseOptions{false, 65535}; }
};

class Message;

/// Parses `bytes` into `msg`, reusing its buffer and index capacity: after warm-up (once `msg` has
/// seen a message at least as large), parsing does no heap allocation. Leading CRLFs are skipped
/// (RFC 3261 §7.5). When Content-Length is present, bytes after the body are not part of the
/// message (Message::bytes() excludes them). On error `msg` is left empty (Message::empty()) and the
/// error's offset is relative to `bytes`. Never throws, never reads outside `bytes`.
/// Validation done here: start line, header line syntax, mandatory headers (To, From, Call-ID,
/// CSeq, Via; RFC 3261 §8.1.1), single-valued headers not repeated, the syntax of every eagerly
/// parsed header, CSeq method == request method, Content-Length vs available body.
ParseResult<void> parse_into(Message& msg, std::string_view bytes, const ParseOptions& options);
/// parse_into() that adopts `bytes` as the message's buffer instead of copying it: no copy and no
/// allocation for the bytes (a transport hands over the string it received into). Same validation,
/// results and error offsets as the overload above; `bytes` is left valid but unspecified (moved
/// from), on success and on error. The capacity of the buffer `msg` held before is not reused.
ParseResult<void> parse_into(Message& msg, std::string&& bytes, const ParseOptions& options);
/// A NUL-terminated string is viewed, not adopted (without this overload a literal would be
/// ambiguous between the two above).
inline ParseResult<void> parse_into(Message& msg, const char* bytes, const ParseOptions& options) {
  return parse_into(msg, std::string_view(bytes), options);
}

/// A parsed SIP request or response. See the file comment for ownership and threading.
class Message {
public:
  Message() = default;
  /// Deep copy (copies the bytes and rebuilds the index). Allocates.
  Message(const Message& other);
  Message& operator=(const Message& other);
  /// Moves keep the views valid (the buffer moves with the message).
  Message(Message&& other) noexcept;
  Message& operator=(Message&& other) noexcept;
  ~Message() = default;

  /// Parses a fresh Message from `bytes` (copies them). Convenience over parse_into().
  static ParseResult<Message> parse(std::string_view bytes,
                                    const ParseOptions& options = ParseOptions::datagram());

  /// True before the first successful parse and after a failed one.
  bool empty() const { return headers_.empty(); }

  /// The message bytes: start line through the end of the body (trailing input excluded).
  std::string_view bytes() const { return std::string_view(buf_).substr(0, size_); }
  /// The start line without its CRLF.
  std::string_view start_line() const { return start_line_; }

  bool is_request() const { return is_request_; }
  bool is_response() const { return !is_request_; }

  // ---- Request line (requests only; empty/default for responses) ----
  Method method() const { return method_; }
  /// Method token as received (needed for extension methods).
  std::string_view method_text() const { return method_text_; }
  const Uri& request_uri() const { return request_uri_; }

  // ---- Status line (responses only; 0/empty for requests) ----
  int status_code() const { return status_code_; }
  std::string_view reason_phrase() const { return reason_; }

  // ---- All header lines, in order ----
  std::span<const HeaderField> headers() const { return headers_; }
  /// First header line with this id, or nullptr.
  const HeaderField* find(HeaderId id) const;
  /// First header line whose name matches `name` (case-insensitive; compact forms of known
  /// headers match too), or nullptr.
  const HeaderField* find(std::string_view name) const;
  /// Value of the first header line with this id; empty when absent.
  std::string_view header_value(HeaderId id) const {
    const HeaderField* h = find(id);
    return h ? h->value : std::string_view();
  }
  /// Number of header lines with this id (a line may carry several comma-separated values).
  std::size_t count(HeaderId id) const;
  /// Offset in bytes() of the empty line that ends the header section (where headers are added).
  std::uint32_t header_section_end() const { return headers_end_; }

  // ---- Eagerly parsed headers ----
  /// Every Via value, top first, across all Via lines (comma-separated and repeated).
  std::span<const Via> vias() const { return vias_; }
  /// The topmost Via. Precondition: !empty() (parsing guarantees at least one Via).
  const Via& top_via() const { return vias_.front(); }
  const NameAddr& from() const { return from_; }
  const NameAddr& to() const { return to_; }
  std::string_view from_tag() const { return from_.tag(); }
  std::string_view to_tag() const { return to_.tag(); }
  std::string_view call_id() const { return call_id_; }
  const CSeq& cseq() const { return cseq_; }
  /// Max-Forwards when present (0..255). Absent is legal for RFC 2543 peers (RFC 4475 §3.4.1).
  std::optional<std::uint8_t> max_forwards() const { return max_forwards_; }
  /// Route values, top first (comma-separated and repeated lines flattened).
  std::span<const NameAddr> routes() const { return routes_; }
  /// Record-Route values, top first.
  std::span<const NameAddr> record_routes() const { return record_routes_; }
  /// Contact values (empty when absent or when the Contact is "*").
  std::span<const NameAddr> contacts() const { return contacts_; }
  /// Contact is "*" (REGISTER un-registration of all bindings, RFC 3261 §10.2.2).
  bool contact_is_star() const { return contact_star_; }
  /// Content-Length when present.
  std::optional<std::uint32_t> content_length() const { return content_length_; }
  /// The body (Content-Length bytes, or everything after the header section when CL is absent).
  std::string_view body() const { return body_; }

  /// Options the message was parsed with (used to re-parse on copy).
  const ParseOptions& parse_options() const { return options_; }

private:
  friend class MessageParser;

  void clear_index();

  std::string buf_;
  std::size_t size_ = 0;
  ParseOptions options_;
  std::string_view start_line_;
  bool is_request_ = false;
  Method method_ = Method::kExtension;
  std::string_view method_text_;
  Uri request_uri_;
  int status_code_ = 0;
  std::string_view reason_;
  std::vector<HeaderField> headers_;
  std::uint32_t headers_end_ = 0;
  std::vector<Via> vias_;
  NameAddr from_;
  NameAddr to_;
  std::string_view call_id_;
  CSeq cseq_;
  std::optional<std::uint8_t> max_forwards_;
  std::vector<NameAddr> routes_;
  std::vector<NameAddr> record_routes_;
  std::vector<NameAddr> contacts_;
  bool contact_star_ = false;
  std::optional<std::uint32_t> content_length_;
  std::string_view body_;
};

}  // namespace wimpu::sip
