#pragma once
// Everything one shard owns: its sockets for every listener, its flow table, its outgoing
// connections and UDP flows. Touched only by the shard's thread, except is_live() (atomic) and
// the bind step at creation (main thread, before the shard runs).
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "asio_types.hpp"
#include "deadline_queue.hpp"
#include "flow_table.hpp"
#include "shared_state.hpp"
#include "wimpu/common/expected.hpp"
#include "wimpu/transport/message.hpp"
#include "wimpu/transport/net_transport.hpp"
#include "wimpu/transport/transport.hpp"

namespace wimpu::transport::detail {

class Connection;

class Shard {
public:
  Shard(SharedState& shared, ShardId id, asio::io_context& context);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  /// Binds this shard's socket for `listener`, with SO_REUSEPORT when `share_port` (more than one
  /// shard). `port` is in/out: 0 on the first shard (the kernel picks one), then the bound port
  /// for the others. Main thread, before start.
  Expected<void, StartupError> bind(ListenerShared& listener, std::uint16_t& port,
                                    bool share_port);

  /// Starts accept and receive loops, delivering to `sink`. On the shard.
  void start(MessageSink& sink);

  /// Closes listeners and every flow (kShutdown): at once with kAbort, else each flow with
  /// close_after_flush(kShutdown, mode). `done` is called (on the shard) once no
  /// flow is left, or after handshake_timeout + ws_close_timeout with what is left aborted.
  /// On the shard (or, kAbort only, with the pool not running).
  void shutdown(CloseMode mode, std::function<void()> done);

  // The Transport operations, on the shard (NetTransport posts them here).
  Expected<void, SendError> send(FlowId flow, std::string bytes);
  Expected<FlowId, SendError> send_to(const Destination& dest, std::string bytes);
  Expected<FlowId, SendError> udp_flow(ListenerId listener, const Endpoint& remote);
  void close(FlowId flow, CloseMode mode);
  bool is_live(FlowId flow) const { return flows_.is_live(flow); }
  std::size_t live_flows() const { return flows_.size(); }

  // Used by connections.
  ShardId id() const { return id_; }
  asio::io_context& context() { return context_; }
  SharedState& shared() { return shared_; }
  /// Every flow's timers (DeadlineQueue): one Asio timer for the shard.
  DeadlineQueue& deadlines() { return deadlines_; }
  const TransportConfig& config() const { return shared_.config; }
  /// Calls conn->deferred_flush() once the handlers queued now have run: one posted handler per
  /// batch of connections (write coalescing, StreamBase::request_flush()). The caller makes sure
  /// a connection is listed once.
  void defer_flush(std::shared_ptr<Connection> conn);
  /// Hands `msg` to the sink (on_message).
  void deliver(InboundMessage&& msg);
  /// Called once by Connection::close(): frees the slot, forgets the maps, reports the close.
  void flow_closed(Connection& conn, CloseReason reason);
  /// Sends one datagram from `listener`'s socket.
  Expected<void, SendError> udp_send(ListenerId listener, const Endpoint& remote,
                                     std::string_view bytes);

private:
  struct UdpListener {
    explicit UdpListener(asio::io_context& ctx) : socket(ctx.get_executor()) {}
    UdpSocket socket;
    Endpoint local;
    std::vector<char> buffer;
  };
  struct UdpFlowKey {
    ListenerId listener;
    Endpoint remote;
    friend bool operator==(const UdpFlowKey&, const UdpFlowKey&) = default;
  };
  struct UdpFlowKeyHash {
    std::size_t operator()(const UdpFlowKey& k) const {
      return std::hash<Endpoint>{}(k.remote) * 7 + k.listener;
    }
  };

  Awaitable<void> accept_loop(ListenerShared* listener);
  Awaitable<void> udp_loop(ListenerShared* listener);
  void on_datagram(ListenerShared& listener, UdpListener& sock, std::size_t n,
                   const udp::endpoint& from);
  void accepted(ListenerShared& listener, Socket socket);
  void run_deferred_flushes();
  /// Registers `conn` in the flow table; false (and the connection dropped) when full.
  bool register_flow(const std::shared_ptr<Connection>& conn);
  ListenerShared* pick_udp_listener(ListenerId via, const Endpoint& remote);

  SharedState& shared_;
  const ShardId id_;
  asio::io_context& context_;
  MessageSink* sink_ = nullptr;
  DeadlineQueue deadlines_;
  bool stopping_ = false;
  std::function<void()> shutdown_done_;  // shutdown() waiting for the last flow to go
  std::unique_ptr<Timer> shutdown_timer_;
  FlowTable flows_;
  // Indexed by ListenerId; exactly one of the two is set per listener.
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  std::vector<std::unique_ptr<UdpListener>> udp_;
  std::unordered_map<std::string, FlowId> outgoing_;
  std::unordered_map<UdpFlowKey, FlowId, UdpFlowKeyHash> udp_flows_;
  // defer_flush(): connections to flush at the end of the turn, and the list being flushed (two
  // vectors swapped, so that a steady load allocates nothing).
  std::vector<std::shared_ptr<Connection>> dirty_;
  std::vector<std::shared_ptr<Connection>> flushing_;
  bool flush_posted_ = false;
};

}  // namespace wimpu::transport::detail
