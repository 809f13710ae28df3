#pragma once
// The response context of RFC 3261 §16.7 (one per proxied request) and its branches.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wimpu/common/clock.hpp"
#include "wimpu/proxy/policy.hpp"
#include "wimpu/sip/editor.hpp"
#include "wimpu/transaction/timer_service.hpp"
#include "wimpu/transaction/transaction_user.hpp"

namespace wimpu::proxy::detail {

/// One client transaction of the context (§16.6 "branch").
struct Branch {
  enum class State : std::uint8_t {
    kCalling,     ///< forwarded, no provisional yet
    kProceeding,  ///< a provisional arrived (a CANCEL may be sent, §9.1)
    kDone,        ///< final response (real or synthesized) or replaced
  };
  Target target;
  transaction::ClientTxId tx;
  State state = State::kCalling;
  bool cancel_wanted = false;  // CANCEL asked for before a provisional (§9.1: wait for one)
  bool cancel_sent = false;
  std::string cancel_reason;   // Reason header value for that CANCEL (RFC 3326), may be empty
  transaction::TimerId timer_c = 0;
  common::TimePoint timer_c_due{};  // Timer C's deadline; provisionals move it (lazy re-arm)
  transaction::TimerId cancel_timer = 0;  // 64*T1 after our CANCEL (§9.1)
};

/// A request in flight. Implements the plug-in's view (RequestContext).
class Context final : public RequestContext {
public:
  enum class Phase : std::uint8_t { kPolicy, kWaiting, kForwarding };

  // ---- RequestContext
  ContextId id() const override { return id_; }
  const sip::Message& request() const override { return request_; }
  const transaction::Peer& source() const override { return source_; }
  bool is_ack() const override { return request_.method() == sip::Method::kAck; }
  std::string_view request_uri() const override { return request_uri_; }
  bool request_uri_is_local() const override { return uri_local_; }
  std::span<const sip::NameAddr> popped_routes() const override { return popped_; }
  bool has_remaining_route() const override { return remaining_route_; }
  sip::MessageEditor& editor() override { return editor_; }
  void add_target(Target target) override {
    if (!cancelled_ && !no_new_branches_) {
      new_targets_.push_back(std::move(target));
    }
  }
  std::size_t target_count() const override { return new_targets_.size() + branches_.size(); }
  void set_record_route(bool on) override { record_route_ = on; }
  void set_record_route_user(std::string user) override { rr_user_ = std::move(user); }
  void add_response_header(std::string name, std::string value) override {
    response_headers_.emplace_back(std::move(name), std::move(value));
  }
  bool cancelled() const override { return cancelled_; }

  /// Back to a fresh state for a new request (objects are pooled).
  void reset(ContextId id) {
    id_ = id;
    server_tx_ = {};
    source_ = {};
    phase_ = Phase::kPolicy;
    early_decision_.reset();
    request_uri_.clear();
    uri_local_ = remaining_route_ = false;
    first_route_ = 0;
    popped_.clear();
    new_targets_.clear();
    branches_.clear();
    record_route_ = false;
    rr_user_.clear();
    response_headers_.clear();
    cancelled_ = no_new_branches_ = final_sent_ = false;
    best_.reset();
    best_status_ = 0;
    best_rank_ = 0;
    auth_.clear();
    to_tag_.clear();
    loop_hash_.clear();
    received_via_.clear();
    via_stamped_ = false;
  }

  // ---- core state (the Proxy's, not the plug-in's)
  ContextId id_ = 0;
  transaction::ServerTxId server_tx_;
  sip::Message request_;
  transaction::Peer source_;
  Phase phase_ = Phase::kPolicy;
  std::optional<Decision> early_decision_;  // Proxy::resume() during on_request()
  std::string request_uri_;       // effective Request-URI (§16.4)
  bool uri_local_ = false;
  bool remaining_route_ = false;
  std::size_t first_route_ = 0;   // index in request_.routes() of the first Route not ours
  std::vector<sip::NameAddr> popped_;
  sip::MessageEditor editor_;     // common edits: Route removal, received/rport, plug-in edits
  std::vector<Target> new_targets_;  // added, not started yet
  std::vector<Branch> branches_;
  bool record_route_ = false;
  std::string rr_user_;
  std::vector<std::pair<std::string, std::string>> response_headers_;
  bool cancelled_ = false;        // CANCEL received (§16.10)
  bool no_new_branches_ = false;  // a 6xx arrived (§16.7 step 5)
  bool final_sent_ = false;
  std::optional<sip::Message> best_;  // best final so far (none: synthesized best_status_)
  int best_status_ = 0;
  int best_rank_ = 0;
  std::vector<std::string> auth_;  // "Name: value" of every 401/407 challenge (§16.7 step 7)
  std::string to_tag_;             // for responses we generate (§8.2.6.2)
  std::string loop_hash_;
  std::string received_via_;       // the top Via with received/rport (§18.2.1, RFC 3581 §4)
  bool via_stamped_ = false;       // received_via_ differs from the top Via as received
};

/// The plug-in's view of one branch's response.
class BranchResponse final : public ResponseContext {
public:
  BranchResponse(Context& ctx, std::size_t index, const sip::Message& response)
      : ctx_(ctx), index_(index), response_(response) {}
  RequestContext& request() override { return ctx_; }
  const Target& target() const override { return ctx_.branches_[index_].target; }
  std::size_t branch_index() const override { return index_; }
  const sip::Message& response() const override { return response_; }

private:
  Context& ctx_;
  std::size_t index_;
  const sip::Message& response_;
};

}  // namespace wimpu::proxy::detail
