#pragma once
// The plug-in interface of the proxy core (docs/adr/0002-proxy-plugin-interface.md). Network
// functions (eP-CSCF, eI-CSCF, S-CSCF, the example proxy's static routes) decide *what* to do with
// a request: reject it, pick the target set, edit it, stay on the path with their own
// Record-Route. The core does *how*, per RFC 3261 §16: validation, Route processing, Via,
// Max-Forwards, Record-Route insertion, forking, Timer C, CANCEL and response aggregation. A
// plug-in never re-implements §16.
//
// Asynchronous plug-ins (a Redis or Diameter lookup) return Decision::wait() and later, on the
// same shard, call Proxy::resume(id, decision) with the context id they kept. Lifetimes:
// - a RequestContext& is valid only during the call it is passed to; keep its ContextId instead;
// - Proxy::find(id) returns nullptr once the context ended: the caller CANCELled (the core already
//   answered 487), the server transaction died, or the proxy stopped. Always look the context up
//   again after an asynchronous step (sprout's CANCEL race), and do not resume twice;
// - on_context_end() is the last call for a context: drop whatever refers to its id.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wimpu/sip/editor.hpp"
#include "wimpu/sip/message.hpp"
#include "wimpu/transaction/types.hpp"

namespace wimpu::proxy {

/// Names a request's response context (RFC 3261 §16.7 "response context") in one Proxy.
/// Never 0, never reused within a Proxy's life.
using ContextId = std::uint64_t;

/// One element of the target set (§16.5) and how to reach it.
struct Target {
  /// The Request-URI of this branch (§16.6 step 2). Empty: keep the request's Request-URI.
  std::string uri;
  /// Where to send, bypassing Route/Request-URI resolution (§16.6 step 7): e.g. the WIC's
  /// WebSocket flow (RFC 5626 §5.3) or an outbound proxy.
  std::optional<transaction::Peer> next_hop;
  /// Route values (full name-addr text, e.g. "<sip:scscf.example.com;lr>") placed above the
  /// request's Route header, first one on top (a pre-loaded route set, §16.6 step 6 / RFC 3608).
  std::vector<std::string> routes;
  /// Header lines added to this branch only.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Opaque to the core (e.g. a binding or instance id), handed back with responses.
  std::uint64_t user_data = 0;
  /// User part of our Record-Route URI(s) on this branch only; empty: the request's
  /// (RequestContext::set_record_route_user). Each branch of a fork may name its own flow
  /// (RFC 5626 §5.3): the callee that answers copies its branch's value into the 2xx, so the
  /// dialog's in-dialog requests name the flow that reached it (RFC 3261 §16.6 step 4 lets the
  /// value differ per branch). Must be a valid URI user part.
  std::string record_route_user;
};

/// What a plug-in decided about a request. A closed set (STYLE.md habit 2).
class Decision {
public:
  enum class Verdict : std::uint8_t {
    kContinue,  ///< Forward to the target set (or, when empty, per §16.5 defaults).
    kRespond,   ///< Answer with status() (>= 300 for requests that must not be forwarded).
    kWait,      ///< The plug-in resumes later with Proxy::resume().
  };

  static Decision proceed() { return Decision(Verdict::kContinue, 0, {}); }
  /// `status` 300..699 (a provisional is not a decision); 200..299 too for a non-INVITE the
  /// plug-in answers as a UAS (e.g. a registrar's 200 to REGISTER, RFC 3261 §10.3); an INVITE
  /// 2xx becomes 500. Headers: RequestContext::add_response_header().
  static Decision respond(int status, std::string reason = {}) {
    return Decision(Verdict::kRespond, status, std::move(reason));
  }
  static Decision wait() { return Decision(Verdict::kWait, 0, {}); }

  Verdict verdict() const { return verdict_; }
  int status() const { return status_; }
  std::string_view reason() const { return reason_; }

private:
  Decision(Verdict v, int s, std::string r) : verdict_(v), status_(s), reason_(std::move(r)) {}
  Verdict verdict_;
  int status_;
  std::string reason_;
};

/// A request being proxied, as the plug-in sees it. Threading: the shard of the request only.
class RequestContext {
public:
  virtual ~RequestContext() = default;

  virtual ContextId id() const = 0;
  /// The request as received (immutable; views stay valid for the context's life).
  virtual const sip::Message& request() const = 0;
  /// Where it came from (protocol, source address, flow, listener).
  virtual const transaction::Peer& source() const = 0;
  /// ACK for a 2xx: forwarded statelessly (§16.11); one target at most, no response possible.
  virtual bool is_ack() const = 0;
  /// The Request-URI after §16.4 (strict-route fix-up applied).
  virtual std::string_view request_uri() const = 0;
  /// The Request-URI names this proxy (an interface or a configured domain): the plug-in is
  /// responsible for the target set (§16.5). Otherwise the default target is the Request-URI.
  virtual bool request_uri_is_local() const = 0;
  /// Route values naming us that §16.4 removed, top first (a flow token or a plug-in's
  /// Record-Route user part comes back here in mid-dialog requests).
  virtual std::span<const sip::NameAddr> popped_routes() const = 0;
  /// Route values remain after ours were removed: the request is loose-routed onward.
  virtual bool has_remaining_route() const = 0;

  /// Edits applied to every branch (headers to add/remove, body). The core itself edits Via,
  /// Max-Forwards, Route, Record-Route and the Request-URI: do not touch those here.
  virtual sip::MessageEditor& editor() = 0;
  /// Adds a target (§16.5). Ignored once the context was cancelled or a 6xx arrived.
  virtual void add_target(Target target) = 0;
  virtual std::size_t target_count() const = 0;
  /// Overrides ProxyConfig::record_route for this request.
  virtual void set_record_route(bool on) = 0;
  /// User part of our Record-Route URI(s) (e.g. a flow token, RFC 5626 §5.3). Must be a valid
  /// URI user part.
  virtual void set_record_route_user(std::string user) = 0;
  /// Header for a Decision::respond() response ("Unsupported", "WWW-Authenticate", ...).
  virtual void add_response_header(std::string name, std::string value) = 0;
  /// A CANCEL arrived (§16.10): no new branches start.
  virtual bool cancelled() const = 0;
};

/// A response received on one branch, before §16.7 aggregation.
class ResponseContext {
public:
  virtual ~ResponseContext() = default;
  virtual RequestContext& request() = 0;
  virtual const Target& target() const = 0;
  virtual std::size_t branch_index() const = 0;
  virtual const sip::Message& response() const = 0;
};

/// What to do with a final non-2xx response of a branch.
enum class ResponseVerdict : std::uint8_t {
  kContinue,       ///< Normal §16.7 processing.
  kReplaceBranch,  ///< Drop it; the branch is replaced by the targets the plug-in just added
                   ///< with request().add_target() (RFC 5626 §7: 430 Flow Failed fail-over).
};

/// The plug-in. Threading: called on the request's shard only, never concurrently.
class RequestPolicy {
public:
  virtual ~RequestPolicy() = default;

  /// Every request after §16.3 validation and §16.4 Route processing (not CANCEL: the core
  /// handles it, §16.10). Decide, add targets, edit.
  virtual Decision on_request(RequestContext& ctx) = 0;

  /// Every response of every branch (provisional and final, including 2xx) before aggregation.
  /// The verdict matters only for non-2xx finals.
  virtual ResponseVerdict on_response(ResponseContext& ctx) {
    (void)ctx;
    return ResponseVerdict::kContinue;
  }

  /// A received response about to be forwarded upstream (our Via already popped in `editor`).
  /// Not called for responses the core generates (100, 408, 500, 487, rejects).
  virtual void on_forward_response(RequestContext& ctx, const sip::Message& response,
                                   sip::MessageEditor& editor) {
    (void)ctx;
    (void)response;
    (void)editor;
  }

  /// Last call for `ctx`.
  virtual void on_context_end(RequestContext& ctx) { (void)ctx; }
};

}  // namespace wimpu::proxy
