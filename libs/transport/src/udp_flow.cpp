// A UDP flow (RFC 5626 §3.3: for UDP the flow is the 5-tuple). It owns no socket: it sends from
// its listener's shard socket and only exists to give the 5-tuple a FlowId, a flow token and an
// end (Timers::udp_flow_idle_timeout without a datagram either way).
#include "connection_factory.hpp"
#include "shard.hpp"
#include "wimpu/common/assert.hpp"

namespace wimpu::transport::detail {
namespace {

class UdpFlow final : public Connection {
public:
  UdpFlow(Shard& shard, ListenerShared& listener, const Endpoint& local, const Endpoint& remote)
      : Connection(shard, Protocol::kUdp, &listener) {
    local_ = local;
    remote_ = remote;
    idle_timeout_ = shard.config().timers.udp_flow_idle_timeout;
  }

  void start_server() override {
    // Established first: co_spawn runs the timer loop inline up to its first wait.
    established();
    start_timer(std::chrono::milliseconds(0));
  }

  void start_client(const Destination&) override { WIMPU_BUG("UdpFlow::start_client"); }

  Expected<void, SendError> send(std::string bytes) override {
    if (closed_) {
      return SendError::kFlowDead;
    }
    touch();
    return shard_.udp_send(listener_->id, remote_, bytes);
  }

private:
  void cancel_io() override {}
};

}  // namespace

ConnectionPtr make_udp_flow(Shard& shard, ListenerShared& listener, const Endpoint& local,
                            const Endpoint& remote) {
  return std::make_shared<UdpFlow>(shard, listener, local, remote);
}

}  // namespace wimpu::transport::detail
