// Response and request builders (RFC 3261 §8.1.1, §8.2.6, §9.1, §17.1.1.3).
#include "wimpu/sip/builder.hpp"

#include <charconv>

#include "wimpu/common/assert.hpp"

namespace wimpu::sip {
namespace {

void append_number(std::string& out, std::uint64_t v) {
  char digits[24];
  const auto res = std::to_chars(digits, digits + sizeof(digits), v);
  out.append(digits, static_cast<std::size_t>(res.ptr - digits));
}

void append_line(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

// Re-emits every line of `id` with its canonical name (CRLF line ends even if received with LF).
void copy_lines(std::string& out, const Message& msg, HeaderId id) {
  for (const HeaderField& h : msg.headers()) {
    if (h.id == id) {
      append_line(out, canonical_name(id), h.value);
    }
  }
}

void append_tail(std::string& out, std::string_view content_type, std::string_view body) {
  if (!content_type.empty()) {
    append_line(out, "Content-Type", content_type);
  }
  out.append("Content-Length: ");
  append_number(out, body.size());
  out.append("\r\n\r\n");
  out.append(body);
}

}  // namespace

std::string_view default_reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 181: return "Call Is Being Forwarded";
    case 182: return "Queued";
    case 183: return "Session Progress";
    case 199: return "Early Dialog Terminated";
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Notification";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Moved Temporarily";
    case 305: return "Use Proxy";
    case 380: return "Alternative Service";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 412: return "Conditional Request Failed";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Unsupported URI Scheme";
    case 420: return "Bad Extension";
    case 421: return "Extension Required";
    case 423: return "Interval Too Brief";
    case 429: return "Provide Referrer Identity";
    case 430: return "Flow Failed";
    case 433: return "Anonymity Disallowed";
    case 439: return "First Hop Lacks Outbound Support";
    case 440: return "Max-Breadth Exceeded";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 482: return "Loop Detected";
    case 483: return "Too Many Hops";
    case 484: return "Address Incomplete";
    case 485: return "Ambiguous";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 489: return "Bad Event";
    case 491: return "Request Pending";
    case 493: return "Undecipherable";
    case 494: return "Security Agreement Required";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Server Time-out";
    case 505: return "Version Not Supported";
    case 513: return "Message Too Large";
    case 580: return "Precondition Failure";
    case 600: return "Busy Everywhere";
    case 603: return "Decline";
    case 604: return "Does Not Exist Anywhere";
    case 606: return "Not Acceptable";
    case 607: return "Unwanted";
    default: return "Unknown";
  }
}

// ---- ResponseBuilder ----

ResponseBuilder::ResponseBuilder(const Message& request, int status, std::string_view reason)
    : request_(request), status_(status), reason_(reason) {
  WIMPU_ASSERT(request.is_request());
  WIMPU_ASSERT(status >= 100 && status <= 699);
  if (reason_.empty()) {
    reason_ = default_reason_phrase(status);
  }
}

ResponseBuilder& ResponseBuilder::to_tag(std::string_view tag) {
  to_tag_ = tag;
  return *this;
}

ResponseBuilder& ResponseBuilder::header(std::string_view name, std::string_view value) {
  if (inline_count_ < kInlineHeaders) {
    inline_headers_[inline_count_++] = HeaderPair(name, value);
  } else {
    more_headers_.emplace_back(name, value);
  }
  return *this;
}

ResponseBuilder& ResponseBuilder::top_via(std::string_view via) {
  top_via_ = via;
  return *this;
}

ResponseBuilder& ResponseBuilder::body(std::string_view content_type, std::string_view body) {
  content_type_ = content_type;
  body_ = body;
  return *this;
}

std::size_t ResponseBuilder::size_hint() const {
  // An upper bound of the bytes build() writes, so `out` grows once, not once per doubling (a
  // 200 OK to a REGISTER is ~700 bytes: four reallocations otherwise, issue 8 figure 2).
  constexpr std::size_t kLine = 24;  // "Content-Length: " + its number, ": ", CRLFs, ";tag="
  std::size_t n = 12 + reason_.size() + to_tag_.size() + top_via_.size() + content_type_.size() +
                  body_.size() + 3 * kLine;
  for (const HeaderField& h : request_.headers()) {
    switch (h.id) {
      case HeaderId::kVia:
      case HeaderId::kFrom:
      case HeaderId::kTo:
      case HeaderId::kCallId:
      case HeaderId::kCSeq:
      case HeaderId::kTimestamp:
        n += h.value.size() + kLine;
        break;
      default:
        break;
    }
  }
  for (const auto& [name, value] : inline_headers()) {
    n += name.size() + value.size() + 4;
  }
  for (const auto& [name, value] : more_headers_) {
    n += name.size() + value.size() + 4;
  }
  return n;
}

void ResponseBuilder::build(std::string& out) const {
  out.clear();
  out.reserve(size_hint());
  out.append("SIP/2.0 ");
  append_number(out, static_cast<std::uint64_t>(status_));
  out.push_back(' ');
  out.append(reason_);
  out.append("\r\n");
  // §8.2.6.2: Via values in the same order; From, Call-ID and CSeq equal; To equal plus a tag.
  copy_vias(out);
  copy_lines(out, request_, HeaderId::kFrom);
  if (const HeaderField* to = request_.find(HeaderId::kTo)) {
    out.append("To: ");
    out.append(to->value);
    if (request_.to_tag().empty() && !to_tag_.empty()) {
      out.append(";tag=");
      out.append(to_tag_);
    }
    out.append("\r\n");
  }
  copy_lines(out, request_, HeaderId::kCallId);
  copy_lines(out, request_, HeaderId::kCSeq);
  if (status_ == 100) {
    copy_lines(out, request_, HeaderId::kTimestamp);  // §8.2.6.1
  }
  for (const auto& [name, value] : inline_headers()) {
    append_line(out, name, value);
  }
  for (const auto& [name, value] : more_headers_) {
    append_line(out, name, value);
  }
  append_tail(out, content_type_, body_);
}

void ResponseBuilder::copy_vias(std::string& out) const {
  if (top_via_.empty() || request_.vias().empty()) {
    copy_lines(out, request_, HeaderId::kVia);
    return;
  }
  const std::string_view top = request_.top_via().text;
  bool first = true;
  for (const HeaderField& h : request_.headers()) {
    if (h.id != HeaderId::kVia) {
      continue;
    }
    if (!first) {
      append_line(out, "Via", h.value);
      continue;
    }
    first = false;
    out.append("Via: ");
    out.append(top_via_);
    // The values after the top one on the same line (", SIP/2.0/UDP b"), when it holds several.
    const char* begin = h.value.data();
    if (top.data() >= begin && top.data() + top.size() <= begin + h.value.size()) {
      out.append(h.value.substr(static_cast<std::size_t>(top.data() - begin) + top.size()));
    }
    out.append("\r\n");
  }
}

// ---- RequestBuilder ----

RequestBuilder::RequestBuilder(std::string_view method, std::string_view request_uri)
    : method_(method), request_uri_(request_uri) {}

RequestBuilder& RequestBuilder::via(std::string_view value) {
  vias_.push_back(value);
  return *this;
}

RequestBuilder& RequestBuilder::from(std::string_view name_addr, std::string_view tag) {
  from_ = name_addr;
  from_tag_ = tag;
  return *this;
}

RequestBuilder& RequestBuilder::to(std::string_view name_addr, std::string_view tag) {
  to_ = name_addr;
  to_tag_ = tag;
  return *this;
}

RequestBuilder& RequestBuilder::call_id(std::string_view id) {
  call_id_ = id;
  return *this;
}

RequestBuilder& RequestBuilder::cseq(std::uint32_t number) {
  cseq_ = number;
  return *this;
}

RequestBuilder& RequestBuilder::max_forwards(std::uint8_t n) {
  max_forwards_ = n;
  return *this;
}

RequestBuilder& RequestBuilder::route(std::string_view value) {
  routes_.push_back(value);
  return *this;
}

RequestBuilder& RequestBuilder::contact(std::string_view value) {
  contact_ = value;
  return *this;
}

RequestBuilder& RequestBuilder::header(std::string_view name, std::string_view value) {
  headers_.emplace_back(name, value);
  return *this;
}

RequestBuilder& RequestBuilder::body(std::string_view content_type, std::string_view body) {
  content_type_ = content_type;
  body_ = body;
  return *this;
}

void RequestBuilder::build(std::string& out) const {
  out.clear();
  out.append(method_);
  out.push_back(' ');
  out.append(request_uri_);
  out.append(" SIP/2.0\r\n");
  for (std::string_view v : vias_) {
    append_line(out, "Via", v);
  }
  out.append("Max-Forwards: ");
  append_number(out, max_forwards_);
  out.append("\r\n");
  for (std::string_view r : routes_) {
    append_line(out, "Route", r);
  }
  out.append("From: ");
  out.append(from_);
  if (!from_tag_.empty()) {
    out.append(";tag=");
    out.append(from_tag_);
  }
  out.append("\r\nTo: ");
  out.append(to_);
  if (!to_tag_.empty()) {
    out.append(";tag=");
    out.append(to_tag_);
  }
  out.append("\r\n");
  append_line(out, "Call-ID", call_id_);
  out.append("CSeq: ");
  append_number(out, cseq_);
  out.push_back(' ');
  out.append(method_);
  out.append("\r\n");
  if (!contact_.empty()) {
    append_line(out, "Contact", contact_);
  }
  for (const auto& [name, value] : headers_) {
    append_line(out, name, value);
  }
  append_tail(out, content_type_, body_);
}

// ---- CANCEL and ACK ----

namespace {

void append_start_and_via(std::string& out, std::string_view method, const Message& request) {
  out.clear();
  out.append(method);
  out.push_back(' ');
  out.append(request.request_uri().text);
  out.append(" SIP/2.0\r\n");
  append_line(out, "Via", request.top_via().text);
  out.append("Max-Forwards: 70\r\n");
  copy_lines(out, request, HeaderId::kRoute);
}

}  // namespace

void build_cancel(const Message& request, std::string& out,
                  std::span<const std::pair<std::string_view, std::string_view>> extra) {
  WIMPU_ASSERT(request.is_request() && request.method() != Method::kAck);
  // §9.1: same Request-URI, Call-ID, To, From, CSeq number; one Via = the request's top Via;
  // the request's Route header fields.
  append_start_and_via(out, "CANCEL", request);
  copy_lines(out, request, HeaderId::kFrom);
  copy_lines(out, request, HeaderId::kTo);
  copy_lines(out, request, HeaderId::kCallId);
  out.append("CSeq: ");
  append_number(out, request.cseq().number);
  out.append(" CANCEL\r\n");
  for (const auto& [name, value] : extra) {
    append_line(out, name, value);
  }
  out.append("Content-Length: 0\r\n\r\n");
}

void build_ack_for_non2xx(const Message& request, const Message& response, std::string& out) {
  WIMPU_ASSERT(request.is_request() && request.method() == Method::kInvite);
  WIMPU_ASSERT(response.is_response() && response.status_code() >= 300);
  // §17.1.1.3: To from the response (it carries the tag), everything else from the request.
  append_start_and_via(out, "ACK", request);
  copy_lines(out, request, HeaderId::kFrom);
  copy_lines(out, response, HeaderId::kTo);
  copy_lines(out, request, HeaderId::kCallId);
  out.append("CSeq: ");
  append_number(out, request.cseq().number);
  out.append(" ACK\r\n");
  out.append("Content-Length: 0\r\n\r\n");
}

}  // namespace wimpu::sip
