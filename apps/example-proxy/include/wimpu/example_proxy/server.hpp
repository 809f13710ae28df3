#pragma once
// The example proxy: a cscf_node::SipNode (shards, transport, transaction layer and proxy core,
// the wiring every wimpu SIP node shares) with the static-route policy on each shard. Tests run it
// in-process.
#include <memory>
#include <vector>

#include "wimpu/example_proxy/config.hpp"
#include "wimpu/cscf_node/sip_node.hpp"

namespace wimpu::example_proxy {

/// Lifecycle (main thread): Server s(config); s.start(); ... s.stop(); (or destroy).
class Server {
public:
  explicit Server(ExampleConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds every listener, builds one stack and one policy per shard and starts the shards.
  /// Throws std::runtime_error when a listener cannot be bound.
  void start();
  /// Stops the transport and the shards; idempotent.
  void stop();
  /// The bound listeners (ports resolved), valid after start().
  const std::vector<transport::ListenerInfo>& listeners() const;

private:
  ExampleConfig config_;
  std::unique_ptr<cscf_node::SipNode> node_;
};

}  // namespace wimpu::example_proxy
