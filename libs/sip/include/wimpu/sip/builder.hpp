#pragma once
// Building messages that we originate: responses (RFC 3261 §8.2.6, §16.7 for proxy-generated ones)
// and UAC requests (REGISTER and friends §8.1.1, CANCEL §9.1, ACK for non-2xx §17.1.1.3). Output is
// wire bytes (CRLF line ends, Content-Length always present) that parse_into() accepts.
//
// Threading: builders are plain values used by one thread. Every string_view given to a builder
// must stay alive until build() returns (the builder keeps views, not copies).
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wimpu/sip/message.hpp"
#include "wimpu/sip/method.hpp"

namespace wimpu::sip {

/// Default reason phrase for `status` (RFC 3261 §21 and extensions), "Unknown" when none.
std::string_view default_reason_phrase(int status) noexcept;

/// Builds a response to a parsed request (RFC 3261 §8.2.6.2): status line; all Via values copied
/// in order (the Via lines copied verbatim); From, Call-ID, CSeq copied; To copied with a tag added
/// when the request's To has none and a tag was given; for 100 Trying the Timestamp header is
/// copied (§8.2.6.1); then the extra headers; Content-Length; body.
class ResponseBuilder {
public:
  /// Precondition: request.is_request(), 100 <= status <= 699. `reason` empty -> default phrase.
  ResponseBuilder(const Message& request, int status, std::string_view reason = {});

  /// To tag to add when the request's To has none (ignored otherwise; RFC 3261 §8.2.6.2: a 100
  /// should not get one - the caller decides). Returns *this.
  ResponseBuilder& to_tag(std::string_view tag);
  /// Extra header line "name: value", in call order. Returns *this.
  ResponseBuilder& header(std::string_view name, std::string_view value);
  /// Writes `via` instead of the request's top via-parm, keeping every other Via value: the top
  /// Via as the server transport stamped it with `received`/`rport` (RFC 3261 §18.2.1, RFC 3581
  /// §4), which the response must carry back (§8.2.6.2). Empty -> the request's own. Returns *this.
  ResponseBuilder& top_via(std::string_view via);
  /// Body with its Content-Type. Returns *this.
  ResponseBuilder& body(std::string_view content_type, std::string_view body);

  /// Writes the response into `out` (cleared first; capacity reused).
  void build(std::string& out) const;
  std::string build() const {
    std::string s;
    build(s);
    return s;
  }

private:
  using HeaderPair = std::pair<std::string_view, std::string_view>;
  // A registrar's 200 OK adds 4-6 lines: they fit in place, so a builder allocates nothing.
  static constexpr std::size_t kInlineHeaders = 8;

  void copy_vias(std::string& out) const;
  /// At least the size build() writes (reserved up front).
  std::size_t size_hint() const;
  std::span<const HeaderPair> inline_headers() const {
    return std::span<const HeaderPair>(inline_headers_.data(), inline_count_);
  }

  const Message& request_;
  int status_;
  std::string_view reason_;
  std::string_view to_tag_;
  std::string_view top_via_;
  std::array<HeaderPair, kInlineHeaders> inline_headers_{};
  std::size_t inline_count_ = 0;
  std::vector<HeaderPair> more_headers_;  // the lines after the first kInlineHeaders
  std::string_view content_type_;
  std::string_view body_;
};

/// Builds a request originated by us (UAC side of the proxy, registrations toward the IMS core,
/// tests). Headers appear in the order Via, Max-Forwards, Route..., From, To, Call-ID, CSeq,
/// Contact, extra headers, Content-Type, Content-Length.
class RequestBuilder {
public:
  /// `method` is the method token ("REGISTER", or an extension); `request_uri` verbatim.
  RequestBuilder(std::string_view method, std::string_view request_uri);
  RequestBuilder(Method method, std::string_view request_uri)
      : RequestBuilder(to_string(method), request_uri) {}

  /// Via value, e.g. "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1.xyz;rport". Several calls add
  /// several Via lines, top first.
  RequestBuilder& via(std::string_view value);
  /// From name-addr (e.g. "<sip:alice@example.com>") and tag (appended as ";tag=").
  RequestBuilder& from(std::string_view name_addr, std::string_view tag);
  /// To name-addr and optional tag (in-dialog requests).
  RequestBuilder& to(std::string_view name_addr, std::string_view tag = {});
  RequestBuilder& call_id(std::string_view id);
  /// CSeq number; the method is the request method (RFC 3261 §8.1.1.5).
  RequestBuilder& cseq(std::uint32_t number);
  /// Max-Forwards (default 70, RFC 3261 §8.1.1.6).
  RequestBuilder& max_forwards(std::uint8_t n);
  /// Route value (e.g. "<sip:pcscf.example.com;lr>"), in call order.
  RequestBuilder& route(std::string_view value);
  /// Contact value.
  RequestBuilder& contact(std::string_view value);
  /// Extra header "name: value", in call order.
  RequestBuilder& header(std::string_view name, std::string_view value);
  RequestBuilder& body(std::string_view content_type, std::string_view body);

  void build(std::string& out) const;
  std::string build() const {
    std::string s;
    build(s);
    return s;
  }

private:
  std::string_view method_;
  std::string_view request_uri_;
  std::vector<std::string_view> vias_;
  std::string_view from_;
  std::string_view from_tag_;
  std::string_view to_;
  std::string_view to_tag_;
  std::string_view call_id_;
  std::uint32_t cseq_ = 1;
  std::uint8_t max_forwards_ = 70;
  std::vector<std::string_view> routes_;
  std::string_view contact_;
  std::vector<std::pair<std::string_view, std::string_view>> headers_;
  std::string_view content_type_;
  std::string_view body_;
};

/// CANCEL for `request` per RFC 3261 §9.1: same Request-URI, Call-ID, To, From and CSeq number with
/// method CANCEL, a single Via equal to the request's top Via, the request's Route headers,
/// Max-Forwards 70, and any `extra` headers (e.g. Reason, RFC 3326). Precondition: request is a
/// request other than ACK. Writes into `out`.
void build_cancel(const Message& request, std::string& out,
                  std::span<const std::pair<std::string_view, std::string_view>> extra = {});

/// ACK for a non-2xx final `response` to INVITE `request` per RFC 3261 §17.1.1.3: Request-URI,
/// Call-ID, From, Route from the request; To from the response (with its tag); CSeq number of the
/// request with method ACK; a single Via equal to the request's top Via; Max-Forwards 70.
/// Preconditions: request is an INVITE, response is a final non-2xx response to it.
void build_ack_for_non2xx(const Message& request, const Message& response, std::string& out);

}  // namespace wimpu::sip
