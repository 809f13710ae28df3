#include "wimpu/transport/net_transport.hpp"

#include <openssl/rand.h>

#include <latch>

#include "counters.hpp"
#include "shard.hpp"
#include "shared_state.hpp"
#include "tls.hpp"
#include "wimpu/common/assert.hpp"

namespace wimpu::transport {
namespace {

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  WIMPU_RELEASE_ASSERT(RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                                  static_cast<int>(n)) == 1);
  return out;
}

std::uint32_t random_epoch() {
  const std::string b = random_bytes(4);
  std::uint32_t v = 0;
  for (char c : b) {
    v = (v << 8) | static_cast<unsigned char>(c);
  }
  return v;
}

}  // namespace

Expected<std::unique_ptr<NetTransport>, StartupError> NetTransport::create(
    ShardPool& pool, TransportConfig config) {
  WIMPU_RELEASE_ASSERT(!pool.current());
  if (config.listeners.size() >= kAnyListener) {
    return StartupError{"too many listeners"};
  }
  std::string key =
      config.flow_token_key.empty() ? random_bytes(32) : config.flow_token_key;
  auto shared = std::make_unique<detail::SharedState>(config,
                                                      FlowTokenCodec(std::move(key), random_epoch()));
  for (std::size_t i = 0; i < shared->config.listeners.size(); ++i) {
    const ListenerConfig& lc = shared->config.listeners[i];
    auto l = std::make_unique<detail::ListenerShared>();
    l->id = static_cast<ListenerId>(i);
    l->config = lc;
    boost::system::error_code ec;
    l->bound.address = boost::asio::ip::make_address(lc.address, ec);
    if (ec) {
      return StartupError{"listener " + std::to_string(i) + ": bad address '" + lc.address + "'"};
    }
    l->bound.port = lc.port;
    if (is_secure(lc.protocol)) {
      auto tls = detail::make_server_tls(lc.tls);
      if (!tls) {
        return StartupError{"listener " + std::to_string(i) + ": " + tls.error().message};
      }
      l->tls = std::move(*tls);
    }
    shared->listeners.push_back(std::move(l));
  }
  auto client = detail::make_client_tls(shared->config.tls_client);
  if (!client) {
    return StartupError{"tls_client: " + client.error().message};
  }
  shared->tls_client = std::move(*client);

  std::unique_ptr<NetTransport> t(new NetTransport(pool, std::move(shared)));
  for (ShardId s = 0; s < pool.size(); ++s) {
    t->shards_.push_back(std::make_unique<detail::Shard>(*t->shared_, s, pool.context(s)));
  }
  for (auto& l : t->shared_->listeners) {
    // The first shard binds the configured port (0: the kernel picks one); the others join
    // that port through SO_REUSEPORT. One shard: no SO_REUSEPORT, so no other process can share
    // the port (two port-0 SO_REUSEPORT binds of one user can get the same port).
    std::uint16_t port = l->config.port;
    const bool share_port = t->shards_.size() > 1;
    for (auto& shard : t->shards_) {
      if (auto r = shard->bind(*l, port, share_port); !r) {
        return r.error();
      }
    }
    l->bound.port = port;
    t->listeners_.push_back(ListenerInfo{l->id, l->config.protocol, l->bound});
  }
  return t;
}

NetTransport::NetTransport(ShardPool& pool, std::unique_ptr<detail::SharedState> shared)
    : pool_(pool), shared_(std::move(shared)) {}

NetTransport::~NetTransport() {
  // Handlers on the shards refer to the shards' state: they must not run any more.
  WIMPU_RELEASE_ASSERT(!pool_.running());
}

const TransportConfig& NetTransport::config() const { return shared_->config; }

void NetTransport::start(SinkProvider sinks, WsHandshakeHook hook) {
  WIMPU_RELEASE_ASSERT(!started_.exchange(true));
  WIMPU_RELEASE_ASSERT(!pool_.current());
  // Written before the posts below, which order it before every read on the shards.
  shared_->hook = std::move(hook);
  for (ShardId s = 0; s < shards_.size(); ++s) {
    MessageSink* sink = &sinks(s);
    detail::Shard* shard = shards_[s].get();
    pool_.post(s, [shard, sink] { shard->start(*sink); });
  }
}

void NetTransport::stop(CloseMode mode) {
  if (stopped_.exchange(true)) {
    return;
  }
  shared_->stopping.store(true, std::memory_order_relaxed);
  if (!pool_.running()) {
    for (auto& shard : shards_) {
      shard->shutdown(CloseMode::kAbort, {});  // nothing runs the flows' handshakes any more
    }
    return;
  }
  WIMPU_RELEASE_ASSERT(!pool_.current());  // it waits for the shards: never on one
  std::latch done(static_cast<std::ptrdiff_t>(shards_.size()));
  for (ShardId s = 0; s < shards_.size(); ++s) {
    detail::Shard* shard = shards_[s].get();
    pool_.post(s, [shard, mode, &done] {
      shard->shutdown(mode, [shard, &done] {
        // Posted, so it runs after the on_flow_closed notifications that shutdown() queued:
        // when stop() returns, no sink call is pending.
        boost::asio::post(shard->context(), [&done] { done.count_down(); });
      });
    });
  }
  done.wait();
}

Expected<void, SendError> NetTransport::send(FlowId flow, std::string bytes) {
  if (shared_->stopping.load(std::memory_order_relaxed)) {
    return SendError::kStopped;
  }
  if (!flow.valid() || flow.shard >= shards_.size()) {
    detail::counter("send.flow_dead").inc();
    return SendError::kFlowDead;
  }
  detail::Shard* shard = shards_[flow.shard].get();
  if (pool_.on_shard(flow.shard)) {
    return shard->send(flow, std::move(bytes));
  }
  if (!shard->is_live(flow)) {
    detail::counter("send.flow_dead").inc();
    return SendError::kFlowDead;
  }
  if (bytes.size() > shared_->config.limits.max_message_bytes) {
    detail::counter("send.message_too_large").inc();
    return SendError::kMessageTooLarge;
  }
  // Seastar invoke_on: the connection is touched only by its shard.
  pool_.post(flow.shard, [shard, flow, b = std::move(bytes)]() mutable {
    if (auto r = shard->send(flow, std::move(b)); !r) {
      std::string name = "send.dropped_";
      name += to_string(r.error());
      detail::counter(name).inc();
    }
  });
  return {};
}

Expected<FlowId, SendError> NetTransport::send_to(const Destination& dest, std::string bytes) {
  const std::optional<ShardId> shard = pool_.current();
  if (!shard) {
    detail::counter("send.not_on_shard").inc();
    return SendError::kNotOnShard;
  }
  if (shared_->stopping.load(std::memory_order_relaxed)) {
    return SendError::kStopped;
  }
  return shards_[*shard]->send_to(dest, std::move(bytes));
}

Expected<FlowId, SendError> NetTransport::udp_flow(ListenerId listener, const Endpoint& remote) {
  const std::optional<ShardId> shard = pool_.current();
  if (!shard) {
    detail::counter("send.not_on_shard").inc();
    return SendError::kNotOnShard;
  }
  if (shared_->stopping.load(std::memory_order_relaxed)) {
    return SendError::kStopped;
  }
  return shards_[*shard]->udp_flow(listener, remote);
}

void NetTransport::close(FlowId flow, CloseMode mode) {
  if (!flow.valid() || flow.shard >= shards_.size()) {
    return;
  }
  detail::Shard* shard = shards_[flow.shard].get();
  if (pool_.on_shard(flow.shard)) {
    shard->close(flow, mode);
    return;
  }
  pool_.post(flow.shard, [shard, flow, mode] { shard->close(flow, mode); });
}

bool NetTransport::is_live(FlowId flow) const {
  return flow.valid() && flow.shard < shards_.size() && shards_[flow.shard]->is_live(flow);
}

std::string NetTransport::flow_token(FlowId flow) const { return shared_->codec.encode(flow); }

Expected<FlowId, FlowTokenError> NetTransport::decode_flow_token(std::string_view token) const {
  auto flow = shared_->codec.decode(token);
  if (!flow) {
    return flow.error();
  }
  if (!is_live(*flow)) {
    detail::counter("flow_token.dead").inc();
    return FlowTokenError::kFlowDead;
  }
  return *flow;
}

std::size_t NetTransport::live_flows_on_shard(ShardId s) const {
  WIMPU_ASSERT(!pool_.running() || pool_.on_shard(s));
  return shards_.at(s)->live_flows();
}

}  // namespace wimpu::transport
