#include "wimpu/loadgen/wic_messages.hpp"

#include <charconv>

#include "wimpu/sip/builder.hpp"
#include "wimpu/sip/header.hpp"

namespace wimpu::loadgen {
namespace {

void append_number(std::string& out, std::uint64_t v, int base = 10) {
  char digits[24];
  const auto res = std::to_chars(digits, digits + sizeof(digits), v, base);
  out.append(digits, static_cast<std::size_t>(res.ptr - digits));
}

template <class T>
bool parse_number(std::string_view text, T& v, int base) noexcept {
  if (text.empty()) {
    return false;
  }
  const auto res = std::from_chars(text.data(), text.data() + text.size(), v, base);
  return res.ec == std::errc{} && res.ptr == text.data() + text.size();
}

}  // namespace

WicIdentity WicIdentity::random(Rng& rng) {
  WicIdentity id;
  rng.append_alnum(id.host, 12);
  id.host.append(".invalid");
  rng.append_alnum(id.contact_user, 8);
  id.instance = "urn:uuid:" + rng.uuid_v4();
  rng.append_alnum(id.call_id, 22);
  return id;
}

std::string WicIdentity::contact_uri() const {
  std::string out = "<sip:";
  out.append(contact_user).append("@").append(host).append(";transport=ws>");
  return out;
}

void build_register(WicIdentity& id, const RegisterParams& p, std::string& out) {
  std::string via = "SIP/2.0/WSS ";
  via.append(id.host).append(";branch=").append(p.branch);
  std::string aor = "<";
  aor.append(p.aor).append(">");
  std::string contact = id.contact_uri();
  contact.append(";+sip.instance=\"<").append(id.instance).append(">\";reg-id=");
  append_number(contact, p.reg_id);
  contact.append(";expires=");
  append_number(contact, p.expires);
  ++id.cseq;

  sip::RequestBuilder b("REGISTER", p.request_uri);
  b.via(via).from(aor, p.from_tag).to(aor).call_id(id.call_id).cseq(id.cseq).contact(contact);
  b.header("Supported", "path, outbound, gruu");
  if (!p.authorization.empty()) {
    b.header(p.authorization_header, p.authorization);
  }
  if (!p.user_agent.empty()) {
    b.header("User-Agent", p.user_agent);
  }
  b.build(out);
}

void RegisterTemplate::prepare(const WicIdentity& id, const RegisterParams& p) {
  head_.assign("REGISTER ").append(p.request_uri).append(" SIP/2.0\r\nVia: SIP/2.0/WSS ");
  head_.append(id.host).append(";branch=");
  from_.assign("\r\nMax-Forwards: 70\r\nFrom: <").append(p.aor).append(">;tag=");
  to_.assign("\r\nTo: <").append(p.aor).append(">\r\nCall-ID: ").append(id.call_id);
  to_.append("\r\nCSeq: ");
  contact_.assign(" REGISTER\r\nContact: ").append(id.contact_uri());
  contact_.append(";+sip.instance=\"<").append(id.instance).append(">\";reg-id=");
  append_number(contact_, p.reg_id);
  contact_.append(";expires=");
  append_number(contact_, p.expires);
  contact_.append("\r\nSupported: path, outbound, gruu\r\n");
  tail_.clear();
  if (!p.user_agent.empty()) {
    tail_.append("User-Agent: ").append(p.user_agent).append("\r\n");
  }
  tail_.append("Content-Length: 0\r\n\r\n");
}

void RegisterTemplate::append(std::string& out, std::string_view branch,
                              std::string_view from_tag, std::uint32_t cseq,
                              std::string_view auth_header, std::string_view auth_value) const {
  out.append(head_).append(branch).append(from_).append(from_tag).append(to_);
  append_number(out, cseq);
  out.append(contact_);
  if (!auth_value.empty()) {
    out.append(auth_header).append(": ").append(auth_value).append("\r\n");
  }
  out.append(tail_);
}

std::string bearer_authorization(std::string_view token, bool access_token_form) {
  std::string out = "Bearer ";
  if (access_token_form) {
    out.append("access_token=\"").append(token).append("\"");
  } else {
    out.append(token);
  }
  return out;
}

std::string answer_sdp(std::uint64_t session_id) {
  std::string s = "v=0\r\no=- ";
  append_number(s, session_id);
  s.append(
      " 2 IN IP4 127.0.0.1\r\n"
      "s=-\r\n"
      "t=0 0\r\n"
      "a=group:BUNDLE 0\r\n"
      "a=msid-semantic: WMS\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n"
      "c=IN IP4 0.0.0.0\r\n"
      "a=rtcp:9 IN IP4 0.0.0.0\r\n"
      "a=ice-ufrag:wlg1\r\n"
      "a=ice-pwd:wimpuloadgenicepassword0\r\n"
      "a=fingerprint:sha-256 "
      "5B:D9:0E:3A:84:17:C2:41:6F:A8:90:1D:33:7B:E2:5C:09:4E:A1:B6:72:FD:18:C3:6A:2E:95:D4:"
      "07:8B:E1:4C\r\n"
      "a=setup:active\r\n"
      "a=mid:0\r\n"
      "a=sendrecv\r\n"
      "a=rtcp-mux\r\n"
      "a=rtpmap:111 opus/48000/2\r\n"
      "a=rtpmap:0 PCMU/8000\r\n");
  return s;
}

void build_uas_response(const sip::Message& request, int status, std::string_view to_tag,
                        std::string_view contact_uri, std::string_view sdp, std::string& out) {
  sip::ResponseBuilder b(request, status);
  b.to_tag(to_tag);
  const bool dialog_creating = request.method() == sip::Method::kInvite;
  if (dialog_creating && status > 100 && status < 300) {
    // RFC 3261 §12.1.1: the UAS copies Record-Route into 1xx/2xx that establish a dialog, and
    // gives its Contact (the WIC's ws URI, so in-dialog requests come down this flow).
    for (const sip::HeaderField& h : request.headers()) {
      if (h.id == sip::HeaderId::kRecordRoute) {
        b.header("Record-Route", h.value);
      }
    }
    if (!contact_uri.empty()) {
      b.header("Contact", contact_uri);
    }
  }
  if (status == 405) {
    b.header("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, NOTIFY, INFO");
  }
  if (!sdp.empty()) {
    b.body("application/sdp", sdp);
  }
  b.build(out);
}

void make_branch(const BranchFields& f, std::string& out) {
  out.assign("z9hG4bK");
  append_number(out, f.generation, 16);
  out.push_back('.');
  append_number(out, f.slot);
  out.push_back('.');
  append_number(out, f.seq);
}

bool parse_branch(std::string_view branch, BranchFields& f) noexcept {
  if (!branch.starts_with("z9hG4bK")) {
    return false;
  }
  branch.remove_prefix(7);
  const std::size_t d1 = branch.find('.');
  if (d1 == std::string_view::npos) {
    return false;
  }
  const std::size_t d2 = branch.find('.', d1 + 1);
  if (d2 == std::string_view::npos) {
    return false;
  }
  return parse_number(branch.substr(0, d1), f.generation, 16) &&
         parse_number(branch.substr(d1 + 1, d2 - d1 - 1), f.slot, 10) &&
         parse_number(branch.substr(d2 + 1), f.seq, 10);
}

}  // namespace wimpu::loadgen
