#pragma once
// The eP-CSCF as a RequestPolicy plug-in over the RFC 3261 §16 proxy core (docs/adr/0002): it
// decides what happens to each request; the core forwards, forks and aggregates.
//
// WIC registration (seed TR §5.2.2.3.2, requirements §2 and §4): a REGISTER for a wIMPU domain
// arriving over a WebSocket flow terminates here. The Bearer token is verified (RFC 8898 §2.2),
// the IMPU comes from W4 (same web identity -> same IMPU), and the 200 OK carries the IMPU as the
// first P-Associated-URI (RFC 7315 §4.1). The registrar rules are RFC 3261 §10.3 and RFC 5626 §6.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "wimpu/ep_cscf/block_directory.hpp"
#include "wimpu/ep_cscf/config.hpp"
#include "wimpu/proxy/policy.hpp"
#include "wimpu/proxy/proxy.hpp"
#include "wimpu/registrar/w4.hpp"
#include "wimpu/token/verifier.hpp"
#include "wimpu/transport/net_transport.hpp"
#include "wimpu/transport/transport.hpp"

namespace wimpu::ep_cscf {

/// What every shard's policy shares: the configuration and our listeners (immutable after start).
struct Runtime {
  EpCscfConfig config;
  std::vector<transport::ListenerInfo> listeners;
  /// Block registration state (thread-safe; see block_directory.hpp).
  BlockDirectory blocks;
  /// Called (on any shard) after each successful WIC registration in config.domains[i] whose
  /// block uses BlockTrigger::kFirstWic; set by the Server. May be empty.
  std::function<void(std::size_t domain_index)> first_wic;
};
using RuntimePtr = std::shared_ptr<const Runtime>;

/// The part of the configuration a reload may change on a running shard (issue 7 "SIGHUP
/// reloads"): for each domain (same index as Runtime::config.domains) the `iss` values trusted
/// for it (seed TR 5.2.2.3.2: the eP-CSCF accepts assertions of the WWSFs it trusts for a block).
/// Immutable; a reload builds a new one.
struct Trust {
  std::vector<std::vector<std::string>> issuers;
};
using TrustPtr = std::shared_ptr<const Trust>;

/// One shard's eP-CSCF policy. Threading: the shard's thread only (RequestPolicy contract).
/// Ownership: `w4`, `transport` and the Proxy given to attach() must outlive it.
class EpCscfPolicy final : public proxy::RequestPolicy {
public:
  EpCscfPolicy(RuntimePtr runtime, registrar::W4& w4, std::unique_ptr<token::Verifier> verifier,
               TrustPtr trust, transport::Transport& transport,
               boost::asio::any_io_executor shard);
  ~EpCscfPolicy() override;

  /// Reload (Server::commit_reload()): REGISTERs whose token is checked from now on use
  /// `verifier` (its key stores are the new trusted issuers; its cache starts empty, so a token
  /// of a removed issuer is not answered from the cache) and `trust`. The previous verifier is
  /// kept until the next reload, so a REGISTER waiting in its async_verify() (unknown kid) still
  /// completes as it began. Threading: this shard's thread only (posted there).
  void set_trust(std::unique_ptr<token::Verifier> verifier, TrustPtr trust);

  /// The proxy this policy resumes (Decision::wait + Proxy::resume). Call once, before traffic.
  void attach(proxy::Proxy& proxy) { proxy_ = &proxy; }

  /// RFC 5626 §7 / G-08: the flow died; every contact registered on it is removed from W4 at once
  /// (asynchronously, on this shard).
  void on_flow_closed(transport::FlowId flow);

  proxy::Decision on_request(proxy::RequestContext& ctx) override;
  void on_forward_response(proxy::RequestContext& ctx, const sip::Message& response,
                           sip::MessageEditor& editor) override;
  void on_context_end(proxy::RequestContext& ctx) override;

  /// A parsed REGISTER, kept across the asynchronous token check and W4 call.
  struct PendingRegister;

  /// Our Path/Record-Route-style URI naming WIC flow `token` through listener `listener`:
  /// "<sip:TOKEN@host:port;transport=ws;lr>" (RFC 5626 §5.2). Stored as the contact's Path in W4
  /// so that terminating requests find the flow and its transport.
  std::string flow_uri(std::string_view token, transaction::ListenerId listener) const;
  /// flow_uri() written into `out`, reusing its capacity.
  void flow_uri_into(std::string_view token, transaction::ListenerId listener,
                     std::string& out) const;

private:
  /// The IMPU a WIC flow of this shard registered (set by a successful REGISTER).
  struct WicFlow {
    std::string impu;
    const WimpuDomain* domain = nullptr;
  };

  /// A UE registered through us in a non-wIMPU domain (TS 24.229 §5.2.2): what its 200 OK said.
  struct StdFlow {
    std::vector<std::string> service_route;  ///< RFC 3608, top first
    std::vector<std::string> associated;     ///< P-Associated-URI URIs (no brackets)
  };
  // Standard P-CSCF (std_pcscf.cpp).
  proxy::Decision on_standard_register(proxy::RequestContext& ctx);
  proxy::Decision on_standard_originating(proxy::RequestContext& ctx, const StdFlow& flow,
                                          const std::string& token);
  /// The flow the request came on, made into a UDP flow when it arrived over UDP (RFC 5626 §3.3).
  transport::FlowId source_flow(const proxy::RequestContext& ctx);
  /// Removes PAI/PPI and asserts `asserted` (RFC 3325 §9.1). False on an edit error.
  bool assert_identity(proxy::RequestContext& ctx, const std::string& asserted);

  // Originating (issue 5 "Originating requests from WICs", TS 24.229 §5.2.6.3).
  proxy::Decision on_originating(proxy::RequestContext& ctx);
  boost::asio::awaitable<void> run_originating(proxy::ContextId id, std::string token,
                                               WicFlow flow);
  // Terminating (TS 24.229 §5.2.6.4, RFC 5626 §5.3 / §7).
  proxy::Decision on_terminating(proxy::RequestContext& ctx, std::string impu);
  boost::asio::awaitable<void> run_terminating(proxy::ContextId id, std::string impu);
  /// A Route we popped names a flow (in-dialog, RFC 5626 §5.3): target it, or 403/430.
  std::optional<proxy::Decision> route_by_flow_token(proxy::RequestContext& ctx);
  /// Adds a target down the flow named by the flow URI `uri` (see flow_uri()). Returns 0 or
  /// the status to answer (403 tampered, 430 dead). A non-empty `record_route_prefix` gives the
  /// branch its own Record-Route user: prefix "." transport "." flow token (see kTermMarker).
  int target_flow(proxy::RequestContext& ctx, std::string_view uri, std::uint64_t user_data,
                  std::vector<std::pair<std::string, std::string>> headers = {},
                  std::string target_uri = {}, std::string_view record_route_prefix = {});
  /// Record-Route user part of terminating dialogs, per branch:
  /// kTermMarker + hex(IMPU) + "." + transport + "." + flow token of the branch's WIC. An
  /// in-dialog request from the core goes straight down that flow while it lives (RFC 5626 §5.3,
  /// as for originating dialogs: no W4 lookup per ACK or BYE); when the flow is gone (the WIC
  /// reconnected) it finds the WIC by IMPU + Contact (the remote target) in W4. The plain
  /// kTermMarker + hex(IMPU) form (dialogs set up before this layout) takes the W4 way.
  static constexpr std::string_view kTermMarker = "t-";
  std::optional<proxy::Decision> on_terminating_in_dialog(proxy::RequestContext& ctx,
                                                          std::string_view user);
  boost::asio::awaitable<void> run_terminating_in_dialog(proxy::ContextId id, std::string impu,
                                                         std::string contact);
  /// `user` is the flow token of a block registration's Path (step 4); false until then.
  bool is_block_path_token(std::string_view user) const;
  void remember_flow(const std::string& token, const std::string& impu,
                     const WimpuDomain* domain, bool registered);
  std::vector<std::string> originating_routes(const WimpuDomain& d) const;
  std::string host_port(const transport::ListenerInfo& l) const;
  std::string strip_bundle(std::string_view sdp) const;

  proxy::Decision on_wic_register(proxy::RequestContext& ctx, const WimpuDomain& domain);
  /// The token checked: refuses, or asks W4, without a coroutine when the registrar answers at
  /// once (W4::try_register_now()), else through run_register(). `reg` is moved from only then.
  void on_token(proxy::ContextId id, PendingRegister& reg, token::VerifyResult result);
  /// The REGISTER's W4 calls when they may wait: register_contacts() (a registrar that cannot
  /// answer at once), or lookup_identity() + remove_all() (`Contact: *`, a query).
  boost::asio::awaitable<void> run_register(proxy::ContextId id, PendingRegister reg);
  /// The 200 OK of a REGISTER (RFC 3261 §10.3 step 8) from W4's answer, however it came.
  void answer_register(proxy::ContextId id, const PendingRegister& reg, const std::string& impu,
                       const std::vector<std::string>& aliases,
                       const std::vector<registrar::ContactView>& contacts);
  /// W4's refusal as the REGISTER's answer (503 + Retry-After, 400, 403, 500).
  void on_w4_error(proxy::ContextId id, registrar::W4Error e);
  /// on_w4_error(), except kNotFound of register_contacts() (only removals, nothing held): 200.
  void on_register_error(proxy::ContextId id, registrar::W4Error e);
  /// The REGISTER being decided, lent to one on_wic_register() at a time and reused by the next
  /// (its strings keep their capacity); null while the asynchronous token check holds it.
  std::unique_ptr<PendingRegister> register_scratch_;
  /// transport.flow_token(flow), computed (an HMAC, RFC 5626 §5.2) once per flow and kept until
  /// forget_flow_token(): a re-REGISTER on the same flow then costs a slot lookup.
  const std::string& cached_flow_token(transport::FlowId flow);
  void forget_flow_token(transport::FlowId flow);
  boost::asio::awaitable<void> run_remove_flow(std::string token);
  void finish(proxy::ContextId id, proxy::Decision d,
              std::vector<std::pair<std::string, std::string>> headers);
  const WimpuDomain* wimpu_domain(std::string_view host) const;
  void resume_with(proxy::ContextId id, proxy::Decision d);
  void spawn_after_return(boost::asio::awaitable<void> task);
  std::string service_route(transaction::ListenerId listener) const;

  RuntimePtr rt_;
  registrar::W4& w4_;
  std::unique_ptr<token::Verifier> verifier_;
  std::unique_ptr<token::Verifier> retired_verifier_;  ///< the one before the last reload
  TrustPtr trust_;
  transport::Transport& transport_;
  boost::asio::any_io_executor shard_;
  proxy::Proxy* proxy_ = nullptr;
  std::unordered_map<std::string, WicFlow> wic_flows_;  ///< flow token -> registration
  /// Flow tokens by flow slot (slots are dense and reused; the id says whose token it is).
  struct CachedFlowToken {
    transport::FlowId flow;
    std::string token;
  };
  std::vector<CachedFlowToken> flow_tokens_;
  std::string flow_token_overflow_;  ///< cached_flow_token() beyond the cached slots
  /// service_route() and host_port() per listener, built on first use (listeners are fixed).
  struct ListenerText {
    transaction::ListenerId id{};
    std::string service_route;
    std::string flow_uri_suffix;  ///< "@host:port;transport=ws;lr>"
  };
  mutable std::vector<ListenerText> listener_text_;
  const ListenerText& listener_text(transaction::ListenerId listener) const;
  std::unordered_map<std::string, StdFlow> std_flows_;  ///< flow token -> standard registration
  /// REGISTERs forwarded by the standard role, awaiting their answer: context -> flow token.
  std::unordered_map<proxy::ContextId, std::string> std_pending_;
};

}  // namespace wimpu::ep_cscf
