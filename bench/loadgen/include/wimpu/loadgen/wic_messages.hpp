#pragma once
// The SIP messages a WIC (a browser running JsSIP or SIP.js over a WebSocket, RFC 7118) sends:
// REGISTER with a Bearer token or digest credentials, and its answers as a UAS (180, 200 + SDP,
// 200 to BYE/CANCEL, 487). Shared by the load engine and by integration tests that play a WIC.
#include <cstdint>
#include <string>
#include <string_view>

#include "wimpu/loadgen/rng.hpp"
#include "wimpu/sip/message.hpp"

namespace wimpu::loadgen {

/// The random parts that identify one WIC instance (a browser tab) for the life of one
/// WebSocket connection, as JsSIP makes them: a `<random>.invalid` Via host and Contact host
/// (RFC 7118 §5.2: the WIC cannot know its transport address), a random Contact user, a
/// +sip.instance UUID (RFC 5626 §4.1), one Call-ID for all its registrations (RFC 3261 §10.2).
struct WicIdentity {
  std::string host;         ///< "<rand>.invalid"
  std::string contact_user; ///< random user part
  std::string instance;     ///< "urn:uuid:<uuid v4>"
  std::string call_id;      ///< REGISTER Call-ID
  std::uint32_t cseq = 0;   ///< CSeq of the last REGISTER sent (next one uses cseq + 1)

  /// Fresh random identity.
  static WicIdentity random(Rng& rng);
  /// "<sip:user@host;transport=ws>" (the Contact URI in angle brackets).
  std::string contact_uri() const;
};

/// What varies per REGISTER.
struct RegisterParams {
  std::string_view request_uri;    ///< "sip:<domain>"
  std::string_view aor;            ///< To/From URI (a placeholder AOR: the WIC has no IMPU yet)
  std::string_view branch;         ///< full branch, "z9hG4bK..." (RFC 3261 §8.1.1.7)
  std::string_view from_tag;
  std::uint32_t expires = 600;     ///< Contact expires param; 0 de-registers
  std::string_view authorization;  ///< credentials ("Bearer ..."/"Digest ..."); empty: none
  /// Header carrying `authorization`: "Authorization", or "Proxy-Authorization" after a 407.
  std::string_view authorization_header = "Authorization";
  std::string_view user_agent;     ///< empty: no User-Agent
  std::uint32_t reg_id = 1;        ///< RFC 5626 reg-id
};

/// Writes a REGISTER into `out` (cleared first) and increments id.cseq:
///   Via: SIP/2.0/WSS <host>;branch=<branch>     (JsSIP always says WSS, RFC 7118 §5)
///   Max-Forwards: 70, To/From <aor> (From with tag), Call-ID, CSeq,
///   Contact: <sip:user@host;transport=ws>;+sip.instance="<urn:uuid:...>";reg-id=1;expires=N
///   Supported: path, outbound, gruu    (RFC 7118 App. B, RFC 5626, RFC 5627)
///   [Authorization], [User-Agent], Content-Length: 0
/// Threading: pure function of its arguments.
void build_register(WicIdentity& id, const RegisterParams& params, std::string& out);

/// A WIC's REGISTER prebuilt once per identity (per flow): the fixed text is kept in pieces and
/// each REGISTER is appended to an output buffer with only the fields that change per request
/// (branch, From tag, CSeq, credentials) put in between: a few memcpy, no allocation once `out`
/// has capacity. The text is exactly build_register()'s for the same values (tested).
class RegisterTemplate {
public:
  /// Prepares the fixed parts from `id` (host, contact, instance, Call-ID) and from `p`'s
  /// request_uri, aor, expires, user_agent and reg_id (its branch, from_tag and authorization
  /// are ignored). Allocates; call when the identity changes.
  void prepare(const WicIdentity& id, const RegisterParams& p);
  /// Appends a REGISTER to `out` (not cleared) with CSeq `cseq`; `auth_value` empty: no
  /// credentials header. Precondition: prepare() was called.
  void append(std::string& out, std::string_view branch, std::string_view from_tag,
              std::uint32_t cseq, std::string_view auth_header, std::string_view auth_value) const;
  bool prepared() const noexcept { return !head_.empty(); }

private:
  std::string head_;     // "REGISTER <uri> SIP/2.0\r\nVia: SIP/2.0/WSS <host>;branch="
  std::string from_;     // "\r\nMax-Forwards: 70\r\nFrom: <aor>;tag="
  std::string to_;       // "\r\nTo: <aor>\r\nCall-ID: <id>\r\nCSeq: "
  std::string contact_;  // " REGISTER\r\nContact: ...\r\nSupported: path, outbound, gruu\r\n"
  std::string tail_;     // "[User-Agent: ...\r\n]Content-Length: 0\r\n\r\n"
};

/// "Bearer <token>" (RFC 8898 §2.1.3) or, with `access_token_form`, the TS 24.371 Annex A form
/// `Bearer access_token="<token>"`.
std::string bearer_authorization(std::string_view token, bool access_token_form = false);

/// A small WebRTC-style SDP answer (audio, DTLS-SRTP, ICE lite parameters); `session_id` makes
/// the o= line unique.
std::string answer_sdp(std::uint64_t session_id);

/// The WIC as a UAS: writes a response to `request` into `out`. For INVITE (and other
/// dialog-creating requests) 1xx/2xx carry the request's Record-Route lines (RFC 3261 §12.1.1)
/// and `Contact: <contact_uri>`; `to_tag` is added when the request's To has none; `sdp`
/// non-empty adds an application/sdp body. Precondition: request.is_request().
void build_uas_response(const sip::Message& request, int status, std::string_view to_tag,
                        std::string_view contact_uri, std::string_view sdp, std::string& out);

/// Extracts the load engine's branch fields from "z9hG4bK<generation hex>.<slot>.<seq>".
struct BranchFields {
  std::uint64_t generation = 0;
  std::uint32_t slot = 0;
  std::uint32_t seq = 0;
};
/// Writes "z9hG4bK<generation hex>.<slot>.<seq>" into `out` (cleared first).
void make_branch(const BranchFields& f, std::string& out);
/// Parses a branch made by make_branch; false for any other text.
bool parse_branch(std::string_view branch, BranchFields& f) noexcept;

}  // namespace wimpu::loadgen
