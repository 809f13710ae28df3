#pragma once
// The eP-CSCF as a RequestPolicy plug-in over the RFC 3261 §16 proxy core (docs/adr/0002): it
// decides what happens to each request; the core forwards, forks and aggregates.
//
// WIC registration (seed TR §5.2.2.3.2, requirements §2 and §4): a REGISTER for a wIMPU domain
// arriving over a WebSocket flow terminates here. The Bearer token is verified (RFC 8898 §2.2),
// the IMPU comes from W4 (same web identity -> same IMPU), and the 200 OK carries the IMPU as the
// first P-Associated-URI (RFC 7315 §4.1). The registrar rules are RFC 3261 §10.3 and RFC 5626 §6.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

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
};
using RuntimePtr = std::shared_ptr<const Runtime>;

/// One shard's eP-CSCF policy. Threading: the shard's thread only (RequestPolicy contract).
/// Ownership: `w4`, `transport` and the Proxy given to attach() must outlive it.
class EpCscfPolicy final : public proxy::RequestPolicy {
public:
  EpCscfPolicy(RuntimePtr runtime, registrar::W4& w4, std::unique_ptr<token::Verifier> verifier,
               transport::Transport& transport, boost::asio::any_io_executor shard);
  ~EpCscfPolicy() override;

  /// The proxy this policy resumes (Decision::wait + Proxy::resume). Call once, before traffic.
  void attach(proxy::Proxy& proxy) { proxy_ = &proxy; }

  /// RFC 5626 §7 / G-08: the flow died; every contact registered on it is removed from W4 at once
  /// (asynchronously, on this shard).
  void on_flow_closed(transport::FlowId flow);

  proxy::Decision on_request(proxy::RequestContext& ctx) override;

  /// A parsed REGISTER, kept across the asynchronous token check and W4 call.
  struct PendingRegister;

private:
  proxy::Decision on_wic_register(proxy::RequestContext& ctx, const WimpuDomain& domain);
  void on_token(proxy::ContextId id, std::shared_ptr<PendingRegister> reg,
                token::VerifyResult result);
  boost::asio::awaitable<void> run_register(proxy::ContextId id,
                                            std::shared_ptr<PendingRegister> reg);
  boost::asio::awaitable<void> run_remove_flow(std::string token);
  void finish(proxy::ContextId id, proxy::Decision d,
              std::vector<std::pair<std::string, std::string>> headers);
  const WimpuDomain* wimpu_domain(std::string_view host) const;
  std::string service_route(transaction::ListenerId listener) const;

  RuntimePtr rt_;
  registrar::W4& w4_;
  std::unique_ptr<token::Verifier> verifier_;
  transport::Transport& transport_;
  boost::asio::any_io_executor shard_;
  proxy::Proxy* proxy_ = nullptr;
};

}  // namespace wimpu::ep_cscf
