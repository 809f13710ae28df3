#include "wimpu/transport/stream_framer.hpp"

#include <algorithm>
#include <cstring>

namespace wimpu::transport {
namespace {

constexpr std::string_view kHeaderEnd = "\r\n\r\n";

bool is_ws(char c) { return c == ' ' || c == '\t'; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_ws(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string_view to_string(StreamFramer::Error e) {
  switch (e) {
    case StreamFramer::Error::kNone: return "none";
    case StreamFramer::Error::kHeaderTooLarge: return "header_too_large";
    case StreamFramer::Error::kBodyTooLarge: return "body_too_large";
    case StreamFramer::Error::kMissingContentLength: return "missing_content_length";
    case StreamFramer::Error::kBadContentLength: return "bad_content_length";
  }
  return "unknown";
}

StreamFramer::StreamFramer(Limits limits) : limits_(limits) {}

std::span<char> StreamFramer::prepare(std::size_t n) {
  if (buf_.size() - end_ < n) {
    // Compact first: consumed bytes at the front are dead. Then grow if still short.
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (buf_.size() - end_ < n) {
      buf_.resize(end_ + n);
    }
  }
  return {buf_.data() + end_, buf_.size() - end_};
}

void StreamFramer::commit(std::size_t n) { end_ = std::min(end_ + n, buf_.size()); }

void StreamFramer::feed(std::string_view bytes) {
  auto span = prepare(bytes.size());
  std::memcpy(span.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

StreamFramer::Event StreamFramer::fail(Error e) {
  error_ = e;
  return Event::kError;
}

StreamFramer::Event StreamFramer::next(std::string& message) {
  if (error_ != Error::kNone) {
    return Event::kError;
  }
  if (pending_total_ == 0) {
    // Between messages: RFC 5626 §3.5.1 CRLFCRLF ping, RFC 3261 §7.5 stray CRLFs.
    for (;;) {
      const std::string_view data(buf_.data() + begin_, end_ - begin_);
      if (data.starts_with(kHeaderEnd)) {
        begin_ += kHeaderEnd.size();
        return Event::kPing;
      }
      if (data.starts_with("\r\n")) {
        // "\r\n" or "\r\n\r" may still become a ping: wait for the rest.
        if (data.size() == 2 || (data.size() == 3 && data[2] == '\r')) {
          return Event::kNeedMore;
        }
        begin_ += 2;
        continue;
      }
      if (data == "\r") {
        return Event::kNeedMore;
      }
      break;
    }
    if (begin_ == end_) {
      // Everything consumed: restart at the front so the buffer does not creep.
      begin_ = end_ = 0;
      scan_from_ = 0;
      return Event::kNeedMore;
    }
    const std::string_view data(buf_.data() + begin_, end_ - begin_);
    // Resume the search a few bytes back: the terminator may straddle two reads.
    const std::size_t from = scan_from_ >= 3 ? scan_from_ - 3 : 0;
    const std::size_t pos = data.find(kHeaderEnd, from);
    if (pos == std::string_view::npos) {
      if (data.size() > limits_.max_header_bytes) {
        return fail(Error::kHeaderTooLarge);
      }
      scan_from_ = data.size();
      return Event::kNeedMore;
    }
    const std::size_t header_len = pos + kHeaderEnd.size();
    if (header_len > limits_.max_header_bytes) {
      return fail(Error::kHeaderTooLarge);
    }
    std::size_t body_len = 0;
    const Error e = parse_content_length(data.substr(0, pos + 2), body_len);
    if (e != Error::kNone) {
      return fail(e);
    }
    pending_total_ = header_len + body_len;
    scan_from_ = 0;
  }
  if (end_ - begin_ < pending_total_) {
    return Event::kNeedMore;
  }
  message.assign(buf_.data() + begin_, pending_total_);
  begin_ += pending_total_;
  pending_total_ = 0;
  if (begin_ == end_) {
    begin_ = end_ = 0;
  }
  return Event::kMessage;
}

// `headers` is the start line and the header lines, each ending in CRLF. RFC 3261 §20.14: the
// header is "Content-Length" or its compact form "l" (§7.3.3), case-insensitive, with optional
// whitespace before the colon (§7.3.1); its value is 1*DIGIT.
StreamFramer::Error StreamFramer::parse_content_length(std::string_view headers,
                                                       std::size_t& length) const {
  bool found = false;
  bool in_content_length = false;  // the previous line was Content-Length (for folding)
  std::size_t value = 0;
  std::size_t line_start = headers.find("\r\n");  // skip the start line
  if (line_start == std::string_view::npos) {
    return Error::kMissingContentLength;
  }
  line_start += 2;
  while (line_start < headers.size()) {
    std::size_t eol = headers.find("\r\n", line_start);
    if (eol == std::string_view::npos) {
      eol = headers.size();
    }
    const std::string_view line = headers.substr(line_start, eol - line_start);
    line_start = eol + 2;
    if (!line.empty() && is_ws(line.front())) {
      // A folded continuation (§7.3.1). Content-Length folded over lines is not worth
      // supporting: anything but whitespace there is rejected.
      if (in_content_length && !trim(line).empty()) {
        return Error::kBadContentLength;
      }
      continue;
    }
    in_content_length = false;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;  // not a header line; the SIP parser will reject the message
    }
    const std::string_view name = trim(line.substr(0, colon));
    if (!iequals(name, "content-length") && !iequals(name, "l")) {
      continue;
    }
    in_content_length = true;
    const std::string_view text = trim(line.substr(colon + 1));
    if (text.empty() || text.size() > 9) {
      // More than 9 digits is over any sane limit; reject rather than risk overflow.
      if (!text.empty() && std::all_of(text.begin(), text.end(),
                                       [](char c) { return c >= '0' && c <= '9'; })) {
        return Error::kBodyTooLarge;
      }
      return Error::kBadContentLength;
    }
    std::size_t v = 0;
    for (char c : text) {
      if (c < '0' || c > '9') {
        return Error::kBadContentLength;
      }
      v = v * 10 + static_cast<std::size_t>(c - '0');
    }
    // Two Content-Length headers that disagree would let two parsers frame differently
    // (request smuggling); equal duplicates are harmless.
    if (found && v != value) {
      return Error::kBadContentLength;
    }
    found = true;
    value = v;
  }
  if (!found) {
    return Error::kMissingContentLength;
  }
  if (value > limits_.max_body_bytes) {
    return Error::kBodyTooLarge;
  }
  length = value;
  return Error::kNone;
}

}  // namespace wimpu::transport
