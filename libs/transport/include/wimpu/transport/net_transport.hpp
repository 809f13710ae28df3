#pragma once
// The real transport: UDP, TCP, TLS, WS and WSS on Boost.Asio / Boost.Beast / OpenSSL, one set of
// sockets per shard (SO_REUSEPORT), a flow table per shard, flow tokens, keep-alives and limits.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wimpu/common/expected.hpp"
#include "wimpu/transport/config.hpp"
#include "wimpu/transport/flow_token.hpp"
#include "wimpu/transport/message.hpp"
#include "wimpu/transport/shard_pool.hpp"
#include "wimpu/transport/transport.hpp"
#include "wimpu/transport/ws_handshake.hpp"

namespace wimpu::transport {

namespace detail {
class Shard;
struct SharedState;
}  // namespace detail

/// A listener as bound: its index, protocol and local endpoint (with the real port when the
/// config asked for port 0).
struct ListenerInfo {
  ListenerId id = 0;
  Protocol protocol = Protocol::kUdp;
  Endpoint local;
};

/// Start-up failure (bad address, port in use, unreadable certificate): a message for the log.
struct StartupError {
  std::string message;
};
[[noreturn]] void throw_exception_from_error(const StartupError& e,
                                             const boost::source_location& loc);

/// Picks the MessageSink of each shard; called once per shard by start(). May return the same
/// sink for every shard (which is then called concurrently from the shard threads).
using SinkProvider = std::function<MessageSink&(ShardId)>;

/// The transport of one process.
///
/// Lifecycle (main thread):
///   auto t = NetTransport::create(pool, config);   // binds every listener on every shard
///   t->listeners();                                 // bound ports (port 0 resolved)
///   t->start(sinks, hook);                          // shards begin to accept and read
///   ... pool.start() (before or after start()) ...
///   t->stop(); pool.stop(); pool.join();            // then destroy t, then the pool
///
/// Lifetime hazards: connections and their coroutines refer to their shard's state by reference.
/// NetTransport must outlive the shard threads (destroy it after pool.join(), or without ever
/// starting the pool); the sinks and the hook must outlive stop().
class NetTransport final : public Transport {
public:
  /// Binds every listener of `config` on every shard of `pool` with SO_REUSEPORT (the first shard
  /// binds port 0 and the others join the port it got) and loads the TLS material. Nothing is
  /// accepted or read until start(). Call on the main thread, not on a shard.
  /// Errors: a StartupError naming the listener and the cause.
  static Expected<std::unique_ptr<NetTransport>, StartupError> create(ShardPool& pool,
                                                                      TransportConfig config);

  /// Requires stop() was called, or the pool never ran, or it was joined.
  ~NetTransport() override;

  /// The bound listeners, in config order. Threading: any thread (immutable after create()).
  const std::vector<ListenerInfo>& listeners() const { return listeners_; }

  /// Starts accepting and reading on every shard: posts to each shard, returns at once. Messages
  /// and closes go to `sinks(shard)`; WebSocket upgrades are vetted by `hook` (may be empty).
  /// Call once, from the main thread.
  void start(SinkProvider sinks, WsHandshakeHook hook = {});

  /// Closes every listener and flow on every shard (on_flow_closed(kShutdown) for each flow that
  /// was handed out) and blocks until each shard has done so. Later sends fail with kStopped.
  /// `mode` says how each flow ends (Transport::close): kAbort at once; kFlushWrites and
  /// kGoingAway (a drain: WS/WSS peers get a Close frame 1001, RFC 6455 §7.4.1) wait for each
  /// flow, at most Timers::handshake_timeout + ws_close_timeout, then abort what is left. With
  /// the pool not running every mode aborts.
  /// Call from the main thread (never from a shard: it waits for them). Idempotent.
  void stop(CloseMode mode = CloseMode::kAbort);

  /// The pool the transport runs on.
  ShardPool& pool() const { return pool_; }

  /// The configuration (immutable after create()).
  const TransportConfig& config() const;

  // Transport (see transport.hpp for contracts).
  Expected<void, SendError> send(FlowId flow, std::string bytes) override;
  Expected<FlowId, SendError> send_to(const Destination& dest, std::string bytes) override;
  Expected<FlowId, SendError> udp_flow(ListenerId listener, const Endpoint& remote) override;
  void close(FlowId flow, CloseMode mode) override;
  using Transport::close;
  bool is_live(FlowId flow) const override;
  std::string flow_token(FlowId flow) const override;
  Expected<FlowId, FlowTokenError> decode_flow_token(std::string_view token) const override;

  /// Number of live flows on shard `s` (connections being set up included). Threading: only on
  /// shard `s`. For tests and metrics.
  std::size_t live_flows_on_shard(ShardId s) const;

private:
  NetTransport(ShardPool& pool, std::unique_ptr<detail::SharedState> shared);

  ShardPool& pool_;
  std::unique_ptr<detail::SharedState> shared_;
  std::vector<std::unique_ptr<detail::Shard>> shards_;
  std::vector<ListenerInfo> listeners_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
};

}  // namespace wimpu::transport
