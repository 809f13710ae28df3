#pragma once
// The eP-CSCF wired up: a cscf_node::SipNode (shards, transport, per-shard transaction layer +
// proxy core) with an EpCscfPolicy per shard, the W4 backend and the token verifiers. main.cpp,
// apps/wimpud and the integration tests run this same object.
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "wimpu/common/clock.hpp"
#include "wimpu/common/expected.hpp"
#include "wimpu/cscf_node/sip_node.hpp"
#include "wimpu/ep_cscf/config.hpp"
#include "wimpu/registrar/w4.hpp"
#include "wimpu/token/key_store.hpp"
#include "wimpu/transport/net_transport.hpp"

namespace wimpu::ep_cscf {

class BlockRegistration;
class EpCscfPolicy;
struct Runtime;
struct Trust;

/// A reload validated by Server::prepare_reload(), not yet in force (opaque).
struct PreparedReload;
using PreparedReloadPtr = std::shared_ptr<const PreparedReload>;

/// Owns everything. Threading: construct, start() and stop() on the main thread.
class Server {
public:
  /// `clock` drives token expiry and the memory registrar (tests pass a FakeClock); null = the
  /// system clock.
  explicit Server(EpCscfConfig config, common::ClockPtr clock = nullptr);
  /// Calls stop().
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Loads the JWKS, binds the listeners, starts the shards. Throws std::runtime_error on a
  /// start-up failure (bad JWKS, port in use): configuration time only.
  void start();
  /// Orderly shutdown, first half (issue 7 "SIGTERM drains"): de-registers every registered
  /// block upstream (seed TR 5.2.2.5.1), waiting at most the domains' deregister_wait for the
  /// answers. The server keeps running (the W4 stays valid) until stop(). Idempotent; main thread.
  void drain();
  /// Stops the transport and the shards (drain() first when not done): every WebSocket flow is
  /// closed with a Close frame 1001 "going away" (bounded by the transport's ws_close_timeout),
  /// so browsers reconnect rather than see 1006. Idempotent.
  void stop();
  /// Reload, first half (issue 7 "SIGHUP reloads"): validates what `next` says about the parts a
  /// running eP-CSCF can change, and builds them without putting anything in force:
  ///  - each domain's trusted issuers (added, removed, algorithm, JWKS re-read from jwks_file or
  ///    taken from jwks); domains are matched by `domain` name, a domain of `next` that does not
  ///    run here is ignored (adding or removing domains needs a restart);
  ///  - allowed_origins (RFC 7118 §7).
  /// Everything else in `next` is ignored. An error names the key and the cause
  /// ("ep_cscf.domains[0].issuers[1]: cannot read /x.jwks") and nothing changes.
  /// Main thread, between start() and stop().
  Expected<PreparedReloadPtr, std::string> prepare_reload(const EpCscfConfig& next) const;
  /// Reload, second half: puts `r` in force. Cannot fail. WebSocket handshakes from now on check
  /// the new Origins (open WebSockets stay); every shard swaps to a Verifier over the new key
  /// stores (empty cache) and the new per-domain issuer lists before this returns, so a REGISTER
  /// received afterwards is checked against the new issuers; a removed issuer's token is refused
  /// like an unknown issuer's (401 invalid_token, counter token.verify.fail.unknown_issuer).
  /// Returns one line per change ("domain d: issuer https://x added"). Main thread.
  std::vector<std::string> commit_reload(const PreparedReloadPtr& r);
  /// prepare_reload() then commit_reload(); the error of the first. Main thread.
  Expected<std::vector<std::string>, std::string> reload(const EpCscfConfig& next);
  /// The configuration in force (reloaded parts included). Main thread.
  const EpCscfConfig& config() const { return config_; }

  /// Closes the WIC flow named by `flow_token` (a W4 ContactInfo::flow_token of this instance),
  /// e.g. for an admin kick: the WIC sees its WebSocket close and its contacts go (RFC 5626 §7).
  /// Returns false when the token is not one of our live flows. Thread-safe.
  bool close_flow(std::string_view flow_token);

  /// Live flows, transactions and proxy contexts of this eP-CSCF (SipNode::stats()). Not on a
  /// shard thread.
  cscf_node::NodeStats stats() const;

  /// Ids of the blocks whose registration with the IMS core is not up (BlockTrigger::kStartup
  /// until the first 200 OK, or after a failure): their WICs get 503. Thread-safe.
  std::vector<std::string> blocks_down() const;

  /// The bound listeners (ports resolved when configured as 0). Valid after start().
  const std::vector<transport::ListenerInfo>& listeners() const;
  /// Shard `s`'s registrar (the same object for every shard with the memory backend). Thread-safe
  /// per the W4 contract. Valid between start() and stop().
  registrar::W4& w4(std::size_t shard = 0);

private:
  cscf_node::ShardPolicy make_policy(transport::ShardId s, boost::asio::any_io_executor ex);
  void on_first_wic(std::size_t domain_index);

  /// One KeyStore per distinct trusted issuer of `domains` (configuration time: throws
  /// std::runtime_error naming the key on a bad or unreadable JWKS).
  std::vector<token::KeyStorePtr> make_stores(const std::vector<WimpuDomain>& domains) const;
  std::shared_ptr<const Trust> make_trust() const;

  EpCscfConfig config_;
  common::ClockPtr clock_;
  /// The allowed Origins the WebSocket handshake hook reads (shared with the hook, which runs
  /// on the shards; swapped atomically by commit_reload()). Empty list: any Origin.
  using OriginList = std::shared_ptr<const std::vector<std::string>>;
  std::shared_ptr<std::atomic<OriginList>> origins_;
  std::vector<token::KeyStorePtr> stores_;
  std::shared_ptr<const Trust> trust_;
  std::vector<registrar::W4Ptr> registrars_;  // outlive node_'s policies
  std::unique_ptr<cscf_node::SipNode> node_;
  std::shared_ptr<const Runtime> runtime_;
  std::vector<EpCscfPolicy*> policies_;  // owned by node_, one per shard
  std::vector<std::size_t> block_indices_;  // domains with a block registration
  std::vector<std::unique_ptr<BlockRegistration>> blocks_;  // used on shard 0 only
  bool running_ = false;
  bool drained_ = false;
};

}  // namespace wimpu::ep_cscf
