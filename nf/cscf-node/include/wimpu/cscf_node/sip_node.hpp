#pragma once
// The SIP side of a CSCF process: a ShardPool, the NetTransport, and on every shard a timer
// service, a TransactionLayer, a Proxy (RFC 3261 §16 core) and the CSCF's RequestPolicy plug-in.
// The eI-CSCF and S-CSCF executables and their in-process tests share it (STYLE.md habit 1: the
// wiring is a library so tests run the real server).
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <toml++/toml.h>

#include "wimpu/proxy/policy.hpp"
#include "wimpu/proxy/proxy.hpp"
#include "wimpu/transaction/config.hpp"
#include "wimpu/transport/config.hpp"
#include "wimpu/transport/net_transport.hpp"
#include "wimpu/transport/shard_pool.hpp"

namespace wimpu::cscf_node {

/// Listeners, shards, timers and proxy knobs, from the TOML sections [[listeners]], [proxy],
/// [timers] (same keys as examples/example-proxy.toml).
struct SipNodeConfig {
  transport::TransportConfig transport;
  std::size_t shards = 1;
  transaction::TimerConfig timers;
  std::chrono::seconds timer_c{181};
  bool record_route = true;
  std::vector<std::string> domains;
};

/// Parses the sections above from `root`. Throws std::runtime_error (start-up only).
SipNodeConfig parse_sip_node_config(const toml::table& root);

/// One shard's plug-in and how to give it its proxy (for Proxy::resume).
struct ShardPolicy {
  std::unique_ptr<proxy::RequestPolicy> policy;
  std::function<void(proxy::Proxy&)> attach;
};

/// Builds the plug-in of shard `shard` whose executor is `executor`. Called on the main thread
/// during start(); the result is then used only on its shard.
using PolicyFactory =
    std::function<ShardPolicy(transport::ShardId shard, boost::asio::any_io_executor executor)>;

class ShardStack;

/// Lifecycle (main thread): SipNode n(config, factory); n.start(); ... n.stop();
class SipNode {
public:
  SipNode(SipNodeConfig config, PolicyFactory factory);
  ~SipNode();
  SipNode(const SipNode&) = delete;
  SipNode& operator=(const SipNode&) = delete;

  /// Binds the listeners, builds the shards' stacks and starts their threads. Throws
  /// std::runtime_error when a listener cannot be bound.
  void start();
  /// Stops the transport and joins the shards; idempotent. Policies are destroyed after the
  /// shards stopped, so pending coroutines never run against a dead policy.
  void stop();
  /// Bound listeners (ports resolved), valid after start().
  const std::vector<transport::ListenerInfo>& listeners() const;
  /// The shard pool (valid after start()), e.g. to create per-shard Cx clients.
  transport::ShardPool& pool() { return *pool_; }

  /// Creates the pool early so callers can build per-shard resources before start().
  void create_pool();

private:
  SipNodeConfig config_;
  PolicyFactory factory_;
  std::unique_ptr<transport::ShardPool> pool_;
  std::unique_ptr<transport::NetTransport> transport_;
  std::vector<ShardPolicy> policies_;
  std::vector<std::unique_ptr<ShardStack>> stacks_;
  bool running_ = false;
};

/// Host text for a URI/Via: IPv6 in brackets.
std::string uri_host(const boost::asio::ip::address& a);

}  // namespace wimpu::cscf_node
