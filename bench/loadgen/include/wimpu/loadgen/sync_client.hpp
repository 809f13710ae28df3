#pragma once
// A blocking WebSocket SIP client for tests: connect, send a SIP message, wait for the next one.
// It plays one WIC in integration tests (eP-CSCF registration, terminating calls) with exactly
// the wire behaviour of the load tool (same connection code, same message builders).
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include "wimpu/common/expected.hpp"
#include "wimpu/loadgen/ws_client.hpp"
#include "wimpu/sip/message.hpp"

namespace wimpu::loadgen {

/// Why a SyncWsSipClient call failed.
struct ClientError {
  ErrorKind kind = ErrorKind::kConnect;  ///< kConnect/kTls/kHandshake/kConnectTimeout, kTimeout,
                                         ///< kParse or kClosed
  std::string detail;                    ///< human-readable
};

/// One WebSocket SIP connection driven synchronously.
///
/// Threading: not thread-safe; use from one thread. It owns a private io_context that only runs
/// inside its calls, so it never competes with the code under test for threads; the server under
/// test must run on its own thread(s). Timeouts bound how long a call blocks (they are limits,
/// not synchronisation: a call returns as soon as its event happened).
class SyncWsSipClient {
public:
  explicit SyncWsSipClient(WsClientConfig config);
  ~SyncWsSipClient();
  SyncWsSipClient(const SyncWsSipClient&) = delete;
  SyncWsSipClient& operator=(const SyncWsSipClient&) = delete;

  /// Connects to config.url (resolving it) and completes the WebSocket handshake. On a refused
  /// upgrade, handshake_status() gives the HTTP status (e.g. 403 for a bad Origin).
  Expected<void, ClientError> connect(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Queues `message` and starts its write (polls the io_context once; the rest of the write
  /// runs while later calls run it: receive() and flush() do). False when not open.
  bool send(std::string message);
  /// Runs until every queued message is written or `timeout` passes; false on timeout/closed.
  bool flush(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// The next received WebSocket message, raw.
  Expected<std::string, ClientError> receive_raw(
      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// The next received message parsed as SIP (RFC 7118 §5: Content-Length optional). A message
  /// that does not parse is consumed and reported as kParse.
  Expected<sip::Message, ClientError> receive(
      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Closes gracefully (waits up to `timeout` for the close handshake, then aborts).
  void close(std::chrono::milliseconds timeout = std::chrono::seconds(2));
  /// Drops the TCP connection at once (what a crashed browser tab looks like).
  void abort();

  /// True while the WebSocket is open.
  bool is_open() const noexcept;
  /// HTTP status of the upgrade response (101 when open), 0 before any.
  int handshake_status() const noexcept;
  /// Local endpoint of the TCP connection ("received"/rport a server would see).
  boost::asio::ip::tcp::endpoint local_endpoint() const;

private:
  class Handler;
  template <class Pred>
  bool run_until(Pred pred, std::chrono::milliseconds timeout);

  boost::asio::io_context io_;
  std::shared_ptr<const WsClientConfig> config_;
  std::unique_ptr<Handler> handler_;
  WsSipConnectionPtr conn_;
};

}  // namespace wimpu::loadgen
