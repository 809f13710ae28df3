#pragma once
// The eP-CSCF wired up: shards, transport, per-shard transaction layer + proxy core + EpCscfPolicy,
// the W4 backend and the token verifiers. main.cpp and the integration tests run this same object.
#include <memory>
#include <vector>

#include "wimpu/common/clock.hpp"
#include "wimpu/ep_cscf/config.hpp"
#include "wimpu/registrar/w4.hpp"
#include "wimpu/transport/net_transport.hpp"
#include "wimpu/transport/shard_pool.hpp"

namespace wimpu::ep_cscf {

class ShardStack;

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
  /// Stops the transport and the shards. Idempotent.
  void stop();

  /// The bound listeners (ports resolved when configured as 0). Valid after start().
  const std::vector<transport::ListenerInfo>& listeners() const;
  /// Shard `s`'s registrar (the same object for every shard with the memory backend). Thread-safe
  /// per the W4 contract. Valid between start() and stop().
  registrar::W4& w4(std::size_t shard = 0);

private:
  EpCscfConfig config_;
  common::ClockPtr clock_;
  std::unique_ptr<transport::ShardPool> pool_;
  std::unique_ptr<transport::NetTransport> transport_;
  std::vector<registrar::W4Ptr> registrars_;
  std::vector<std::unique_ptr<ShardStack>> stacks_;
  bool running_ = false;
};

}  // namespace wimpu::ep_cscf
