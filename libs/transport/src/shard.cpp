#include "shard.hpp"

#include <utility>

#include "connection.hpp"
#include "connection_factory.hpp"
#include "counters.hpp"
#include "wimpu/common/assert.hpp"

namespace wimpu::transport::detail {
namespace {

constexpr std::size_t kUdpBuffer = 65536;  // above the largest UDP payload (65507)
constexpr int kUdpDrain = 64;             // datagrams read per wake-up without the reactor

StartupError bind_error(const ListenerShared& l, std::uint16_t port, const char* what,
                        const error_code& ec) {
  return StartupError{"listener " + std::to_string(l.id) + " (" +
                      std::string(to_string(l.config.protocol)) + " " +
                      Endpoint{l.bound.address, port}.to_string() + "): " + what + ": " +
                      ec.message()};
}

// Not a SIP message: empty, only whitespace (a CRLF keep-alive sent over UDP) or a STUN packet
// (RFC 5389 §6: the two top bits of the first byte are zero; SIP starts with a letter). RFC 5626
// §4.4.2 uses STUN for UDP keep-alives; answering it is not implemented (counted).
const char* non_sip_datagram(const char* data, std::size_t n) {
  if (n == 0) {
    return "udp_keepalive_ignored";
  }
  if ((static_cast<unsigned char>(data[0]) & 0xC0) == 0) {
    bool blank = true;
    for (std::size_t i = 0; i < n && blank; ++i) {
      blank = data[i] == '\r' || data[i] == '\n' || data[i] == ' ' || data[i] == '\t';
    }
    return blank ? "udp_keepalive_ignored" : "udp_stun_ignored";
  }
  return nullptr;
}

std::string outgoing_key(const Destination& d) {
  std::string key(to_string(d.protocol));
  key += '|';
  key += d.remote.to_string();
  key += '|';
  key += d.host;
  if (is_websocket(d.protocol)) {
    key += '|';
    key += d.ws_target;
  }
  return key;
}

}  // namespace

Shard::Shard(SharedState& shared, ShardId id, asio::io_context& context)
    : shared_(shared),
      id_(id),
      context_(context),
      deadlines_(context),
      flows_(id, shared.config.limits.max_flows_per_shard) {
  acceptors_.resize(shared.listeners.size());
  udp_.resize(shared.listeners.size());
}

Shard::~Shard() = default;

Expected<void, StartupError> Shard::bind(ListenerShared& l, std::uint16_t& port,
                                         bool share_port) {
  error_code ec;
  if (l.config.protocol == Protocol::kUdp) {
    auto u = std::make_unique<UdpListener>(context_);
    const udp::endpoint ep(l.bound.address, port);
    if (u->socket.open(ep.protocol(), ec); ec) {
      return bind_error(l, port, "open", ec);
    }
    // SO_REUSEPORT: every shard binds the same port; the kernel hashes each 4-tuple to one
    // socket, so a peer's datagrams keep landing on the same shard. Only with several shards:
    // the kernel may give a port-0 SO_REUSEPORT bind a port another process of the same user
    // already holds the same way, and then splits that port's traffic between the two.
    if (share_port) {
      if (u->socket.set_option(ReusePort(true), ec); ec) {
        return bind_error(l, port, "SO_REUSEPORT", ec);
      }
    }
    if (u->socket.bind(ep, ec); ec) {
      return bind_error(l, port, "bind", ec);
    }
    // Sends are synchronous and never block a shard: a full socket buffer drops the datagram
    // (UDP is lossy anyway; RFC 3261 §17 retransmits).
    u->socket.non_blocking(true, ec);
    const udp::endpoint bound = u->socket.local_endpoint(ec);
    port = bound.port();
    u->local = to_endpoint(bound);
    u->buffer.resize(kUdpBuffer);
    udp_[l.id] = std::move(u);
    return {};
  }
  auto a = std::make_unique<Acceptor>(context_.get_executor());
  const tcp::endpoint ep(l.bound.address, port);
  if (a->open(ep.protocol(), ec); ec) {
    return bind_error(l, port, "open", ec);
  }
  a->set_option(asio::socket_base::reuse_address(true), ec);
  // SO_REUSEPORT: one acceptor per shard on the same port; the kernel spreads connections.
  // Only with several shards (see the UDP case above).
  if (share_port) {
    if (a->set_option(ReusePort(true), ec); ec) {
      return bind_error(l, port, "SO_REUSEPORT", ec);
    }
  }
  if (a->bind(ep, ec); ec) {
    return bind_error(l, port, "bind", ec);
  }
  if (a->listen(asio::socket_base::max_listen_connections, ec); ec) {
    return bind_error(l, port, "listen", ec);
  }
  port = a->local_endpoint(ec).port();
  acceptors_[l.id] = std::move(a);
  return {};
}

void Shard::start(MessageSink& sink) {
  sink_ = &sink;
  if (stopping_) {
    return;
  }
  for (auto& l : shared_.listeners) {
    if (acceptors_[l->id]) {
      asio::co_spawn(context_, accept_loop(l.get()),
                     [](std::exception_ptr e) { log_coroutine_exit("accept loop", e); });
    } else if (udp_[l->id]) {
      asio::co_spawn(context_, udp_loop(l.get()),
                     [](std::exception_ptr e) { log_coroutine_exit("udp loop", e); });
    }
  }
}

void Shard::shutdown(CloseMode mode, std::function<void()> done) {
  stopping_ = true;
  error_code ec;
  for (auto& a : acceptors_) {
    if (a) {
      a->close(ec);
    }
  }
  for (auto& u : udp_) {
    if (u) {
      u->socket.close(ec);
    }
  }
  if (mode != CloseMode::kAbort && flows_.size() != 0) {
    shutdown_done_ = std::move(done);
    const auto& timers = shared_.config.timers;
    shutdown_timer_ = std::make_unique<Timer>(context_.get_executor());
    shutdown_timer_->expires_after(timers.handshake_timeout + timers.ws_close_timeout);
    shutdown_timer_->async_wait([this](error_code wait_ec) {
      // Every flow has its own drain deadline; this only backs them up.
      if (!wait_ec && shutdown_done_) {
        for (const ConnectionPtr& c : flows_.all()) {
          c->close(CloseReason::kShutdown);
        }
      }
    });
    for (const ConnectionPtr& c : flows_.all()) {
      c->close_after_flush(CloseReason::kShutdown, mode);
    }
    return;
  }
  for (const ConnectionPtr& c : flows_.all()) {
    c->close(CloseReason::kShutdown);
  }
  if (done) {
    done();
  }
}

// Lifetime: the Shard outlives its coroutines (NetTransport is destroyed after the pool joined).
Awaitable<void> Shard::accept_loop(ListenerShared* l) {
  Acceptor& acceptor = *acceptors_[l->id];
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kAwait);
    if (stopping_ || ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      // EMFILE/ENFILE and the like: back off a little rather than spin on the error.
      proto_counter(l->config.protocol, "accept_error").inc();
      Timer backoff(context_.get_executor());
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(kAwait);
      if (stopping_) {
        co_return;
      }
      continue;
    }
    accepted(*l, std::move(socket));
  }
}

void Shard::accepted(ListenerShared& l, Socket socket) {
  const Protocol p = l.config.protocol;
  if (l.active.fetch_add(1, std::memory_order_relaxed) >= l.config.max_connections) {
    l.active.fetch_sub(1, std::memory_order_relaxed);
    proto_counter(p, "rejected_connection_cap").inc();
    error_code ec;
    socket.close(ec);
    return;
  }
  apply_socket_options(socket, shared_.config);
  ConnectionPtr conn = is_websocket(p) ? make_inbound_ws(*this, l, std::move(socket))
                                       : make_inbound_stream(*this, l, std::move(socket));
  if (!register_flow(conn)) {
    l.active.fetch_sub(1, std::memory_order_relaxed);
    return;  // the connection and its socket die here
  }
  hot(p).accepted->inc();
  conn->start_server();
}

bool Shard::register_flow(const ConnectionPtr& conn) {
  const std::optional<FlowId> id = flows_.allocate(conn);
  if (!id) {
    proto_counter(conn->protocol(), "flow_table_full").inc();
    return false;
  }
  conn->set_id(*id);
  return true;
}

Awaitable<void> Shard::udp_loop(ListenerShared* l) {
  UdpListener& u = *udp_[l->id];
  udp::endpoint from;
  for (;;) {
    auto [ec, n] = co_await u.socket.async_receive_from(asio::buffer(u.buffer), from, kAwait);
    if (stopping_ || ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) {
      co_return;
    }
    if (ec) {
      proto_counter(Protocol::kUdp, "receive_error").inc();
      continue;
    }
    on_datagram(*l, u, n, from);
    // Drain what is already queued before going back to the reactor (one epoll_wait per burst).
    for (int i = 0; i < kUdpDrain && !stopping_; ++i) {
      error_code rec;
      const std::size_t m = u.socket.receive_from(asio::buffer(u.buffer), from, 0, rec);
      if (rec) {
        break;  // would_block: nothing more queued
      }
      on_datagram(*l, u, m, from);
    }
  }
}

void Shard::on_datagram(ListenerShared& l, UdpListener& u, std::size_t n,
                        const udp::endpoint& from) {
  if (const char* ignored = non_sip_datagram(u.buffer.data(), n)) {
    counter(ignored).inc();
    return;
  }
  if (n > shared_.config.limits.max_message_bytes) {
    proto_counter(Protocol::kUdp, "message_too_large").inc();
    return;
  }
  InboundMessage msg;
  msg.data.assign(u.buffer.data(), n);
  msg.protocol = Protocol::kUdp;
  msg.local = u.local;
  msg.remote = to_endpoint(from);
  msg.shard = id_;
  msg.listener = l.id;
  if (!udp_flows_.empty()) {
    if (auto it = udp_flows_.find(UdpFlowKey{l.id, msg.remote}); it != udp_flows_.end()) {
      msg.flow = it->second;
      if (Connection* c = flows_.get(msg.flow)) {
        c->touch();
      }
    }
  }
  hot(Protocol::kUdp).messages_in->inc();
  deliver(std::move(msg));
}

void Shard::deliver(InboundMessage&& msg) {
  if (sink_ != nullptr && !stopping_) {
    sink_->on_message(std::move(msg));
  }
}

void Shard::defer_flush(std::shared_ptr<Connection> conn) {
  dirty_.push_back(std::move(conn));
  if (!flush_posted_) {
    flush_posted_ = true;
    // Lifetime: the Shard outlives its context's handlers (see accept_loop).
    asio::post(context_, [this] { run_deferred_flushes(); });
  }
}

void Shard::run_deferred_flushes() {
  flush_posted_ = false;
  flushing_.swap(dirty_);
  for (const ConnectionPtr& c : flushing_) {
    c->deferred_flush();  // may defer_flush() again (into dirty_): that waits for the next post
  }
  flushing_.clear();
}

void Shard::flow_closed(Connection& conn, CloseReason reason) {
  const ConnectionPtr keep = flows_.release(conn.id());
  if (!conn.outgoing_key().empty()) {
    if (auto it = outgoing_.find(conn.outgoing_key());
        it != outgoing_.end() && it->second == conn.id()) {
      outgoing_.erase(it);
    }
  }
  if (conn.protocol() == Protocol::kUdp) {
    if (auto it = udp_flows_.find(UdpFlowKey{conn.listener_id(), conn.remote()});
        it != udp_flows_.end() && it->second == conn.id()) {
      udp_flows_.erase(it);
    }
  }
  std::string name = "closed.";
  name += to_string(reason);
  proto_counter(conn.protocol(), name).inc();
  if (conn.handed_out() && sink_ != nullptr) {
    // Posted, never inline: the caller may be inside on_message or a Transport call, and the
    // layer above must not be re-entered (MessageSink contract).
    asio::post(context_, [sink = sink_, id = conn.id(), reason] {
      sink->on_flow_closed(id, reason);
    });
  }
  if (shutdown_done_ && flows_.size() == 0) {
    // The last flow of a draining shutdown() went: posted after its on_flow_closed above.
    shutdown_timer_->cancel();
    asio::post(context_, std::exchange(shutdown_done_, nullptr));
  }
}

Expected<void, SendError> Shard::send(FlowId flow, std::string bytes) {
  Connection* c = flows_.get(flow);
  if (c == nullptr || c->closed()) {
    counter("send.flow_dead").inc();
    return SendError::kFlowDead;
  }
  if (bytes.size() > shared_.config.limits.max_message_bytes) {
    counter("send.message_too_large").inc();
    return SendError::kMessageTooLarge;
  }
  return c->send(std::move(bytes));
}

ListenerShared* Shard::pick_udp_listener(ListenerId via, const Endpoint& remote) {
  if (via != kAnyListener) {
    if (via < udp_.size() && udp_[via] &&
        udp_[via]->local.address.is_v4() == remote.address.is_v4()) {
      return shared_.listeners[via].get();
    }
    return nullptr;
  }
  for (std::size_t i = 0; i < udp_.size(); ++i) {
    if (udp_[i] && udp_[i]->local.address.is_v4() == remote.address.is_v4()) {
      return shared_.listeners[i].get();
    }
  }
  return nullptr;
}

Expected<FlowId, SendError> Shard::send_to(const Destination& dest, std::string bytes) {
  if (stopping_ || sink_ == nullptr) {
    return SendError::kStopped;
  }
  if (bytes.size() > shared_.config.limits.max_message_bytes) {
    counter("send.message_too_large").inc();
    return SendError::kMessageTooLarge;
  }
  if (dest.protocol == Protocol::kUdp) {
    ListenerShared* l = pick_udp_listener(dest.via, dest.remote);
    if (l == nullptr) {
      counter("send.no_listener").inc();
      return SendError::kNoListener;
    }
    if (auto r = udp_send(l->id, dest.remote, bytes); !r) {
      return r.error();
    }
    return FlowId{};
  }
  std::string key = outgoing_key(dest);
  if (auto it = outgoing_.find(key); it != outgoing_.end()) {
    if (Connection* c = flows_.get(it->second); c != nullptr && !c->closed()) {
      // RFC 3261 §18.1.1: reuse an existing connection to the same destination.
      if (auto r = c->send(std::move(bytes)); !r) {
        return r.error();
      }
      return it->second;
    }
  }
  ConnectionPtr conn = is_websocket(dest.protocol) ? make_outgoing_ws(*this, dest.protocol)
                                                   : make_outgoing_stream(*this, dest.protocol);
  if (!register_flow(conn)) {
    return SendError::kFlowTableFull;
  }
  conn->mark_handed_out();
  conn->set_outgoing_key(key);
  outgoing_[std::move(key)] = conn->id();
  if (auto r = conn->send(std::move(bytes)); !r) {
    return r.error();  // over the queue limit at once; the flow is closed and reported
  }
  conn->start_client(dest);
  return conn->id();
}

Expected<FlowId, SendError> Shard::udp_flow(ListenerId listener, const Endpoint& remote) {
  if (stopping_ || sink_ == nullptr) {
    return SendError::kStopped;
  }
  if (listener >= udp_.size() || !udp_[listener]) {
    counter("send.no_listener").inc();
    return SendError::kNoListener;
  }
  const UdpFlowKey key{listener, remote};
  if (auto it = udp_flows_.find(key); it != udp_flows_.end()) {
    return it->second;
  }
  ConnectionPtr conn =
      make_udp_flow(*this, *shared_.listeners[listener], udp_[listener]->local, remote);
  if (!register_flow(conn)) {
    return SendError::kFlowTableFull;
  }
  conn->mark_handed_out();
  udp_flows_.emplace(key, conn->id());
  conn->start_server();
  return conn->id();
}

void Shard::close(FlowId flow, CloseMode mode) {
  if (Connection* c = flows_.get(flow)) {
    if (mode != CloseMode::kAbort) {
      c->close_after_flush(CloseReason::kLocalClose, mode);
    } else {
      c->close(CloseReason::kLocalClose);
    }
  }
}

Expected<void, SendError> Shard::udp_send(ListenerId listener, const Endpoint& remote,
                                          std::string_view bytes) {
  UdpListener* u = listener < udp_.size() ? udp_[listener].get() : nullptr;
  if (u == nullptr) {
    counter("send.no_listener").inc();
    return SendError::kNoListener;
  }
  error_code ec;
  u->socket.send_to(asio::buffer(bytes.data(), bytes.size()), to_udp(remote), 0, ec);
  if (ec == asio::error::would_block) {
    proto_counter(Protocol::kUdp, "send_would_block").inc();
    return SendError::kQueueFull;
  }
  if (ec) {
    proto_counter(Protocol::kUdp, "send_error").inc();
    return SendError::kNetworkError;
  }
  hot(Protocol::kUdp).messages_out->inc();
  return {};
}

}  // namespace wimpu::transport::detail
