// libFuzzer target for libs/sip: message parse (datagram and stream framing), then the proxy edit
// round trip (edits -> serialize -> re-parse must succeed and show the edits), the builders, and the
// URI / name-addr / Via parsers plus the typed header accessors on the same input.
#include <cstdint>
#include <string>
#include <string_view>

#include "wimpu/common/assert.hpp"
#include "wimpu/sip/builder.hpp"
#include "wimpu/sip/editor.hpp"
#include "wimpu/sip/header_values.hpp"
#include "wimpu/sip/message.hpp"

namespace {

using namespace wimpu::sip;

void exercise_accessors(const Message& msg) {
  (void)name_addr_values(msg, HeaderId::kPath);
  (void)name_addr_values(msg, HeaderId::kPAssociatedUri);
  (void)first_name_addr(msg, HeaderId::kPAssertedIdentity);
  (void)option_tags(msg, HeaderId::kSupported);
  (void)has_option_tag(msg, HeaderId::kRequire, "path");
  (void)delta_seconds(msg, HeaderId::kExpires);
  (void)auth_values(msg, HeaderId::kAuthorization);
  (void)bearer_token(msg);
  (void)reason_values(msg);
  (void)retry_after(msg);
  (void)content_type(msg);
  for (const NameAddr& c : msg.contacts()) {
    (void)contact_expires(c);
    (void)contact_q(c);
    (void)contact_instance(c);
    (void)contact_reg_id(c);
  }
}

void edit_round_trip(const Message& msg) {
  MessageEditor ed(msg);
  const std::size_t vias = msg.vias().size();
  WIMPU_RELEASE_ASSERT(ed.push_via("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKfuzz"));
  std::size_t expect_vias = vias + 1;
  if (vias > 1 || msg.is_response()) {
    if (vias > 1) {
      WIMPU_RELEASE_ASSERT(ed.pop_via());
      --expect_vias;
    }
  }
  std::size_t expect_routes = msg.routes().size();
  if (msg.is_request()) {
    WIMPU_RELEASE_ASSERT(ed.push_record_route("<sip:proxy.example.com;lr>"));
    if (!msg.routes().empty()) {
      WIMPU_RELEASE_ASSERT(ed.pop_route());
      --expect_routes;
    }
    if (!msg.max_forwards() || *msg.max_forwards() > 0) {
      WIMPU_RELEASE_ASSERT(ed.decrement_max_forwards());
    }
    WIMPU_RELEASE_ASSERT(ed.set_request_uri("sip:target@192.0.2.9:5070;transport=tcp"));
    WIMPU_RELEASE_ASSERT(ed.remove_headers(HeaderId::kPPreferredIdentity));
    WIMPU_RELEASE_ASSERT(ed.add_header(HeaderId::kPAssertedIdentity, "<sip:a@example.com>"));
  }
  std::string out;
  ed.serialize(out);
  auto again = Message::parse(out, ParseOptions::datagram());
  WIMPU_RELEASE_ASSERT(again.has_value());
  WIMPU_RELEASE_ASSERT(again->vias().size() == expect_vias);
  WIMPU_RELEASE_ASSERT(again->top_via().branch == "z9hG4bKfuzz");
  WIMPU_RELEASE_ASSERT(again->body() == msg.body());
  if (msg.is_request()) {
    WIMPU_RELEASE_ASSERT(again->routes().size() == expect_routes);
    WIMPU_RELEASE_ASSERT(again->request_uri().host == "192.0.2.9");
    WIMPU_RELEASE_ASSERT(again->find(HeaderId::kPPreferredIdentity) == nullptr);
  }

  // A body change keeps the message parseable with Content-Length framing.
  MessageEditor body_ed(msg);
  WIMPU_RELEASE_ASSERT(body_ed.set_body("text/plain", "hello"));
  body_ed.serialize(out);
  auto with_body = Message::parse(out, ParseOptions::stream());
  WIMPU_RELEASE_ASSERT(with_body.has_value() && with_body->body() == "hello");
}

void builders(const Message& msg) {
  if (!msg.is_request()) {
    return;
  }
  std::string out;
  if (msg.method() != Method::kAck) {
    ResponseBuilder(msg, 486).to_tag("fuzztag").header("Retry-After", "5").build(out);
    auto resp = Message::parse(out, ParseOptions::stream());
    WIMPU_RELEASE_ASSERT(resp.has_value());
    WIMPU_RELEASE_ASSERT(resp->vias().size() == msg.vias().size());
    WIMPU_RELEASE_ASSERT(resp->call_id() == msg.call_id());
    build_cancel(msg, out);
    auto cancel = Message::parse(out, ParseOptions::stream());
    WIMPU_RELEASE_ASSERT(cancel.has_value() && cancel->method() == Method::kCancel);
    if (msg.method() == Method::kInvite) {
      build_ack_for_non2xx(msg, *resp, out);
      auto ack = Message::parse(out, ParseOptions::stream());
      WIMPU_RELEASE_ASSERT(ack.has_value() && ack->to_tag() == resp->to_tag());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Message msg;
  if (parse_into(msg, input, ParseOptions::datagram())) {
    WIMPU_RELEASE_ASSERT(!msg.empty());
    WIMPU_RELEASE_ASSERT(input.find(msg.bytes()) != std::string_view::npos);
    Message copy(msg);
    WIMPU_RELEASE_ASSERT(copy.bytes() == msg.bytes());
    exercise_accessors(msg);
    edit_round_trip(msg);
    builders(msg);
  }
  (void)parse_into(msg, input, ParseOptions::stream());

  if (auto uri = parse_uri(input)) {
    (void)uri_equal(*uri, *uri);
    (void)uri->is_invalid_host();
    (void)uri->host_port();
    for (const Param& p : uri->params) {
      (void)p;
    }
  }
  if (auto na = parse_name_addr(input)) {
    std::string name;
    na->display_name_unquoted(name);
    (void)na->tag();
  }
  if (auto via = parse_via(input)) {
    (void)via->sent_by();
  }
  (void)parse_auth_value(input);
  return 0;
}
