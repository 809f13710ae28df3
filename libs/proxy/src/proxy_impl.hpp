#pragma once
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "context.hpp"
#include "locality.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/proxy/proxy.hpp"

namespace wimpu::proxy {

namespace detail {

/// Named counters of the proxy core, looked up once (STYLE.md habit 7).
struct Counters {
  common::Counter& requests = common::counter("proxy.requests");
  common::Counter& reject_483 = common::counter("proxy.reject.too_many_hops");
  common::Counter& reject_482 = common::counter("proxy.reject.loop_detected");
  common::Counter& reject_420 = common::counter("proxy.reject.bad_extension");
  common::Counter& reject_416 = common::counter("proxy.reject.unsupported_uri_scheme");
  common::Counter& reject_400 = common::counter("proxy.reject.bad_request");
  common::Counter& reject_480 = common::counter("proxy.reject.no_target");
  common::Counter& reject_policy = common::counter("proxy.reject.policy");
  common::Counter& too_many_branches = common::counter("proxy.reject.too_many_branches");
  common::Counter& branch_send_error = common::counter("proxy.branch.send_error");
  common::Counter& branch_unresolvable = common::counter("proxy.branch.unresolvable");
  common::Counter& branch_timeout = common::counter("proxy.branch.timeout");
  common::Counter& branch_transport_error = common::counter("proxy.branch.transport_error");
  common::Counter& timer_c = common::counter("proxy.branch.timer_c");
  common::Counter& cancel_timeout = common::counter("proxy.branch.cancel_timeout");
  common::Counter& cancels_sent = common::counter("proxy.cancel.sent");
  common::Counter& cancel_send_error = common::counter("proxy.cancel.send_error");
  common::Counter& cancel_received = common::counter("proxy.cancel.received");
  common::Counter& cancel_no_match = common::counter("proxy.cancel.no_transaction");
  common::Counter& response_no_context = common::counter("proxy.response.no_context");
  common::Counter& late_2xx = common::counter("proxy.response.late_2xx");
  common::Counter& forward_error = common::counter("proxy.response.forward_error");
  common::Counter& edit_error = common::counter("proxy.edit_error");
  common::Counter& no_408_non_invite = common::counter("proxy.response.no_408_for_non_invite");
  common::Counter& ack_forwarded = common::counter("proxy.ack.forwarded");
  common::Counter& ack_dropped = common::counter("proxy.ack.dropped");
  common::Counter& resume_stale = common::counter("proxy.resume_stale");
  common::Counter& server_failure = common::counter("proxy.server_failure");
  common::Counter& branch_replaced = common::counter("proxy.branch.replaced");

  static Counters& get() {
    static Counters c;
    return c;
  }
};

}  // namespace detail

struct Proxy::Impl {
  Impl(Proxy& self, transaction::TransactionLayer& l, RequestPolicy& p, ProxyConfig c)
      : owner(self), layer(l), policy(p), config(std::move(c)), locality(config),
        counters(detail::Counters::get()) {}

  Proxy& owner;
  transaction::TransactionLayer& layer;
  RequestPolicy& policy;
  ProxyConfig config;
  detail::Locality locality;
  detail::Counters& counters;

  ContextId next_id = 1;
  using ContextMap = std::unordered_map<ContextId, std::unique_ptr<detail::Context>>;
  ContextMap contexts;
  // INVITE server transaction -> context, for CANCEL (§16.10).
  std::unordered_map<std::uint64_t, ContextId> by_server_tx;
  // Ended contexts kept with their map node (extract()/insert() of a node handle): a request
  // then costs neither a Context nor a hash-map node allocation.
  std::vector<ContextMap::node_type> spare;
  std::string scratch;

  static std::uint64_t key(transaction::ServerTxId tx) {
    return (std::uint64_t{tx.slot} << 32) | tx.generation;
  }
  detail::Context* find(ContextId id) {
    auto it = contexts.find(id);
    return it == contexts.end() ? nullptr : it->second.get();
  }

  // ---- requests (request.cpp)
  void handle_request(transaction::ServerTxId tx, sip::Message&& request,
                      const transaction::Peer& from);
  bool validate(transaction::ServerTxId tx, const sip::Message& request);
  void reject(transaction::ServerTxId tx, const sip::Message& request, int status,
              std::string_view extra_name = {}, std::string_view extra_value = {});
  detail::Context& new_context();
  bool preprocess_routes(detail::Context& ctx);
  /// Asks the plug-in (on_request) and applies its decision, or the one it gave to resume()
  /// while still inside on_request().
  void run_policy(detail::Context& ctx);
  void apply_decision(detail::Context& ctx, const Decision& d);
  /// Once, when the decision is to forward: the stamped Via edit and the loop-detection hash.
  void prepare_forwarding(detail::Context& ctx);
  void respond_local(detail::Context& ctx, int status, std::string_view reason = {});
  void end_context(detail::Context& ctx);

  // ---- forwarding (forward.cpp)
  void start_targets(detail::Context& ctx);
  void start_branch(detail::Context& ctx, std::size_t index);
  bool build_branch(detail::Context& ctx, const Target& target, transaction::Peer& next_hop,
                    std::string& out, bool stateless);
  void forward_ack(detail::Context& ctx);

  // ---- responses, CANCEL, timers (response.cpp)
  void handle_response(const transaction::ClientTxInfo& tx, sip::Message&& response);
  void branch_final(detail::Context& ctx, std::size_t index, int status,
                    std::optional<sip::Message>&& response);
  void consider_best(detail::Context& ctx, int status, std::optional<sip::Message>&& response);
  bool forward_upstream(transaction::ServerTxId tx, detail::Context* ctx,
                        const sip::Message& response);
  void send_best(detail::Context& ctx);
  void check_done(detail::Context& ctx);
  void cancel_branch(detail::Context& ctx, std::size_t index, std::string_view reason);
  void cancel_pending(detail::Context& ctx, std::size_t except, std::string_view reason);
  void send_cancel(detail::Context& ctx, std::size_t index);
  void arm_timer_c(detail::Context& ctx, std::size_t index);
  detail::Branch* branch_of_token(std::uint64_t token, detail::Context*& ctx);
  void on_timer_c(std::uint64_t token);
  void on_cancel_timeout(std::uint64_t token);
  std::size_t branch_index(const detail::Context& ctx, transaction::ClientTxId tx) const;
  void handle_cancel(transaction::ServerTxId cancel_tx, transaction::ServerTxId invite_tx,
                     sip::Message&& cancel);
};

}  // namespace wimpu::proxy
