#pragma once
// The S-CSCF as a RequestPolicy plug-in over the proxy core (docs/adr/0002), and the service
// object that holds its shared state (TS 24.229 §5.4; requirements, C-08).
//
//  - REGISTER: registrar for IMS users. SIP Digest (RFC 2617 / RFC 3261 §22, qop=auth) with the
//    HA1 from MAR, or trusted-node authentication (`integrity-protected="auth-done"` from a
//    configured eP-CSCF, TS 24.229 §5.4.1.2.2F). Then SAR (REGISTRATION / RE_REGISTRATION; USER_
//    DEREGISTRATION when the last contact goes; TIMEOUT_DEREGISTRATION on expiry) and 200 with
//    Contact, Path (RFC 3327), Service-Route (RFC 3608) and P-Associated-URI (RFC 7315 §4.1, the
//    implicit set of the SAA User-Data). Registering a block's distinct IMPU registers its
//    wildcarded IMPU too (requirements X-03).
//  - Originating (the top Route was our Service-Route, user part "orig"): P-Asserted-Identity must
//    be in a registered set (wildcards included), else 403; then to the I-CSCF configured for the
//    Request-URI's domain, or terminated here for a home domain without one.
//  - Terminating (initial request from the I-CSCF): the registration by P-Profile-Key (RFC 5002),
//    exact IMPU or wildcard; retarget to every live contact (forking), Path pre-loaded as Route,
//    P-Called-Party-ID = the original Request-URI (RFC 7315 §4.2); 480 when none.
//
// Threading: one ScscfPolicy per shard, used on its shard only; the RegistrationStore and
// NonceTable are shared by all shards (short mutexes). Cx calls are coroutines on the shard; the
// result resumes the proxy by context id after looking it up again (sprout's CANCEL race).
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "wimpu/common/clock.hpp"
#include "wimpu/cscf_node/sip_node.hpp"
#include "wimpu/diameter/cx_client.hpp"
#include "wimpu/proxy/policy.hpp"
#include "wimpu/proxy/proxy.hpp"
#include "wimpu/s_cscf/config.hpp"
#include "wimpu/s_cscf/digest.hpp"
#include "wimpu/s_cscf/registration_store.hpp"

namespace wimpu::s_cscf {

/// The identities of an IMS subscription document (TS 29.228 Annex E: every
/// ServiceProfile/PublicIdentity/Identity, in order). Entities &amp; &lt; &gt; &quot; &apos;
/// are decoded; anything else is ignored.
std::vector<std::string> public_identities_of(std::string_view user_data);

/// "scheme:user@host" of a SIP or tel URI text (parameters and port dropped), the form the HSS
/// provisions; empty when `uri` does not parse.
std::string impu_of(std::string_view uri);

/// State shared by every shard of one S-CSCF. Thread-safe: config is immutable, the store and the
/// nonce table lock internally. Owned through shared_ptr by the ScscfService and every policy.
struct ScscfShared {
  /// `clk` (not null) dates registrations and nonces (a FakeClock in tests).
  ScscfShared(ScscfConfig c, common::ClockPtr clk)
      : config(std::move(c)), clock(clk), store(clk), nonces(clk, config.nonce_ttl) {}
  const ScscfConfig config;
  common::ClockPtr clock;
  RegistrationStore store;
  NonceTable nonces;
};

class ScscfPolicy final : public proxy::RequestPolicy {
public:
  /// `cx` must outlive the policy and be bound to `executor` (the shard). attach() before the
  /// first request.
  ScscfPolicy(boost::asio::any_io_executor executor, diameter::CxClient& cx,
              std::shared_ptr<ScscfShared> shared);
  ~ScscfPolicy() override;
  ScscfPolicy(const ScscfPolicy&) = delete;
  ScscfPolicy& operator=(const ScscfPolicy&) = delete;

  /// The proxy this policy resumes (its own shard's). Not owned.
  void attach(proxy::Proxy& proxy) { proxy_ = &proxy; }

  /// REGISTER -> wait (Cx work) or an immediate answer; originating/terminating initial requests
  /// -> targets or a rejection; everything else proceeds. Shard thread only.
  proxy::Decision on_request(proxy::RequestContext& ctx) override;

  /// Removes expired contacts and de-registers the sets left empty (SAR TIMEOUT_DEREGISTRATION,
  /// sent from this shard), and purges old nonces. Shard thread only.
  void sweep();

  /// Runs sweep() every config.sweep_interval on the shard until the shard's io_context stops.
  /// Call once, on one shard only (ScscfService does it for shard 0).
  void start_sweeping();

private:
  struct PendingRegister;
  proxy::Decision on_register(proxy::RequestContext& ctx);
  proxy::Decision on_originating(proxy::RequestContext& ctx);
  proxy::Decision on_terminating(proxy::RequestContext& ctx, std::string_view impu);
  bool trusted_source(const proxy::RequestContext& ctx) const;
  boost::asio::awaitable<void> challenge(proxy::ContextId id, std::string impi, std::string impu);
  boost::asio::awaitable<void> assign(proxy::ContextId id, std::shared_ptr<PendingRegister> reg);
  boost::asio::awaitable<void> deregister(std::string impi, std::string impu,
                                          diameter::ServerAssignmentType type);
  boost::asio::awaitable<void> sweep_loop();
  void finish(proxy::ContextId id, int status, std::string reason,
              std::vector<std::pair<std::string, std::string>> headers);
  std::string service_route() const;

  boost::asio::any_io_executor executor_;
  diameter::CxClient& cx_;
  std::shared_ptr<ScscfShared> shared_;
  proxy::Proxy* proxy_ = nullptr;
  std::unique_ptr<boost::asio::steady_timer> sweep_timer_;
};

/// One S-CSCF in a process: the shared state, and the per-shard plug-ins for a SipNode.
/// Usage (main thread): ScscfService svc(cfg, clock); SipNode node(sip_cfg, [&](shard, ex) {
/// return svc.make_shard_policy(shard, ex, cx_for(shard)); }); node.start();
class ScscfService {
public:
  /// `config` as parse_s_cscf_config() returns it; `clock` (not null) as for ScscfShared.
  ScscfService(ScscfConfig config, common::ClockPtr clock);

  /// The plug-in of shard `shard`; `cx` (a CxClient bound to `executor`) must outlive it. Shard 0
  /// also runs the expiry sweep.
  cscf_node::ShardPolicy make_shard_policy(transport::ShardId shard,
                                           boost::asio::any_io_executor executor,
                                           diameter::CxClient& cx);

  /// The registrations (thread-safe), e.g. for an admin view or tests.
  RegistrationStore& store() { return shared_->store; }
  const ScscfConfig& config() const { return shared_->config; }

private:
  std::shared_ptr<ScscfShared> shared_;
};

}  // namespace wimpu::s_cscf
