// The message parser (RFC 3261 §7, §18.3, §20, §25) and the Message value semantics.
#include <cstring>

#include "chars.hpp"
#include "lex.hpp"
#include "wimpu/common/assert.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/sip/message.hpp"

namespace wimpu::sip {

// The parser proper: a friend of Message so it fills the index in place (no intermediate copies).
class MessageParser {
public:
  MessageParser(Message& msg, const ParseOptions& options) : msg_(msg), options_(options) {}

  /// Both parse_into() overloads: `owned` is null (copy `bytes` into the message's buffer) or the
  /// string `bytes` views (adopt it: no copy, no allocation).
  static ParseResult<void> parse(Message& msg, std::string_view bytes, std::string* owned,
                                 const ParseOptions& options);

  /// Parses msg_.buf_ (already holding the bytes, leading CRLFs removed).
  ParseResult<void> run();

private:
  ParseResult<void> parse_start_line(std::string_view line);
  ParseResult<void> parse_header(HeaderId id, std::string_view value, std::uint32_t index,
                                 std::uint32_t line_offset);

  Message& msg_;
  const ParseOptions& options_;
  std::string_view buf_;
  // Bit per HeaderId seen among the single-valued eager headers.
  bool seen_from_ = false;
  bool seen_to_ = false;
  bool seen_call_id_ = false;
  bool seen_cseq_ = false;
  bool seen_max_forwards_ = false;
  bool seen_content_length_ = false;
};

namespace {

constexpr std::size_t kTypicalHeaderLines = 16;

ParseError make_error(ParseErrorCode code, std::size_t offset, HeaderId header = HeaderId::kOther) {
  return ParseError{code, static_cast<std::uint32_t>(offset), canonical_name(header)};
}

// "SIP" "/" 1*DIGIT "." 1*DIGIT ("SIP" case-insensitive, RFC 3261 §7.1 / §25.1).
enum class VersionCheck { kOk, kOtherVersion, kMalformed };
VersionCheck check_version(std::string_view v) {
  if (v.size() < 7 || !iequals(v.substr(0, 4), "SIP/")) {
    return VersionCheck::kMalformed;
  }
  std::size_t i = 4;
  const std::size_t major = i;
  while (i < v.size() && chars::is_digit(v[i])) {
    ++i;
  }
  if (i == major || i >= v.size() || v[i] != '.') {
    return VersionCheck::kMalformed;
  }
  ++i;
  const std::size_t minor = i;
  while (i < v.size() && chars::is_digit(v[i])) {
    ++i;
  }
  if (i == minor || i != v.size()) {
    return VersionCheck::kMalformed;
  }
  return v.substr(4) == "2.0" ? VersionCheck::kOk : VersionCheck::kOtherVersion;
}

common::Counter& error_counter(ParseErrorCode code) {
  // One counter per code, resolved once (the registry lookup takes a lock).
  static common::Counter* counters[static_cast<std::size_t>(ParseErrorCode::kBadParameter) + 1] =
      {};
  static const bool init = [] {
    for (std::size_t i = 0; i < std::size(counters); ++i) {
      std::string name = "sip.parse_error.";
      name += to_string(static_cast<ParseErrorCode>(i));
      counters[i] = &common::counter(name);
    }
    return true;
  }();
  (void)init;
  return *counters[static_cast<std::size_t>(code)];
}

}  // namespace

ParseResult<void> MessageParser::parse_start_line(std::string_view line) {
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) {
    return make_error(ParseErrorCode::kBadStartLine, 0);
  }
  const std::string_view first = line.substr(0, sp1);
  if (first.find('/') != std::string_view::npos) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    msg_.is_request_ = false;
    switch (check_version(first)) {
      case VersionCheck::kOk: break;
      case VersionCheck::kOtherVersion: return make_error(ParseErrorCode::kBadVersion, 0);
      case VersionCheck::kMalformed: return make_error(ParseErrorCode::kBadStartLine, 0);
    }
    std::size_t pos = sp1 + 1;
    if (pos + 3 > line.size() || !chars::is_digit(line[pos]) || !chars::is_digit(line[pos + 1]) ||
        !chars::is_digit(line[pos + 2]) || (pos + 3 < line.size() && line[pos + 3] != ' ')) {
      return make_error(ParseErrorCode::kBadStatusCode, pos);
    }
    const int code = (line[pos] - '0') * 100 + (line[pos + 1] - '0') * 10 + (line[pos + 2] - '0');
    if (code < 100 || code > 699) {
      return make_error(ParseErrorCode::kBadStatusCode, pos);
    }
    msg_.status_code_ = code;
    pos += 3;
    // Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP / HTAB):
    // no control characters. A missing SP before an empty phrase is tolerated.
    const std::string_view reason = pos < line.size() ? line.substr(pos + 1) : std::string_view();
    for (char c : reason) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) {
        return make_error(ParseErrorCode::kBadReason, pos + 1);
      }
    }
    msg_.reason_ = reason;
    return {};
  }
  // Request-Line = Method SP Request-URI SP SIP-Version
  msg_.is_request_ = true;
  if (!chars::is_token(first)) {
    return make_error(ParseErrorCode::kBadMethod, 0);
  }
  msg_.method_text_ = first;
  msg_.method_ = method_from_text(first);
  const std::size_t uri_begin = sp1 + 1;
  const std::size_t sp2 = line.find(' ', uri_begin);
  if (sp2 == std::string_view::npos || sp2 == uri_begin) {
    return make_error(ParseErrorCode::kBadStartLine, uri_begin);
  }
  const std::string_view version = line.substr(sp2 + 1);
  switch (check_version(version)) {
    case VersionCheck::kOk: break;
    case VersionCheck::kOtherVersion: return make_error(ParseErrorCode::kBadVersion, sp2 + 1);
    case VersionCheck::kMalformed: return make_error(ParseErrorCode::kBadStartLine, sp2 + 1);
  }
  auto uri = parse_uri(line.substr(uri_begin, sp2 - uri_begin));
  // Escaped headers are not allowed in a Request-URI (RFC 3261 §19.1.1 table, RFC 4475 §3.1.2.9).
  if (!uri || !uri->headers.empty()) {
    ParseError e{ParseErrorCode::kBadUri, static_cast<std::uint32_t>(uri_begin), "Request-URI"};
    if (!uri) {
      e.offset += uri.error().offset;
    }
    return e;
  }
  msg_.request_uri_ = *uri;
  return {};
}

ParseResult<void> MessageParser::parse_header(HeaderId id, std::string_view value,
                                              std::uint32_t index, std::uint32_t line_offset) {
  auto dup = [&](bool& seen) -> bool {
    if (seen) {
      return true;
    }
    seen = true;
    return false;
  };
  auto value_offset = [&](std::string_view part) {
    return static_cast<std::size_t>(part.data() - buf_.data());
  };
  switch (id) {
    case HeaderId::kVia: {
      std::size_t pos = 0;
      while (true) {
        pos = detail::skip_lws(value, pos);
        const std::size_t len = detail::list_element_length(value.substr(pos));
        if (len == std::string_view::npos || len == 0) {
          return make_error(ParseErrorCode::kBadVia, value_offset(value) + pos, id);
        }
        Via& via = msg_.vias_.emplace_back();
        if (auto bad = detail::parse_via_into(value.substr(pos, len), via)) {
          return make_error(ParseErrorCode::kBadVia, value_offset(value) + pos + *bad, id);
        }
        via.header_index = index;
        pos += len;
        if (pos >= value.size()) {
          break;
        }
        ++pos;
      }
      return {};
    }
    case HeaderId::kFrom:
    case HeaderId::kTo: {
      if (dup(id == HeaderId::kFrom ? seen_from_ : seen_to_)) {
        return make_error(ParseErrorCode::kDuplicateHeader, line_offset, id);
      }
      NameAddr& na = id == HeaderId::kFrom ? msg_.from_ : msg_.to_;
      if (auto bad = detail::parse_name_addr_into(value, NameAddrForm::kAddrSpecAllowed, na)) {
        return make_error(ParseErrorCode::kBadNameAddr, value_offset(value) + *bad, id);
      }
      na.header_index = index;
      return {};
    }
    case HeaderId::kContact:
    case HeaderId::kRoute:
    case HeaderId::kRecordRoute: {
      std::vector<NameAddr>& out = id == HeaderId::kContact ? msg_.contacts_
                                   : id == HeaderId::kRoute ? msg_.routes_
                                                            : msg_.record_routes_;
      if (id == HeaderId::kContact) {
        if (value == "*") {
          // "*" only alone (RFC 3261 §10.2.2, §20.10).
          if (msg_.contact_star_ || !msg_.contacts_.empty()) {
            return make_error(ParseErrorCode::kBadNameAddr, line_offset, id);
          }
          msg_.contact_star_ = true;
          return {};
        }
        if (msg_.contact_star_) {
          return make_error(ParseErrorCode::kBadNameAddr, line_offset, id);
        }
      }
      const NameAddrForm form =
          id == HeaderId::kContact ? NameAddrForm::kAddrSpecAllowed : NameAddrForm::kNameAddrOnly;
      std::size_t pos = 0;
      while (true) {
        pos = detail::skip_lws(value, pos);
        const std::size_t len = detail::list_element_length(value.substr(pos));
        if (len == std::string_view::npos || len == 0) {
          return make_error(ParseErrorCode::kBadNameAddr, value_offset(value) + pos, id);
        }
        NameAddr& na = out.emplace_back();
        if (auto bad = detail::parse_name_addr_into(value.substr(pos, len), form, na)) {
          return make_error(ParseErrorCode::kBadNameAddr, value_offset(value) + pos + *bad, id);
        }
        na.header_index = index;
        pos += len;
        if (pos >= value.size()) {
          break;
        }
        ++pos;
      }
      return {};
    }
    case HeaderId::kCallId: {
      if (dup(seen_call_id_)) {
        return make_error(ParseErrorCode::kDuplicateHeader, line_offset, id);
      }
      // callid = word [ "@" word ]
      const std::size_t at = value.find('@');
      auto is_word = [](std::string_view w) {
        if (w.empty()) {
          return false;
        }
        for (char c : w) {
          if (!chars::is_word(c)) {
            return false;
          }
        }
        return true;
      };
      const bool ok = at == std::string_view::npos
                          ? is_word(value)
                          : is_word(value.substr(0, at)) && is_word(value.substr(at + 1));
      if (!ok) {
        return make_error(ParseErrorCode::kBadCallId, value_offset(value), id);
      }
      msg_.call_id_ = value;
      return {};
    }
    case HeaderId::kCSeq: {
      if (dup(seen_cseq_)) {
        return make_error(ParseErrorCode::kDuplicateHeader, line_offset, id);
      }
      // CSeq = 1*DIGIT LWS Method; the number must fit 32 bits (RFC 3261 §8.1.1.5, RFC 4475 §3.1.2.4).
      std::size_t pos = 0;
      auto num = detail::parse_digits(value, pos, 0x100000000ULL);
      if (!num || *num > 0xffffffffULL) {
        return make_error(ParseErrorCode::kBadCSeq, value_offset(value), id);
      }
      const std::size_t m = detail::skip_lws(value, pos);
      if (m == pos || m >= value.size()) {
        return make_error(ParseErrorCode::kBadCSeq, value_offset(value) + pos, id);
      }
      const std::string_view method = value.substr(m);
      if (!chars::is_token(method)) {
        return make_error(ParseErrorCode::kBadCSeq, value_offset(value) + m, id);
      }
      msg_.cseq_.number = static_cast<std::uint32_t>(*num);
      msg_.cseq_.method_text = method;
      msg_.cseq_.method = method_from_text(method);
      return {};
    }
    case HeaderId::kMaxForwards: {
      if (dup(seen_max_forwards_)) {
        return make_error(ParseErrorCode::kDuplicateHeader, line_offset, id);
      }
      auto v = detail::parse_u32_saturated(value);
      if (!v || *v > 255) {
        return make_error(ParseErrorCode::kBadMaxForwards, value_offset(value), id);
      }
      msg_.max_forwards_ = static_cast<std::uint8_t>(*v);
      return {};
    }
    case HeaderId::kContentLength: {
      if (dup(seen_content_length_)) {
        return make_error(ParseErrorCode::kDuplicateHeader, line_offset, id);
      }
      auto v = detail::parse_u32_saturated(value);
      if (!v || *v == 0xffffffffU) {
        return make_error(ParseErrorCode::kBadContentLength, value_offset(value), id);
      }
      msg_.content_length_ = *v;
      return {};
    }
    default:
      return {};
  }
}

ParseResult<void> MessageParser::run() {
  buf_ = msg_.buf_;
  // One allocation for the index of a typical message (a browser's REGISTER has 10-16 header
  // lines) instead of one per doubling from 1; clear_index() keeps it for a reused Message.
  if (msg_.headers_.capacity() < kTypicalHeaderLines) {
    msg_.headers_.reserve(kTypicalHeaderLines);
  }
  const char* const data = buf_.data();
  const std::size_t n = buf_.size();

  auto find_lf = [&](std::size_t from) -> std::size_t {
    const void* p = std::memchr(data + from, '\n', n - from);
    return p ? static_cast<std::size_t>(static_cast<const char*>(p) - data) : std::string_view::npos;
  };

  // Start line.
  std::size_t lf = find_lf(0);
  if (lf == std::string_view::npos) {
    return make_error(ParseErrorCode::kBadStartLine, 0);
  }
  std::size_t line_end = (lf > 0 && data[lf - 1] == '\r') ? lf - 1 : lf;
  msg_.start_line_ = buf_.substr(0, line_end);
  if (auto r = parse_start_line(msg_.start_line_); !r) {
    return r;
  }

  // Header lines.
  std::size_t pos = lf + 1;
  std::size_t body_start = 0;
  while (true) {
    if (pos >= n) {
      return make_error(ParseErrorCode::kHeadersUnterminated, pos);
    }
    const char c = data[pos];
    if (c == '\r' && pos + 1 < n && data[pos + 1] == '\n') {
      msg_.headers_end_ = static_cast<std::uint32_t>(pos);
      body_start = pos + 2;
      break;
    }
    if (c == '\n') {
      msg_.headers_end_ = static_cast<std::uint32_t>(pos);
      body_start = pos + 1;
      break;
    }
    // header-name = token, then *(SP/HTAB) ":" (HCOLON). No bounds checks: `data` is the
    // std::string msg_.buf_, so data[n] is NUL, neither a token char nor WSP: the scans stop there.
    std::size_t i = pos;
    while (chars::is_token(data[i])) {
      ++i;
    }
    const std::size_t name_end = i;
    while (chars::is_wsp(data[i])) {
      ++i;
    }
    if (name_end == pos || i >= n || data[i] != ':') {
      // Also catches a line starting with WSP: a continuation without a header to continue.
      if (find_lf(pos) == std::string_view::npos) {
        return make_error(ParseErrorCode::kHeadersUnterminated, pos);
      }
      return make_error(ParseErrorCode::kBadHeader, pos);
    }
    const std::size_t value_begin = i + 1;
    // The logical line ends at a LF not followed by SP/HT (folding, RFC 3261 §7.3.1).
    lf = find_lf(value_begin);
    while (lf != std::string_view::npos && lf + 1 < n && chars::is_wsp(data[lf + 1])) {
      lf = find_lf(lf + 1);
    }
    if (lf == std::string_view::npos) {
      return make_error(ParseErrorCode::kHeadersUnterminated, pos);
    }
    const std::string_view value = detail::trim_lws(buf_.substr(value_begin, lf - value_begin));
    // Filled in place: building a temporary and copying it costs store-forwarding stalls.
    const auto index = static_cast<std::uint32_t>(msg_.headers_.size());
    HeaderField& field = msg_.headers_.emplace_back();
    field.name = buf_.substr(pos, name_end - pos);
    const HeaderId id = detail::header_id_from_token(field.name, data + n + 1);  // with the NUL
    field.id = id;
    field.value = value;
    field.begin = static_cast<std::uint32_t>(pos);
    field.end = static_cast<std::uint32_t>(lf + 1);
    if (id != HeaderId::kOther) {
      if (auto r = parse_header(id, value, index, static_cast<std::uint32_t>(pos)); !r) {
        return r;
      }
    }
    pos = lf + 1;
  }

  // Mandatory headers (RFC 3261 §8.1.1; Max-Forwards stays optional for RFC 2543 peers, §3.4.1
  // of RFC 4475).
  HeaderId missing = HeaderId::kOther;
  if (msg_.vias_.empty()) {
    missing = HeaderId::kVia;
  } else if (!seen_from_) {
    missing = HeaderId::kFrom;
  } else if (!seen_to_) {
    missing = HeaderId::kTo;
  } else if (!seen_call_id_) {
    missing = HeaderId::kCallId;
  } else if (!seen_cseq_) {
    missing = HeaderId::kCSeq;
  }
  if (missing != HeaderId::kOther) {
    return make_error(ParseErrorCode::kMissingMandatoryHeader, msg_.headers_end_, missing);
  }
  if (msg_.is_request_ && msg_.cseq_.method_text != msg_.method_text_) {
    const HeaderField* h = msg_.find(HeaderId::kCSeq);
    return make_error(ParseErrorCode::kCSeqMethodMismatch, h ? h->begin : 0, HeaderId::kCSeq);
  }

  // Body framing (RFC 3261 §18.3, §20.14; RFC 7118 §5).
  const std::size_t available = n - body_start;
  if (msg_.content_length_) {
    if (*msg_.content_length_ > available) {
      return make_error(ParseErrorCode::kBodyTruncated, body_start, HeaderId::kContentLength);
    }
    msg_.body_ = buf_.substr(body_start, *msg_.content_length_);
    msg_.size_ = body_start + *msg_.content_length_;
  } else {
    if (options_.require_content_length) {
      return make_error(ParseErrorCode::kBadContentLength, msg_.headers_end_,
                        HeaderId::kContentLength);
    }
    msg_.body_ = buf_.substr(body_start);
    msg_.size_ = n;
  }
  return {};
}

void Message::clear_index() {
  size_ = 0;
  start_line_ = {};
  is_request_ = false;
  method_ = Method::kExtension;
  method_text_ = {};
  request_uri_ = Uri{};
  status_code_ = 0;
  reason_ = {};
  headers_.clear();
  headers_end_ = 0;
  vias_.clear();
  from_ = NameAddr{};
  to_ = NameAddr{};
  call_id_ = {};
  cseq_ = CSeq{};
  max_forwards_.reset();
  routes_.clear();
  record_routes_.clear();
  contacts_.clear();
  contact_star_ = false;
  content_length_.reset();
  body_ = {};
}

ParseResult<void> MessageParser::parse(Message& msg, std::string_view bytes, std::string* owned,
                                       const ParseOptions& options) {
  // An empty() Message already has a cleared index (default-constructed, moved from, or after a
  // failed parse, which clears it): the common fresh-Message case skips resetting ~1 KB of index.
  if (!msg.empty()) {
    msg.clear_index();
  }
  WIMPU_ASSERT(msg.size_ == 0 && msg.vias_.empty() && msg.contacts_.empty() &&
               msg.start_line_.empty() && !msg.content_length_);
  msg.options_ = options;
  ParseResult<void> r;
  // RFC 3261 §7.5: ignore CRLFs before the start line.
  std::size_t skip = 0;
  if (bytes.size() > options.max_size) {
    r = make_error(ParseErrorCode::kMessageTooLarge, 0);
  } else {
    while (skip < bytes.size() && (bytes[skip] == '\r' || bytes[skip] == '\n')) {
      ++skip;
    }
    if (skip == bytes.size()) {
      r = make_error(ParseErrorCode::kEmpty, 0);
    } else {
      if (owned != nullptr) {
        owned->erase(0, skip);  // rare (keep-alive CRLFs before a message): a memmove
        msg.buf_ = std::move(*owned);
      } else {
        msg.buf_.assign(bytes.data() + skip, bytes.size() - skip);
      }
      MessageParser parser(msg, options);
      r = parser.run();
    }
  }
  if (!r) {
    ParseError e = r.error();
    // Offsets are relative to the caller's bytes: add the skipped leading CRLFs back.
    if (e.code != ParseErrorCode::kMessageTooLarge && e.code != ParseErrorCode::kEmpty) {
      e.offset += static_cast<std::uint32_t>(skip);
    }
    msg.clear_index();
    error_counter(e.code).inc();
    return e;
  }
  return {};
}

ParseResult<void> parse_into(Message& msg, std::string_view bytes, const ParseOptions& options) {
  return MessageParser::parse(msg, bytes, nullptr, options);
}

ParseResult<void> parse_into(Message& msg, std::string&& bytes, const ParseOptions& options) {
  const std::string_view view = bytes;
  return MessageParser::parse(msg, view, &bytes, options);
}

ParseResult<Message> Message::parse(std::string_view bytes, const ParseOptions& options) {
  Message msg;
  auto r = parse_into(msg, bytes, options);
  if (!r) {
    return r.error();
  }
  return msg;
}

Message::Message(const Message& other) { *this = other; }

Message& Message::operator=(const Message& other) {
  if (this == &other) {
    return *this;
  }
  if (other.empty()) {
    clear_index();
    buf_.clear();
    return *this;
  }
  // Re-parse a copy of the bytes: the index holds views that must point into our own buffer. The
  // bytes parsed once with these options, so they parse again.
  std::string bytes(other.bytes());
  auto r = parse_into(*this, std::move(bytes), other.options_);
  WIMPU_RELEASE_ASSERT(r.has_value());
  return *this;
}

Message::Message(Message&& other) noexcept { *this = std::move(other); }

Message& Message::operator=(Message&& other) noexcept {
  if (this == &other) {
    return *this;
  }
  const char* old_data = other.buf_.data();
  buf_ = std::move(other.buf_);
  if (buf_.data() != old_data && !other.empty()) {
    // The string kept its bytes inline (small-string optimisation): views would dangle. Cannot
    // happen for a parsed message (longer than any SSO buffer) but stay correct anyway.
    std::string bytes = buf_.substr(0, other.size_);
    auto r = parse_into(*this, std::move(bytes), other.options_);
    WIMPU_RELEASE_ASSERT(r.has_value());
    other.clear_index();
    return *this;
  }
  size_ = other.size_;
  options_ = other.options_;
  start_line_ = other.start_line_;
  is_request_ = other.is_request_;
  method_ = other.method_;
  method_text_ = other.method_text_;
  request_uri_ = other.request_uri_;
  status_code_ = other.status_code_;
  reason_ = other.reason_;
  headers_ = std::move(other.headers_);
  headers_end_ = other.headers_end_;
  vias_ = std::move(other.vias_);
  from_ = other.from_;
  to_ = other.to_;
  call_id_ = other.call_id_;
  cseq_ = other.cseq_;
  max_forwards_ = other.max_forwards_;
  routes_ = std::move(other.routes_);
  record_routes_ = std::move(other.record_routes_);
  contacts_ = std::move(other.contacts_);
  contact_star_ = other.contact_star_;
  content_length_ = other.content_length_;
  body_ = other.body_;
  other.clear_index();
  return *this;
}

const HeaderField* Message::find(HeaderId id) const {
  for (const HeaderField& h : headers_) {
    if (h.id == id) {
      return &h;
    }
  }
  return nullptr;
}

const HeaderField* Message::find(std::string_view name) const {
  const HeaderId id = header_id_from_name(name);
  if (id != HeaderId::kOther) {
    return find(id);
  }
  for (const HeaderField& h : headers_) {
    if (h.id == HeaderId::kOther && iequals(h.name, name)) {
      return &h;
    }
  }
  return nullptr;
}

std::size_t Message::count(HeaderId id) const {
  std::size_t c = 0;
  for (const HeaderField& h : headers_) {
    c += h.id == id ? 1 : 0;
  }
  return c;
}

}  // namespace wimpu::sip
