// TCP and TLS connections carrying Content-Length framed SIP (RFC 3261 §18.3), inbound and
// outgoing. One template over the stream type; TLS adds the handshake (RFC 3261 §26.2.1).
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <type_traits>
#include <vector>

#include "connection_factory.hpp"
#include "counters.hpp"
#include "shard.hpp"
#include "stream_base.hpp"
#include "tls.hpp"
#include "wimpu/common/assert.hpp"
#include "wimpu/transport/stream_framer.hpp"

namespace wimpu::transport::detail {
namespace {

namespace ssl = asio::ssl;

// Per-connection read space. Small on purpose: an idle flow keeps its framer buffer, and SIP
// messages are mostly under 2 KiB; a larger message grows the buffer as it arrives.
constexpr std::size_t kReadChunk = 4 * 1024;
constexpr std::size_t kMaxGather = 16;  // messages per writev

CloseReason read_close_reason(const error_code& ec) {
  if (ec == asio::error::eof || ec == ssl::error::stream_truncated ||
      ec == asio::error::connection_reset) {
    return CloseReason::kPeerClosed;
  }
  return CloseReason::kNetworkError;
}

template <class Stream>
class StreamConnection final : public StreamBase {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

public:
  template <class... Args>
  StreamConnection(Shard& shard, Protocol protocol, ListenerShared* listener, Args&&... args)
      : StreamBase(shard, protocol, listener),
        stream_(std::forward<Args>(args)...),
        framer_({shard.config().limits.max_header_bytes, shard.config().limits.max_body_bytes}) {}

  void start_server() override {
    error_code ec;
    local_ = to_endpoint(stream_.lowest_layer().local_endpoint(ec));
    remote_ = to_endpoint(stream_.lowest_layer().remote_endpoint(ec));
    start_timer(shard_.config().timers.handshake_timeout);
    asio::co_spawn(shard_.context(), run_server(shared_from_this()),
                   [](std::exception_ptr e) { log_coroutine_exit("stream server", e); });
  }

  void start_client(const Destination& dest) override {
    set_destination(dest);
    start_timer(shard_.config().timers.handshake_timeout);
    asio::co_spawn(shard_.context(), run_client(shared_from_this()),
                   [](std::exception_ptr e) { log_coroutine_exit("stream client", e); });
  }

private:
  void cancel_io() override {
    error_code ec;
    stream_.lowest_layer().close(ec);
  }

  // Lifetime: `self` (by value) keeps the connection alive for the whole coroutine.
  // Named results, not `if (!co_await ...)`: GCC 12 mishandles awaitables in conditions.
  Awaitable<void> run_server([[maybe_unused]] ConnectionPtr self) {
    connected_ = true;
    if constexpr (kTls) {
      const bool secured = co_await tls_handshake(stream_, ssl::stream_base::server);
      if (!secured) {
        co_return;
      }
    }
    established();
    co_await read_loop();
  }

  Awaitable<void> run_client([[maybe_unused]] ConnectionPtr self) {
    const bool connected = co_await connect(stream_.lowest_layer());
    if (!connected) {
      co_return;
    }
    if constexpr (kTls) {
      const bool secured = co_await tls_handshake(stream_, ssl::stream_base::client);
      if (!secured) {
        co_return;
      }
    }
    established();
    flush_queued();
    co_await read_loop();
  }

  Awaitable<void> read_loop() {
    std::string message;
    for (;;) {
      const std::span<char> space = framer_.prepare(kReadChunk);
      auto [ec, n] =
          co_await stream_.async_read_some(asio::buffer(space.data(), space.size()), kAwait);
      if (closed_) {
        co_return;
      }
      if (ec) {
        close(read_close_reason(ec));
        co_return;
      }
      framer_.commit(n);
      // Answers to this read's messages are written together once all are delivered.
      begin_input_batch();
      for (;;) {
        const StreamFramer::Event event = framer_.next(message);
        if (event == StreamFramer::Event::kNeedMore) {
          end_input_batch();
          break;
        }
        if (event == StreamFramer::Event::kPing) {
          // RFC 5626 §3.5.1: a CRLFCRLF ping gets a CRLF pong. It is a client keep-alive.
          proto_counter(protocol_, "keepalive_ping").inc();
          touch();
          if (auto r = enqueue("\r\n"); !r) {
            co_return;  // queue full: enqueue closed the flow
          }
          request_flush();
          continue;
        }
        if (event == StreamFramer::Event::kError) {
          const StreamFramer::Error error = framer_.error();
          std::string name = "framing.";
          name += to_string(error);
          proto_counter(protocol_, name).inc();
          const bool too_large = error == StreamFramer::Error::kHeaderTooLarge ||
                                 error == StreamFramer::Error::kBodyTooLarge;
          close(too_large ? CloseReason::kMessageTooLarge : CloseReason::kFramingError);
          co_return;
        }
        touch();
        deliver(std::move(message));
        message = std::string();
        if (closed_) {
          co_return;  // the sink closed the flow
        }
      }
    }
  }

  // One gather write (writev; for TLS, one record per 16 KiB) of up to kMaxGather messages.
  void start_write() override {
    writing_ = true;
    hot(protocol_).writes->inc();
    write_buffers_.clear();
    in_flight_ = std::min(queue_.size(), kMaxGather);
    for (std::size_t i = 0; i < in_flight_; ++i) {
      write_buffers_.push_back(asio::buffer(queue_[i]));
    }
    asio::async_write(stream_, write_buffers_,
                      [self = shared_from_this(), this](error_code ec, std::size_t) {
                        const std::size_t written = in_flight_;
                        in_flight_ = 0;
                        if (after_write(ec, written)) {
                          start_write();
                        }
                      });
  }

  Stream stream_;
  StreamFramer framer_;
  std::vector<asio::const_buffer> write_buffers_;
  std::size_t in_flight_ = 0;
};

}  // namespace

void apply_socket_options(BasicSocket& socket, const TransportConfig& config) {
  error_code ec;
  // SIP messages are complete when handed over; Nagle would only add latency.
  socket.set_option(tcp::no_delay(true), ec);
  if (config.limits.socket_send_buffer > 0) {
    socket.set_option(asio::socket_base::send_buffer_size(config.limits.socket_send_buffer), ec);
  }
  if (config.limits.socket_receive_buffer > 0) {
    socket.set_option(
        asio::socket_base::receive_buffer_size(config.limits.socket_receive_buffer), ec);
  }
}

ConnectionPtr make_inbound_stream(Shard& shard, ListenerShared& listener, Socket socket) {
  const Protocol p = listener.config.protocol;
  if (p == Protocol::kTls) {
    return std::make_shared<StreamConnection<TlsStream>>(shard, p, &listener, std::move(socket),
                                                        *listener.tls);
  }
  WIMPU_ASSERT(p == Protocol::kTcp);
  return std::make_shared<StreamConnection<Socket>>(shard, p, &listener, std::move(socket));
}

ConnectionPtr make_outgoing_stream(Shard& shard, Protocol p) {
  if (p == Protocol::kTls) {
    return std::make_shared<StreamConnection<TlsStream>>(
        shard, p, nullptr, shard.context().get_executor(), *shard.shared().tls_client);
  }
  WIMPU_ASSERT(p == Protocol::kTcp);
  return std::make_shared<StreamConnection<Socket>>(shard, p, nullptr,
                                                    shard.context().get_executor());
}

}  // namespace wimpu::transport::detail
