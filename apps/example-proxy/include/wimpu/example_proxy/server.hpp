#pragma once
// Wiring of the example proxy: a ShardPool, the NetTransport, and on every shard a timer service,
// a TransactionLayer and a Proxy with the static-route policy. Tests run it in-process.
#include <memory>
#include <vector>

#include "wimpu/example_proxy/config.hpp"
#include "wimpu/transport/net_transport.hpp"

namespace wimpu::example_proxy {

class ShardStack;
class StaticRoutePolicy;

/// Lifecycle (main thread): Server s(config); s.start(); ... s.stop(); (or destroy).
class Server {
public:
  explicit Server(ExampleConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds every listener, builds one stack per shard and starts the shard threads.
  /// Throws std::runtime_error when a listener cannot be bound.
  void start();
  /// Stops the transport and the shards; idempotent.
  void stop();
  /// The bound listeners (ports resolved), valid after start().
  const std::vector<transport::ListenerInfo>& listeners() const;

private:
  ExampleConfig config_;
  std::unique_ptr<transport::ShardPool> pool_;
  std::unique_ptr<transport::NetTransport> transport_;
  std::vector<std::unique_ptr<ShardStack>> stacks_;
  std::unique_ptr<StaticRoutePolicy> policy_;
  bool running_ = false;
};

}  // namespace wimpu::example_proxy
