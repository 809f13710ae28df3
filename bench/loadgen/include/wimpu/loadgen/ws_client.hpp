#pragma once
// One client WebSocket connection carrying SIP (RFC 7118) over plain TCP (ws) or TLS (wss):
// TCP connect (optionally from a chosen local address), TLS handshake with SNI, HTTP upgrade with
// `Sec-WebSocket-Protocol: sip` and an Origin (RFC 6455 §4.1), then one SIP message per
// WebSocket message both ways (RFC 7118 §5). Server pings are answered (RFC 6455 §5.5.2), which
// is all an idle WIC needs to do to keep its flow (RFC 7118 §6).
//
// Built for load: after the upgrade the connection does its own framing (ws_frame.hpp) on the
// raw TCP or TLS stream. Messages sent during one turn of the io_context (e.g. the answers of a
// read that carried several responses, or the REGISTERs a fixed-rate tick made due) are masked
// each with its own key and written together by ONE socket write at the end of the turn; one
// read takes every frame the kernel has. A message is framed straight into the write buffer
// (begin_message/end_message): no copy and, once the buffers are warm, no allocation.
//
// Callback style on purpose: a load worker holds thousands of these on one io_context, and a
// completion handler per operation is lighter than a coroutine frame per connection.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "wimpu/common/expected.hpp"
#include "wimpu/loadgen/error.hpp"
#include "wimpu/loadgen/stats.hpp"
#include "wimpu/loadgen/url.hpp"

namespace wimpu::loadgen {

/// Settings shared by every connection of a run. Immutable once connections use it.
struct WsClientConfig {
  WsUrl url;
  std::string origin;                   ///< Origin header value; empty: none sent
  std::string subprotocol = "sip";      ///< RFC 7118 §4.1; the server must echo it
  std::string user_agent = "wimpu-loadgen";  ///< HTTP User-Agent of the upgrade request
  bool binary_frames = false;           ///< false: text frames (SIP is UTF-8, RFC 7118 §4.2)
  std::size_t max_message = 65536;      ///< larger incoming messages fail the read
  /// TLS context for wss (required then; shared by all connections); null for ws.
  std::shared_ptr<boost::asio::ssl::context> tls;
  /// Check that the server certificate names url.host (when the context verifies peers).
  bool verify_host = true;
};

/// A client TLS context: verifies the server with `ca_file` (PEM) or the system store when
/// `ca_file` is empty, or verifies nothing with `insecure`. TLS 1.2+, SSL_MODE_RELEASE_BUFFERS so
/// idle connections give their record buffers back. Startup helper.
Expected<std::shared_ptr<boost::asio::ssl::context>, Error> make_client_tls_context(
    const std::string& ca_file, bool insecure);

/// Resolves url.host:url.port (blocking, startup only). Error: a human-readable reason.
Expected<boost::asio::ip::tcp::endpoint, Error> resolve(const WsUrl& url);

class WsSipConnection;

/// Receives a connection's events. All calls happen on the connection's io_context thread.
class WsSipHandler {
public:
  virtual ~WsSipHandler() = default;
  /// The WebSocket is open (handshake done, `sip` negotiated). send() may be called from now on.
  virtual void on_open(WsSipConnection& c) = 0;
  /// One complete WebSocket message (text or binary). `message` is valid during the call only.
  virtual void on_message(WsSipConnection& c, std::string_view message) = 0;
  /// The connection could not be opened: `kind` is kConnect, kTls, kHandshake or
  /// kConnectTimeout (after abort(kConnectTimeout)). No further calls follow.
  virtual void on_failed(WsSipConnection& c, ErrorKind kind, boost::system::error_code ec) = 0;
  /// An open connection ended. `by_us`: after close() or abort(); otherwise the server closed
  /// it or it broke (`ec` tells which). No further calls follow.
  virtual void on_closed(WsSipConnection& c, bool by_us, boost::system::error_code ec) = 0;
};

/// One WebSocket SIP client connection.
///
/// Threading: every method must be called on the io_context's thread (the one running it); the
/// handler is called there too. Ownership: create() returns a shared_ptr; pending operations
/// keep the object alive until they complete, so the owner may drop its pointer at any time. The
/// handler is a raw pointer the owner must keep valid or clear with detach() before it dies.
class WsSipConnection {
public:
  enum class State : std::uint8_t { kIdle, kConnecting, kTlsHandshake, kWsHandshake, kOpen,
                                    kClosing, kClosed };

  /// A new idle connection. `config` must have a TLS context when url.tls.
  static std::shared_ptr<WsSipConnection> create(boost::asio::io_context& io,
                                                 std::shared_ptr<const WsClientConfig> config,
                                                 WsSipHandler* handler);
  virtual ~WsSipConnection() = default;

  /// Starts connecting to `remote`, from `local` when given (bound with IP_BIND_ADDRESS_NO_PORT
  /// so the kernel picks the port at connect time and one local address serves many servers).
  /// Precondition: state() == kIdle.
  virtual void start(const boost::asio::ip::tcp::endpoint& remote,
                     const std::optional<boost::asio::ip::address>& local) = 0;
  /// Queues `message` as one WebSocket message. Messages are written in order; those queued in
  /// the same io_context turn (or while a write is in flight) go out in one socket write.
  /// Ignored unless open.
  virtual void send(std::string_view message) = 0;
  /// Zero-copy send: returns the write buffer; append exactly one message's bytes to it, then
  /// call end_message(). No other call on this connection in between. When the connection is
  /// not open the bytes are dropped by end_message().
  virtual std::string& begin_message() = 0;
  /// Frames (FIN, text or binary per config, a fresh masking key, RFC 6455 §5.3) and queues
  /// what was appended since begin_message().
  virtual void end_message() = 0;
  /// Closes gracefully (WebSocket close 1000). on_closed(by_us = true) follows.
  virtual void close() = 0;
  /// Tears the socket down now. Before open: on_failed(reason); after: on_closed(by_us = true).
  virtual void abort(ErrorKind reason) = 0;

  /// Stops all further handler calls and counting into the sink (the owner is going away).
  void detach() noexcept {
    handler_ = nullptr;
    sink_ = nullptr;
  }
  /// Also adds this connection's socket counts (writes, reads, frames) into `*sink` from now
  /// on; null: none. The sink must stay valid until detach() or the connection's end.
  void count_into(WsIoCounts* sink) noexcept { sink_ = sink; }
  State state() const noexcept { return state_; }
  /// HTTP status of the upgrade response (101 on success; e.g. 403 when the server refused the
  /// Origin); 0 before a response arrived.
  int handshake_status() const noexcept { return handshake_status_; }
  /// Messages queued but not yet written.
  std::size_t queued() const noexcept { return queued_; }
  /// Socket writes and frames written since open (frames / writes = the coalescing achieved).
  std::uint64_t socket_writes() const noexcept { return socket_writes_; }
  std::uint64_t frames_written() const noexcept { return frames_written_; }
  /// Socket reads that returned data, and frames decoded from them, since open.
  std::uint64_t socket_reads() const noexcept { return socket_reads_; }
  std::uint64_t frames_read() const noexcept { return frames_read_; }
  /// Local and remote endpoints once connected.
  virtual boost::asio::ip::tcp::endpoint local_endpoint() const = 0;

protected:
  explicit WsSipConnection(WsSipHandler* handler) : handler_(handler) {}

  WsSipHandler* handler_;
  State state_ = State::kIdle;
  int handshake_status_ = 0;
  std::size_t queued_ = 0;
  std::uint64_t socket_writes_ = 0;
  std::uint64_t frames_written_ = 0;
  std::uint64_t socket_reads_ = 0;
  std::uint64_t frames_read_ = 0;
  WsIoCounts* sink_ = nullptr;
};

using WsSipConnectionPtr = std::shared_ptr<WsSipConnection>;

}  // namespace wimpu::loadgen
