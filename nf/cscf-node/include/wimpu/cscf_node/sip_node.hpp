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
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <toml++/toml.h>

#include "wimpu/proxy/policy.hpp"
#include "wimpu/proxy/proxy.hpp"
#include "wimpu/transaction/config.hpp"
#include "wimpu/transport/config.hpp"
#include "wimpu/transport/net_transport.hpp"
#include "wimpu/transport/shard_pool.hpp"
#include "wimpu/transport/ws_handshake.hpp"

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
  /// Proxy-Require option tags the proxy core accepts (ProxyConfig::supported_proxy_require),
  /// e.g. {"outbound", "path"} at an edge proxy.
  std::vector<std::string> supported_proxy_require;
  /// Live transactions per shard the transaction tables are sized for up front
  /// (TransactionLayer's expected_transactions; TOML [proxy] expected_transactions).
  std::size_t expected_transactions = 4096;
  /// Vets WebSocket upgrades (Origin allow-list, RFC 7118 §7); empty = accept all.
  transport::WsHandshakeHook ws_handshake;
};

/// Parses the sections above from `root`. Throws std::runtime_error (start-up only).
SipNodeConfig parse_sip_node_config(const toml::table& root);

/// A TOML array of strings at `n` (absent: empty). Throws std::runtime_error naming `name` when
/// it is not one. For the CSCFs' own config sections.
std::vector<std::string> string_list(const toml::node_view<const toml::node>& n,
                                     std::string_view name);

/// One shard's plug-in and how to give it its proxy (for Proxy::resume).
struct ShardPolicy {
  std::unique_ptr<proxy::RequestPolicy> policy;
  std::function<void(proxy::Proxy&)> attach;
};

/// Builds the plug-in of shard `shard` whose executor is `executor`. Called on the main thread
/// during start(); the result is then used only on its shard.
using PolicyFactory =
    std::function<ShardPolicy(transport::ShardId shard, boost::asio::any_io_executor executor)>;

/// Told on shard `shard` (the flow's owner) that `flow` closed, after the shard's transaction
/// layer was (TransactionLayer::on_flow_closed). E.g. an edge proxy drops the flow's contacts
/// (RFC 5626 §7).
using FlowClosedHandler = std::function<void(transport::ShardId shard, transport::FlowId flow,
                                             transport::CloseReason reason)>;

/// A request this node sends as a UAC (not a proxied branch), e.g. an edge proxy's own REGISTER.
/// Its responses and failure come back on the shard that started it.
class UacHandler {
public:
  virtual ~UacHandler() = default;
  /// Every response of the client transaction (provisional and final).
  virtual void on_uac_response(const sip::Message& response) = 0;
  /// The transaction ended without a final response (Timer F/B: as 408; transport: as 503).
  virtual void on_uac_failure(transaction::ClientFailure why) = 0;
};

class ShardStack;

/// Live state summed over a node's shards, for the gauges of /metrics (issue 7).
struct NodeStats {
  std::size_t flows = 0;                ///< live flows (connections being set up included)
  std::size_t server_transactions = 0;  ///< live server transactions (RFC 3261 §17.2)
  std::size_t client_transactions = 0;  ///< live client transactions (RFC 3261 §17.1)
  std::size_t proxy_contexts = 0;       ///< requests being proxied, each one fork set (§16)
};

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
  /// shards stopped, so pending coroutines never run against a dead policy. `flows` says how the
  /// transport ends its flows (NetTransport::stop): kGoingAway for a drain (WebSocket peers get
  /// a Close frame 1001 and reconnect), bounded by the transport's timers.
  void stop(transport::CloseMode flows = transport::CloseMode::kAbort);
  /// Bound listeners (ports resolved), valid after start().
  const std::vector<transport::ListenerInfo>& listeners() const;
  /// The shard pool (valid after start()), e.g. to create per-shard Cx clients.
  transport::ShardPool& pool() { return *pool_; }

  /// Live flows, transactions and proxy contexts summed over the shards: asks every shard (post)
  /// and waits up to `timeout` for the answers (a shard that does not answer in time adds
  /// nothing). Zeros when not running. Threading: any thread but a shard of this node (it waits
  /// for them), e.g. the admin thread; not concurrently with stop().
  NodeStats stats(std::chrono::milliseconds timeout = std::chrono::milliseconds(1000)) const;

  /// Creates the pool early so callers can build per-shard resources before start().
  void create_pool();

  /// Sets the flow-closed handler. Call before start(); main thread.
  void set_flow_closed_handler(FlowClosedHandler handler) { flow_closed_ = std::move(handler); }

  /// The transport (valid from inside the PolicyFactory, i.e. during start(), until stop()):
  /// flow tokens, sends down a known flow. Thread-safe per the Transport contract.
  transport::Transport& transport();

  /// Sends `bytes` (a complete request, CRLF line ends, without a Via: the node inserts its Via
  /// with a fresh branch of `shard` as the first header) to `to` in a new client transaction
  /// (RFC 3261 §17.1; retransmissions on UDP); `handler` gets its responses.
  /// Threading: on shard `shard` only. Ownership: `handler` must stay alive until its final
  /// response or failure arrived, or until stop(). Returns false when nothing was sent.
  bool send_uac_request(transport::ShardId shard, const transaction::Peer& to,
                        std::string_view bytes, UacHandler& handler);

  /// The Via sent-by ("host:port") and URI host text of our listener for `protocol` (the first
  /// one), e.g. for a Path header. Valid after start(); empty when there is none.
  std::string local_host_port(transport::Protocol protocol) const;

private:
  SipNodeConfig config_;
  PolicyFactory factory_;
  std::unique_ptr<transport::ShardPool> pool_;
  std::unique_ptr<transport::NetTransport> transport_;
  std::vector<ShardPolicy> policies_;
  std::vector<std::unique_ptr<ShardStack>> stacks_;
  FlowClosedHandler flow_closed_;
  bool running_ = false;
};

/// Host text for a URI/Via: IPv6 in brackets.
std::string uri_host(const boost::asio::ip::address& a);

}  // namespace wimpu::cscf_node
