#pragma once
// The eP-CSCF wired up: a cscf_node::SipNode (shards, transport, per-shard transaction layer +
// proxy core) with an EpCscfPolicy per shard, the W4 backend and the token verifiers. main.cpp,
// apps/wimpud and the integration tests run this same object.
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "wimpu/common/clock.hpp"
#include "wimpu/cscf_node/sip_node.hpp"
#include "wimpu/ep_cscf/config.hpp"
#include "wimpu/registrar/w4.hpp"
#include "wimpu/token/key_store.hpp"
#include "wimpu/transport/net_transport.hpp"

namespace wimpu::ep_cscf {

class BlockRegistration;
class EpCscfPolicy;
struct Runtime;

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
  /// Stops the transport and the shards (drain() first when not done). Idempotent.
  void stop();
  /// SIGHUP (issue 7): applies what can change without a restart from `fresh` (a re-read of the
  /// same file): the keys of every trusted issuer already configured (inline `jwks`, else
  /// `jwks_file` read again; a bad document keeps the keys in force) and the allowed Origins of
  /// new WebSocket upgrades. Issuers added or removed, listeners, domains and blocks need a
  /// restart and are reported so. Returns one line per action. Main thread, between start() and
  /// stop(); never throws.
  std::vector<std::string> reload(const EpCscfConfig& fresh);

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

  EpCscfConfig config_;
  common::ClockPtr clock_;
  std::vector<token::KeyStorePtr> stores_;
  std::vector<registrar::W4Ptr> registrars_;  // outlive node_'s policies
  std::unique_ptr<cscf_node::SipNode> node_;
  std::shared_ptr<const Runtime> runtime_;
  std::vector<EpCscfPolicy*> policies_;  // owned by node_, one per shard
  std::vector<std::size_t> block_indices_;  // domains with a block registration
  std::vector<std::unique_ptr<BlockRegistration>> blocks_;  // used on shard 0 only
  bool running_ = false;
  bool drained_ = false;
  /// The Origin allow-list of new WebSocket upgrades (RFC 7118 §7), replaced by reload().
  struct Origins {
    std::mutex mutex;
    std::vector<std::string> allowed;  ///< empty: any
  };
  std::shared_ptr<Origins> origins_ = std::make_shared<Origins>();
};

}  // namespace wimpu::ep_cscf
