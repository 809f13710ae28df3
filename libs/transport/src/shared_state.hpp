#pragma once
// State shared by every shard of one NetTransport. Immutable after NetTransport::start() except
// the atomics; shards read it without locks.
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <memory>
#include <vector>

#include "wimpu/transport/config.hpp"
#include "wimpu/transport/flow_token.hpp"
#include "wimpu/transport/ws_handshake.hpp"

namespace wimpu::transport::detail {

/// One configured listener, as shared by its per-shard sockets.
struct ListenerShared {
  ListenerId id = 0;
  ListenerConfig config;
  Endpoint bound;  ///< With the real port after the first shard bound it.
  /// Live connections accepted by this listener on all shards (ListenerConfig::max_connections).
  std::atomic<std::size_t> active{0};
  /// Server TLS context for kTls/kWss (SSL_CTX is safe to share once configured).
  std::unique_ptr<boost::asio::ssl::context> tls;
};

struct SharedState {
  SharedState(TransportConfig c, FlowTokenCodec codec_) : config(std::move(c)), codec(std::move(codec_)) {}
  const TransportConfig config;
  const FlowTokenCodec codec;
  std::vector<std::unique_ptr<ListenerShared>> listeners;
  /// Client TLS context for outgoing kTls/kWss.
  std::unique_ptr<boost::asio::ssl::context> tls_client;
  /// Set by NetTransport::start() before any shard starts accepting (the post that starts a shard
  /// orders it), read-only afterwards.
  WsHandshakeHook hook;
  /// Set by NetTransport::stop(); new sends fail with kStopped.
  std::atomic<bool> stopping{false};
};

}  // namespace wimpu::transport::detail
