#pragma once
// Test helpers for libs/transport: a recording sink, a harness that runs a real NetTransport on
// loopback with ephemeral ports, a self-signed certificate made at test time, and blocking
// clients (TCP/TLS, WS/WSS, UDP) whose every operation has a deadline, so a bug fails a test
// instead of hanging it. Nothing here sleeps: waits are on events (condition variable, I/O).
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "wimpu/transport/net_transport.hpp"

namespace wimpu::transport::test {

using namespace std::chrono_literals;
inline constexpr std::chrono::milliseconds kWait = 5s;

/// A SIP-looking request with a Content-Length (RFC 3261 §18.3 framing).
std::string sip_request(const std::string& method, const std::string& call_id,
                        const std::string& body = {});
/// The same without Content-Length (legal on WebSocket, RFC 7118 §5).
std::string sip_request_without_length(const std::string& method, const std::string& call_id);
/// A response to `request` (copies its Call-ID), with Content-Length.
std::string sip_response(int code, const std::string& call_id);

/// Records what the transport delivers; optionally answers from inside on_message (on the shard).
class RecordingSink final : public MessageSink {
public:
  struct Close {
    FlowId flow;
    CloseReason reason;
  };
  /// Called on the shard inside on_message, before the message is recorded.
  std::function<void(const InboundMessage&)> on_message_hook;

  void on_message(InboundMessage&& msg) override;
  void on_flow_closed(FlowId flow, CloseReason reason) override;

  /// The next message not yet taken (FIFO), or nullopt after kWait.
  std::optional<InboundMessage> wait_message(std::chrono::milliseconds timeout = kWait);
  /// The first close of `flow`, or nullopt after kWait.
  std::optional<CloseReason> wait_close(FlowId flow, std::chrono::milliseconds timeout = kWait);
  /// The next close not yet taken, or nullopt after kWait.
  std::optional<Close> wait_any_close(std::chrono::milliseconds timeout = kWait);
  /// How many times `flow` was reported closed.
  int close_count(FlowId flow);

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<InboundMessage> messages_;
  std::size_t taken_ = 0;
  std::vector<Close> closes_;
  std::size_t closes_taken_ = 0;
};

/// A self-signed P-256 certificate for "localhost", 127.0.0.1 and ::1 (wimpu/http/self_signed.hpp
/// with its defaults), written as PEM files to a fresh temporary directory that the destructor
/// removes.
class TestCert {
public:
  TestCert();
  ~TestCert();
  TestCert(const TestCert&) = delete;
  TestCert& operator=(const TestCert&) = delete;
  const std::string& cert_file() const { return cert_; }
  const std::string& key_file() const { return key_; }

private:
  std::string dir_;
  std::string cert_;
  std::string key_;
};

/// A TLS listener on 127.0.0.1 (port 0) with `cert`, which is also the CA for client
/// certificates when `verify_client`.
ListenerConfig tls_listener(const TestCert& cert, bool session_cache = false,
                            bool verify_client = false,
                            TlsRecordLayer record_layer = TlsRecordLayer::kWimpu);

/// A running NetTransport on its own ShardPool, stopped in order by the destructor.
class Harness {
public:
  explicit Harness(TransportConfig config, std::size_t shards = 1, WsHandshakeHook hook = {});
  ~Harness();

  NetTransport& transport() { return *transport_; }
  ShardPool& pool() { return pool_; }
  RecordingSink& sink() { return sink_; }
  /// The bound endpoint of listener `id`.
  Endpoint endpoint(ListenerId id) const { return transport_->listeners().at(id).local; }

  /// Runs `fn` on shard `s` and returns its result (blocks the test thread).
  template <class F>
  auto run_on(ShardId s, F fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    pool_.post(s, [&task] { task(); });
    return result.get();
  }
  /// Waits until every shard has run everything posted to it before this call (e.g. a pending
  /// on_flow_closed notification).
  void barrier();

private:
  ShardPool pool_;
  RecordingSink sink_;
  std::unique_ptr<NetTransport> transport_;
};

/// A TCP or TLS client. TLS verifies the server against `ca_file` for `verify_host` when given.
class StreamClient {
public:
  explicit StreamClient(bool tls = false, std::string ca_file = {}, std::string verify_host = {});
  ~StreamClient();
  /// Connects (and handshakes). `receive_buffer` > 0 sets SO_RCVBUF before connecting.
  bool connect(const Endpoint& server, int receive_buffer = 0);
  bool write(std::string_view bytes);
  /// One Content-Length framed message, or nullopt on EOF, error or timeout.
  std::optional<std::string> read_message(std::chrono::milliseconds timeout = kWait);
  /// Exactly `n` raw bytes, or nullopt.
  std::optional<std::string> read_bytes(std::size_t n, std::chrono::milliseconds timeout = kWait);
  /// True once the server closed the connection (EOF or reset), false on timeout or data.
  bool wait_closed(std::chrono::milliseconds timeout = kWait);
  Endpoint local_endpoint() const;
  void close();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A WebSocket client (RFC 6455) over TCP or TLS, built on Beast.
class WsClient {
public:
  explicit WsClient(bool tls = false, std::string ca_file = {});
  ~WsClient();
  struct Handshake {
    bool upgraded = false;
    int status = 0;            ///< HTTP status of the answer (101 when upgraded).
    std::string subprotocol;   ///< Sec-WebSocket-Protocol of the answer.
    std::string www_authenticate;
  };
  /// Connects and performs the upgrade. `subprotocol` empty = no Sec-WebSocket-Protocol.
  Handshake connect(const Endpoint& server, const std::string& target = "/ws",
                    const std::string& subprotocol = "sip",
                    const std::string& origin = "https://wic.example",
                    const std::string& cookie = {});
  bool send(std::string_view message, bool binary);
  /// The next message, or nullopt on close, error or timeout. `binary` tells the frame type.
  std::optional<std::string> read(std::chrono::milliseconds timeout = kWait,
                                  bool* binary = nullptr);
  /// Keeps a read pending (so pings get their pongs) until `pings` pings have arrived.
  bool answer_pings(int pings, std::chrono::milliseconds timeout = kWait);
  /// Sends a ping carrying `payload` (RFC 6455 §5.5.2).
  bool ping(std::string_view payload);
  /// Keeps a read pending until `pongs` pongs have arrived in all; their payloads in order.
  bool wait_pongs(int pongs, std::chrono::milliseconds timeout = kWait);
  const std::vector<std::string>& pongs() const;
  /// True once the server closed the connection.
  bool wait_closed(std::chrono::milliseconds timeout = kWait);
  /// After a close: the status code of the server's Close frame (RFC 6455 §7.1.5), or 1006
  /// (§7.1.5: "abnormal", no Close frame) when the connection ended without one.
  int close_code() const;
  /// Sends a close frame and waits for the server's (RFC 6455 §7.1.2).
  void close();
  Endpoint local_endpoint() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A UDP client socket.
class UdpClient {
public:
  explicit UdpClient(bool v6 = false);
  ~UdpClient();
  bool send(const Endpoint& to, std::string_view datagram);
  std::optional<std::string> receive(std::chrono::milliseconds timeout = kWait,
                                     Endpoint* from = nullptr);
  Endpoint local_endpoint() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Value of counter `name` (full name, e.g. "transport.tcp.accepted").
std::uint64_t counter_value(const std::string& name);

/// Makes `h` answer every request with a 200 carrying its Call-ID, on the flow it came from (or
/// by UDP to its source); responses are ignored.
void answer_requests(Harness& h);

}  // namespace wimpu::transport::test
