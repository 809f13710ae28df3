#pragma once
// SIP message framing on a byte stream (TCP, TLS): RFC 3261 §18.3 (the header block ends at the
// first empty line, the body is exactly Content-Length bytes, Content-Length is mandatory on
// streams), §7.5 (CRLFs before a start line are ignored) and RFC 5626 §3.5.1 (a CRLFCRLF "ping"
// between messages is answered with a CRLF "pong"). Pure computation, no I/O: the connection reads
// into prepare()/commit() and then calls next() until it says kNeedMore. Fuzzed by
// libs/transport/fuzz/stream_framer_fuzz.cpp.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace wimpu::transport {

/// Splits a byte stream into SIP messages.
///
/// Threading: none (one per connection, used by its shard). Memory: the internal buffer never
/// grows beyond max_header_bytes + max_body_bytes + the largest prepare() size.
class StreamFramer {
public:
  struct Limits {
    std::size_t max_header_bytes = 16 * 1024;  ///< Start line + headers + the empty line.
    std::size_t max_body_bytes = 64 * 1024;    ///< Largest Content-Length.
  };

  enum class Event {
    kNeedMore,  ///< No complete message buffered; read more.
    kMessage,   ///< `message` holds one complete message (header block + body).
    kPing,      ///< A CRLFCRLF keep-alive was consumed; answer with "\r\n" (RFC 5626 §3.5.1).
    kError,     ///< Framing is lost; error() says why. Close the connection. Sticky.
  };

  enum class Error {
    kNone,
    kHeaderTooLarge,        ///< No empty line within max_header_bytes.
    kBodyTooLarge,          ///< Content-Length over max_body_bytes.
    kMissingContentLength,  ///< RFC 3261 §18.3: mandatory on stream transports.
    kBadContentLength,      ///< Not a decimal number, or two different values.
  };

  explicit StreamFramer(Limits limits);

  /// A writable region of at least `n` bytes at the end of the buffered data. Valid until the
  /// next call of any non-const method.
  std::span<char> prepare(std::size_t n);

  /// Marks `n` bytes of the last prepare() region as received.
  void commit(std::size_t n);

  /// Copies `bytes` in (prepare + commit), for tests and the fuzzer.
  void feed(std::string_view bytes);

  /// Extracts the next event. On kMessage, `message` is replaced by the message bytes (one copy
  /// out of the stream buffer; the caller moves it on).
  Event next(std::string& message);

  /// Why the last kError happened (kNone otherwise).
  Error error() const { return error_; }

  /// Bytes buffered and not yet returned.
  std::size_t buffered() const { return end_ - begin_; }

private:
  Event fail(Error e);
  // Parses the header block [begin_, begin_ + header_len) for Content-Length / l.
  Error parse_content_length(std::string_view headers, std::size_t& length) const;

  Limits limits_;
  std::string buf_;
  std::size_t begin_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // one past the last received byte
  // Where the search for the empty line resumes, relative to begin_ (avoids rescanning when a
  // message arrives in many small segments).
  std::size_t scan_from_ = 0;
  // Total size of the message at begin_ once its header block was parsed, 0 before.
  std::size_t pending_total_ = 0;
  Error error_ = Error::kNone;
};

/// Lower-case name of a framing error, used in counter names.
std::string_view to_string(StreamFramer::Error e);

}  // namespace wimpu::transport
