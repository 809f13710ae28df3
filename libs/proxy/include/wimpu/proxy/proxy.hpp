#pragma once
// The transaction-stateful proxy core of RFC 3261 §16 on one shard: the transaction user of a
// TransactionLayer, with a RequestPolicy plug-in deciding targets (policy.hpp).
//
// What it does, in §16 order: validation (§16.3: Max-Forwards -> 483, URI scheme -> 416, loop
// detection by a hash in our branch -> 482, Proxy-Require -> 420 + Unsupported), 100 Trying for
// INVITE, Route processing (§16.4: strict-route fix-up, removal of our Route values including the
// RFC 5658 pair), target set from the plug-in or the Request-URI (§16.5), forwarding (§16.6:
// Request-URI, Max-Forwards, Record-Route with RFC 5658 double Record-Route when the two sides
// differ, pre-loaded Routes, strict next hops, Via with a loop-detection branch, Timer C),
// response aggregation (§16.7: every non-100 provisional and every 2xx forwarded at once, 6xx
// stops branching, best final by class with the 4xx preferences, 401/407 challenges merged, 503
// sent as 500, 408 when nothing answered; RFC 4320: no 408 to non-INVITE), CANCEL (§16.10:
// 200 to the CANCEL, CANCEL on every pending branch) and the CANCEL of the other branches after a
// 2xx or 6xx with a Reason header (RFC 3326), ACK for 2xx forwarded statelessly (§16.11).
//
// Threading: one Proxy per shard, used only on that shard; no locks. Ownership: the layer,
// policy and timer service must outlive the Proxy.
#include <cstddef>
#include <memory>

#include "wimpu/proxy/config.hpp"
#include "wimpu/proxy/policy.hpp"
#include "wimpu/transaction/transaction_layer.hpp"

namespace wimpu::proxy {

class Proxy final : public transaction::TransactionUser {
public:
  /// Registers itself as `layer`'s transaction user.
  Proxy(transaction::TransactionLayer& layer, RequestPolicy& policy, ProxyConfig config);
  ~Proxy() override;
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  /// Resumes a context that returned Decision::wait(). Returns false (and counts
  /// proxy.resume_stale) when the context ended meanwhile or is not waiting. Called from inside
  /// the plug-in's own on_request() for that context (its asynchronous work completed inline),
  /// the decision is kept and applied once on_request() returns wait().
  bool resume(ContextId id, Decision decision);

  /// The live context `id`, or nullptr when it ended. Valid until the next call into the proxy.
  RequestContext* find(ContextId id);

  /// Live response contexts (tests, metrics).
  std::size_t live_contexts() const;

  /// The configuration given at construction.
  const ProxyConfig& config() const;

  // transaction::TransactionUser (contracts in transaction_user.hpp); called by the layer only.
  void on_request(transaction::ServerTxId tx, sip::Message&& request,
                  const transaction::Peer& from) override;
  void on_cancel(transaction::ServerTxId cancel_tx, transaction::ServerTxId invite_tx,
                 sip::Message&& cancel, const transaction::Peer& from) override;
  void on_ack(sip::Message&& ack, const transaction::Peer& from,
              transaction::ServerTxId invite_tx) override;
  void on_response(const transaction::ClientTxInfo& tx, sip::Message&& response) override;
  void on_client_failure(const transaction::ClientTxInfo& tx,
                         transaction::ClientFailure why) override;
  void on_server_failure(transaction::ServerTxId tx, transaction::ServerFailure why) override;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wimpu::proxy
