// WebSocket (RFC 6455) connections carrying SIP (RFC 7118), inbound and outgoing, plain (WS) and
// over TLS (WSS). One SIP message per WebSocket message (RFC 7118 §5), text and binary frames
// accepted (§4.2), the `sip` subprotocol negotiated (§4.1), server pings as keep-alive (§6).
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <type_traits>

#include "connection_factory.hpp"
#include "cork_stream.hpp"
#include "counters.hpp"
#include "shard.hpp"
#include "stream_base.hpp"
#include "tls.hpp"
#include "wimpu/common/assert.hpp"
#include "wimpu/common/utf8.hpp"
#include "ws_frame.hpp"
#include "ws_frame_reader.hpp"

namespace wimpu::transport::detail {
namespace {

namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

constexpr std::string_view kSubprotocol = "sip";  // RFC 7118 §4.1, IANA WebSocket registry
// Frames per socket write are bounded by bytes, not count: a write takes queued messages until
// this much is pending (at least one message). Larger batches gain nothing on the syscall cost.
constexpr std::size_t kMaxWriteBatch = 64 * 1024;
// Server-side read buffer (WsFrameReader): allocated only while received bytes wait to be parsed,
// large enough for a burst of requests in one recvmsg. It never has to hold a whole frame (data
// payloads stream into the message), only a header or a control frame (at most 131 octets).
constexpr std::size_t kReadChunk = 16 * 1024;
// WSS: the read that waits for the peer goes into this many octets of the connection itself (the
// TLS layer keeps the rest of the record, delivered by the next read without a syscall).
constexpr std::size_t kHeadBytes = 16;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// RFC 6455 §4.1/§11.3.4: Sec-WebSocket-Protocol is a comma-separated list of tokens, possibly
// spread over several header lines; subprotocol names compare case-sensitively.
template <class Fields>
bool offers_sip(const Fields& fields) {
  auto range = fields.equal_range(http::field::sec_websocket_protocol);
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view list(it->value().data(), it->value().size());
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      const std::string_view token = trim(list.substr(0, comma));
      if (token == kSubprotocol) {
        return true;
      }
      if (comma == std::string_view::npos) {
        break;
      }
      list.remove_prefix(comma + 1);
    }
  }
  return false;
}

template <class Fields>
std::string joined(const Fields& fields, http::field name) {
  std::string out;
  auto range = fields.equal_range(name);
  for (auto it = range.first; it != range.second; ++it) {
    if (!out.empty()) {
      out += "; ";
    }
    out.append(it->value().data(), it->value().size());
  }
  return out;
}

std::string_view view(beast::string_view s) { return {s.data(), s.size()}; }

CloseReason read_close_reason(const error_code& ec) {
  if (ec == websocket::error::closed || ec == asio::error::eof ||
      ec == ssl::error::stream_truncated || ec == asio::error::connection_reset) {
    return CloseReason::kPeerClosed;
  }
  if (ec == websocket::error::message_too_big || ec == websocket::error::buffer_overflow) {
    return CloseReason::kMessageTooLarge;
  }
  return CloseReason::kNetworkError;
}

// Writes: every byte, Beast's (handshake; for outgoing connections pong, ping, Close) and ours (one
// frame per queued SIP message; on inbound connections our control frames), goes through a
// CorkStream under Beast and leaves in start_write(), the socket's only writer, several frames per
// write (see cork_stream.hpp for the design and its invariant).
// Reads: Beast does the HTTP upgrade of both roles and every read of an outgoing connection. An
// inbound connection (the eP-CSCF's WICs: the hot path of issue 8 figure 2) reads the socket or the
// TlsStream itself after the upgrade and parses the frames with WsFrameReader: every complete
// message of a read is delivered from the read's own completion, no posted handler and no Beast
// operation per message. No read buffer is held while idle (figure 3): a WS connection waits for
// readability, then reads into its thread's scratch buffer; a WSS connection reads the first
// octets of a burst into kHeadBytes of its own, the rest into a buffer kept while bytes wait.
template <class NextLayer>
class WsConnection final : public StreamBase, private CorkSink {
  static constexpr bool kTls = std::is_same_v<NextLayer, TlsStream>;
  using Ws = websocket::stream<CorkStream<NextLayer>, /*deflateSupported=*/false>;

public:
  template <class... Args>
  WsConnection(Shard& shard, Protocol protocol, ListenerShared* listener, Args&&... args)
      : StreamBase(shard, protocol, listener),
        ws_(std::forward<Args>(args)...),
        reader_(shard.config().limits.max_ws_message_bytes) {
    // Lifetime: the CorkStream is a member of ws_, a member of this.
    ws_.next_layer().set_sink(this);
  }

  void start_server() override {
    error_code ec;
    auto& socket = beast::get_lowest_layer(ws_);
    local_ = to_endpoint(socket.local_endpoint(ec));
    remote_ = to_endpoint(socket.remote_endpoint(ec));
    start_timer(shard_.config().timers.handshake_timeout);
    connected_ = true;
    // The handshake is a coroutine (it runs once); its frames, HTTP parser and buffer are freed
    // when it ends. The read loop that follows is a chain of completion handlers: an idle WIC
    // then costs no coroutine frame at all (issue 8, figure 3: ~1.5 KiB of frames per
    // connection with a read-loop coroutine and the co_spawn entry frames).
    asio::co_spawn(shard_.context(), server_handshake(shared_from_this()),
                   [self = shared_from_this(), this](std::exception_ptr e, bool upgraded) {
                     log_coroutine_exit("ws server handshake", e);
                     if (upgraded && !closed_) {
                       ws_established();
                       start_reading();
                     }
                   });
  }

  void start_client(const Destination& dest) override {
    set_destination(dest);
    target_ = dest.ws_target.empty() ? "/" : dest.ws_target;
    start_timer(shard_.config().timers.handshake_timeout);
    asio::co_spawn(shard_.context(), client_handshake(shared_from_this()),
                   [self = shared_from_this(), this](std::exception_ptr e, bool upgraded) {
                     log_coroutine_exit("ws client handshake", e);
                     if (upgraded && !closed_) {
                       ws_established();
                       flush_queued();
                       read_next();
                     }
                   });
  }

private:
  void cancel_io() override {
    error_code ec;
    beast::get_lowest_layer(ws_).close(ec);
    ws_.next_layer().abort();
  }

  // The TCP socket or the TlsStream under the CorkStream: the HTTP part of the handshake and TLS
  // use it directly.
  NextLayer& raw() { return ws_.next_layer().next_layer(); }

  // Inbound connections read and answer control frames themselves (WsFrameReader); outgoing ones
  // leave both to Beast.
  bool own_reader() const { return listener_ != nullptr; }

  // CloseMode::kGoingAway or kPolicyClose, queue written: RFC 6455 §7.4.1 status 1001 "going
  // away" tells the browser the server is going down, 1008 "policy violation" that its flow was
  // removed (an admin kick); without a Close frame it would see 1006, an abnormal close. Beast's
  // async_close sends the Close frame, lets the pending read see the peer's Close (§7.1.2) and
  // then tears the TCP/TLS connection down; ws_close_timeout bounds a peer that never answers.
  void finish_flush() override {
    const bool closing_handshake =
        drain_mode_ == CloseMode::kGoingAway || drain_mode_ == CloseMode::kPolicyClose;
    if (!closing_handshake || !established_ || closed_) {
      Connection::finish_flush();
      return;
    }
    if (close_sent_) {
      return;
    }
    close_sent_ = true;
    const bool going_away = drain_mode_ == CloseMode::kGoingAway;
    proto_counter(protocol_, going_away ? "going_away_sent" : "policy_close_sent").inc();
    drain_deadline_ = std::min(drain_deadline_, std::chrono::steady_clock::now() +
                                                    shard_.config().timers.ws_close_timeout);
    wake_timer();  // re-arm for the close deadline
    if (own_reader()) {
      // The reader goes on and sees the peer's Close (§7.1.2): then linger_close().
      send_close_frame(going_away ? 1001 : 1008);
      return;
    }
    const websocket::close_reason why(going_away ? websocket::close_code::going_away
                                                 : websocket::close_code::policy_error);
    ws_.async_close(why, [self = shared_from_this(), this](error_code) {
      linger_close(drain_reason_);
    });
  }

  // Inbound: queues our Close frame (§5.5.1) behind what is pending and writes it; no data frame
  // follows it (start_write checks close_sent_).
  void send_close_frame(std::uint16_t code) {
    close_sent_ = true;
    append_ws_close_frame(ws_.next_layer().pending(), code, /*mask=*/false);
    close_pending_ = true;
    if (!writing_ && !closed_) {
      start_write();
    }
  }

  // The closing handshake is over (or failed): half-close and read until the peer's EOF before
  // closing the socket. Closing with unread bytes (a TLS close_notify) would send a TCP reset and
  // the peer could lose the end of the handshake. The drain deadline still bounds it.
  void linger_close(CloseReason reason) {
    if (closed_ || lingering_) {
      return;
    }
    lingering_ = true;
    linger_reason_ = reason;
    if constexpr (kTls) {
      if (own_reader()) {
        raw().close_notify_now();  // RFC 8446 §6.1 (Beast's teardown did it for its own close)
      }
    }
    error_code ignored;
    beast::get_lowest_layer(ws_).shutdown(tcp::socket::shutdown_send, ignored);
    wait_eof();
  }

  void wait_eof() {
    auto& socket = beast::get_lowest_layer(ws_);
    socket.async_wait(tcp::socket::wait_read, [self = shared_from_this(), this](error_code ec) {
      if (closed_) {
        return;
      }
      auto& s = beast::get_lowest_layer(ws_);
      std::array<char, 256> sink;
      error_code rec;
      while (!ec && !rec) {
        s.non_blocking(true, rec);
        s.read_some(asio::buffer(sink), rec);
      }
      if (!ec && rec == asio::error::would_block) {
        wait_eof();  // more to come before the EOF
        return;
      }
      close(linger_reason_);
    });
  }

  // Sends a ping every ws_ping_interval; a ping unanswered for ws_pong_timeout ends the flow
  // (RFC 7118 §6: browsers cannot send pings, so the server does; RFC 6455 §5.5.2/§5.5.3).
  SteadyTime keepalive_tick(SteadyTime now) override {
    const auto& timers = shard_.config().timers;
    if (timers.ws_ping_interval.count() <= 0) {
      return SteadyTime::max();
    }
    if (ping_outstanding_) {
      if (now >= pong_deadline_) {
        proto_counter(protocol_, "pong_timeout").inc();
        close(CloseReason::kKeepAliveTimeout);
        return SteadyTime::max();
      }
      return pong_deadline_;
    }
    if (now < next_ping_) {
      return next_ping_;
    }
    ping_outstanding_ = true;
    pong_deadline_ = now + timers.ws_pong_timeout;
    if (own_reader()) {
      if (!close_sent_) {
        proto_counter(protocol_, "ping_sent").inc();
        append_ws_control_frame(ws_.next_layer().pending(), WsControl::kPing, {}, false);
        if (!writing_) {
          start_write();
        }
      }
      return pong_deadline_;
    }
    if (!ping_writing_) {
      // At most one async_ping may be outstanding (Beast); it waits behind a message write.
      ping_writing_ = true;
      proto_counter(protocol_, "ping_sent").inc();
      ws_.async_ping({}, [self = shared_from_this(), this](error_code ec) {
        ping_writing_ = false;
        if (!closed_ && ec) {
          proto_counter(protocol_, "write_error").inc();
          close(CloseReason::kNetworkError);
        }
      });
    }
    return pong_deadline_;
  }

  // Options common to both roles, set once the HTTP part is done.
  void configure() {
    const auto& limits = shard_.config().limits;
    ws_.set_option(websocket::stream_base::timeout{
        websocket::stream_base::none(), websocket::stream_base::none(), false});
    ws_.read_message_max(limits.max_ws_message_bytes);
    ws_.auto_fragment(false);
    // Lifetime: the callback lives in ws_, a member, so `this` outlives it.
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::pong) {
        on_pong();
      } else if (kind == websocket::frame_type::ping) {
        touch();  // a client keep-alive (Beast answers it with a pong)
      }
    });
  }

  void on_pong() {
    touch();  // the peer is alive and reading
    if (ping_outstanding_) {
      ping_outstanding_ = false;
      next_ping_ = std::chrono::steady_clock::now() + shard_.config().timers.ws_ping_interval;
      wake_timer();  // the queue waits for the pong deadline: re-arm for the next ping
    }
  }

  void ws_established() {
    established();
    next_ping_ = std::chrono::steady_clock::now() + shard_.config().timers.ws_ping_interval;
  }

  // TLS (WSS), HTTP upgrade request, RFC 7118 §4.1 checks, the hook, then the 101.
  // Lifetime: `self` (by value) keeps the connection alive for the whole coroutine.
  Awaitable<bool> server_handshake([[maybe_unused]] ConnectionPtr self) {
    if constexpr (kTls) {
      const bool secured = co_await tls_handshake(raw(), ssl::stream_base::server);
      if (!secured) {
        co_return false;
      }
    }
    beast::flat_buffer buffer;
    http::request_parser<http::empty_body> parser;
    parser.header_limit(
        static_cast<std::uint32_t>(shard_.config().limits.max_ws_handshake_bytes));
    auto [ec, n] = co_await http::async_read(raw(), buffer, parser, kAwait);
    if (closed_) {
      co_return false;
    }
    if (ec) {
      proto_counter(protocol_, "handshake_bad_request").inc();
      close(CloseReason::kHandshakeFailed);
      co_return false;
    }
    const auto& req = parser.get();
    if (!websocket::is_upgrade(req)) {
      proto_counter(protocol_, "handshake_not_upgrade").inc();
      co_await refuse(http::status::bad_request, req.version(), {});
      co_return false;
    }
    if (!offers_sip(req)) {
      // RFC 7118 §4.1: the client MUST offer "sip"; without it we do not upgrade (W-01).
      proto_counter(protocol_, "handshake_no_sip_subprotocol").inc();
      co_await refuse(http::status::bad_request, req.version(), {});
      co_return false;
    }
    auto info = std::make_shared<WsHandshakeInfo>();
    info->target = std::string(view(req.target()));
    info->host = std::string(view(req[http::field::host]));
    info->origin = std::string(view(req[http::field::origin]));
    info->cookie = joined(req, http::field::cookie);
    info->user_agent = std::string(view(req[http::field::user_agent]));
    if (const WsHandshakeHook& hook = shard_.shared().hook) {
      WsHandshakeRequest hr;
      hr.protocol = protocol_;
      hr.listener = listener_->id;
      hr.local = local_;
      hr.remote = remote_;
      hr.target = info->target;
      hr.host = info->host;
      hr.origin = info->origin;
      hr.cookie = info->cookie;
      hr.authorization = view(req[http::field::authorization]);
      hr.user_agent = info->user_agent;
      WsHandshakeDecision d = hook(hr);
      if (d.verdict != WsHandshakeDecision::Verdict::kAccept) {
        // RFC 7118 App. A.1 (Origin), §7 (cookies, 401); RFC 6455 §4.2.2 (any HTTP error).
        proto_counter(protocol_, "handshake_refused_by_hook").inc();
        const bool forbidden = d.verdict == WsHandshakeDecision::Verdict::kForbidden;
        co_await refuse(forbidden ? http::status::forbidden : http::status::unauthorized,
                        req.version(), std::move(d.www_authenticate));
        co_return false;
      }
    }
    info_ = std::move(info);
    configure();
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::sec_websocket_protocol, kSubprotocol);  // RFC 7118 §4.1: echoed
      res.set(http::field::server, "wimpu");
    }));
    auto [aec] = co_await ws_.async_accept(req, kAwait);
    if (closed_) {
      co_return false;
    }
    if (aec) {
      proto_counter(protocol_, "handshake_failed").inc();
      close(CloseReason::kHandshakeFailed);
      co_return false;
    }
    if (buffer.size() != 0) {
      // Frames the client sent right behind its upgrade request came with it: the reader's.
      rbuf_ = std::make_unique_for_overwrite<char[]>(kReadChunk);
      rend_ = asio::buffer_copy(asio::buffer(rbuf_.get(), kReadChunk), buffer.data());
    }
    co_return true;
  }

  Awaitable<void> refuse(http::status status, unsigned version, std::string challenge) {
    http::response<http::string_body> res{status, version};
    res.set(http::field::server, "wimpu");
    res.set(http::field::connection, "close");
    if (status == http::status::unauthorized && !challenge.empty()) {
      res.set(http::field::www_authenticate, challenge);
    }
    res.prepare_payload();
    [[maybe_unused]] auto [ec, n] = co_await http::async_write(raw(), res, kAwait);
    if (!closed_) {
      // Half-close first so the response is not lost to a reset.
      error_code ignored;
      beast::get_lowest_layer(ws_).shutdown(tcp::socket::shutdown_send, ignored);
      close(CloseReason::kHandshakeFailed);
    }
  }

  // Connect, TLS (WSS), the upgrade; true when the connection may carry SIP.
  Awaitable<bool> client_handshake([[maybe_unused]] ConnectionPtr self) {
    const bool connected = co_await connect(beast::get_lowest_layer(ws_));
    if (!connected) {
      co_return false;
    }
    if constexpr (kTls) {
      const bool secured = co_await tls_handshake(raw(), ssl::stream_base::client);
      if (!secured) {
        co_return false;
      }
    }
    configure();
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(http::field::sec_websocket_protocol, kSubprotocol);
      req.set(http::field::user_agent, "wimpu");
    }));
    websocket::response_type res;
    // RFC 7230 §5.4 Host: an IPv6 literal goes in brackets.
    const bool v6_literal = host_.find(':') != std::string::npos;
    const std::string host_header = (v6_literal ? "[" + host_ + "]" : host_) + ":" +
                                    std::to_string(remote_.port);
    auto [wec] = co_await ws_.async_handshake(res, host_header, target_, kAwait);
    if (closed_) {
      co_return false;
    }
    if (wec || view(res[http::field::sec_websocket_protocol]) != kSubprotocol) {
      // RFC 7118 §4.1: without "sip" in the 101 the connection must not be used for SIP.
      proto_counter(protocol_, "handshake_failed").inc();
      close(CloseReason::kHandshakeFailed);
      co_return false;
    }
    co_return true;
  }

  // One message per read (RFC 7118 §5); each completion delivers it and starts the next read.
  // Lifetime: the handler holds `self`; close() closes the socket, which ends the pending read.
  void read_next() {
    rd_data_.clear();
    rd_buffer_.emplace(rd_data_, shard_.config().limits.max_ws_message_bytes);
    ws_.async_read(*rd_buffer_, [self = shared_from_this(), this](error_code ec, std::size_t) {
      on_read(ec);
    });
  }

  void on_read(const error_code& ec) {
    if (closed_) {
      return;
    }
    if (ec && close_sent_) {
      // Our Close frame is out: the read ends with the peer's Close (or the teardown); the
      // close was ours, whatever the read saw.
      linger_close(drain_reason_);
      return;
    }
    if (ec) {
      const CloseReason reason = read_close_reason(ec);
      if (reason == CloseReason::kMessageTooLarge) {
        proto_counter(protocol_, "message_too_large").inc();
      }
      close(reason);
      return;
    }
    touch();
    rd_buffer_.reset();
    // Write coalescing: the answers to the frames of one socket read go out together. Beast
    // delivers the frames it already has one per (posted) handler; the batch ends when Beast
    // asks the socket for more, i.e. when read_next() made it call async_read_some.
    begin_input_batch();
    deliver(std::exchange(rd_data_, std::string()), info_);
    if (!closed_) {  // the sink may have closed the flow
      const std::uint64_t reads = ws_.next_layer().socket_reads();
      read_next();
      if (ws_.next_layer().socket_reads() != reads) {
        end_input_batch();
      }
    }
  }

  // ---- Inbound connections: our own read path (WsFrameReader) ----

  void start_reading() {
    if (!own_reader()) {
      read_next();
      return;
    }
    if constexpr (!kTls) {
      error_code ignored;
      raw().non_blocking(true, ignored);  // read_now(): reads that never wait
    }
    if (rbuf_ && !consume_rbuf()) {
      return;
    }
    if constexpr (kTls) {
      read_tls();
    } else {
      // The handshake's reads may not have drained the socket and its readiness may have been
      // reported meanwhile: try a read before waiting.
      read_now();
    }
  }

  // WS: reads what the kernel holds, without waiting, into the thread's scratch buffer (a read
  // that never waits leaves it free for the shard's next connection: no allocation per read);
  // parses and delivers after each read. Only an incomplete frame header or control frame (at
  // most 131 octets) is kept, in rbuf_, until the next read. A read that did not fill the space
  // drained the socket: the next bytes raise a new readiness event, so the connection then waits
  // (without a buffer) and without another recvmsg.
  void read_now() {
    static thread_local std::unique_ptr<char[]> scratch;
    static thread_local bool scratch_busy = false;
    std::unique_ptr<char[]> own;  // only if the scratch buffer is in use further up the stack
    char* buf = nullptr;
    if (scratch_busy) {
      own = std::make_unique_for_overwrite<char[]>(kReadChunk);
      buf = own.get();
    } else {
      if (!scratch) {
        scratch = std::make_unique_for_overwrite<char[]>(kReadChunk);
      }
      buf = scratch.get();
      scratch_busy = true;
    }
    struct Release {
      bool owner;
      ~Release() {
        if (owner) {
          scratch_busy = false;
        }
      }
    } release{own == nullptr};
    std::size_t have = 0;
    if (rbuf_) {
      have = rend_ - rbeg_;
      std::memcpy(buf, rbuf_.get() + rbeg_, have);
      rbuf_.reset();
      rbeg_ = rend_ = 0;
    }
    for (;;) {
      const std::size_t space = kReadChunk - have;
      error_code ec;
      const std::size_t n = raw().read_some(asio::buffer(buf + have, space), ec);
      if (ec == asio::error::would_block) {
        keep_rest(buf, have);
        wait_readable();
        return;
      }
      if (ec) {
        on_read_error(ec);
        return;
      }
      have += n;
      std::size_t begin = 0;
      if (!consume(buf, begin, have)) {
        return;
      }
      have -= begin;
      std::memmove(buf, buf + begin, have);
      if (n < space) {
        keep_rest(buf, have);
        wait_readable();
        return;
      }
    }
  }

  // WS: the incomplete rest of a read waits in a buffer of its own size.
  void keep_rest(const char* buf, std::size_t have) {
    if (have == 0) {
      return;
    }
    rbuf_ = std::make_unique_for_overwrite<char[]>(have);
    std::memcpy(rbuf_.get(), buf, have);
    rbeg_ = 0;
    rend_ = static_cast<std::uint32_t>(have);
  }

  void wait_readable() {
    raw().async_wait(tcp::socket::wait_read, [self = shared_from_this(), this](error_code ec) {
      if (closed_ || lingering_) {
        return;
      }
      if (ec) {
        on_read_error(ec);
        return;
      }
      read_now();
    });
  }

  // WSS: the TlsStream may hold decrypted bytes the socket no longer shows, so reads go through
  // it; while no bytes wait, into head_ (a read that waits for the peer holds no buffer).
  void read_tls() {
    if (!rbuf_) {
      raw().async_read_some(asio::buffer(head_), [self = shared_from_this(), this](
                                                     error_code ec, std::size_t n) {
        if (closed_ || lingering_) {
          return;
        }
        if (ec) {
          on_read_error(ec);
          return;
        }
        rbuf_ = std::make_unique_for_overwrite<char[]>(kReadChunk);
        std::memcpy(rbuf_.get(), head_.data(), n);
        rbeg_ = 0;
        rend_ = static_cast<std::uint32_t>(n);
        if (consume_rbuf()) {
          read_tls();
        }
      });
      return;
    }
    raw().async_read_some(
        asio::buffer(rbuf_.get() + rend_, kReadChunk - rend_),
        [self = shared_from_this(), this](error_code ec, std::size_t n) {
          if (closed_ || lingering_) {
            return;
          }
          if (ec) {
            on_read_error(ec);
            return;
          }
          rend_ += static_cast<std::uint32_t>(n);
          if (consume_rbuf()) {
            read_tls();
          }
        });
  }

  void on_read_error(const error_code& ec) {
    if (close_sent_) {
      linger_close(drain_reason_);  // our Close is out; the close was ours
      return;
    }
    close(read_close_reason(ec));
  }

  // WSS (and the bytes that came with the upgrade request): consume() on rbuf_; the rest (part of
  // a header or of a control frame) moves to the front of the buffer, or the buffer is freed.
  bool consume_rbuf() {
    std::size_t begin = rbeg_;
    if (!consume(rbuf_.get(), begin, rend_)) {
      return false;
    }
    rbeg_ = static_cast<std::uint32_t>(begin);
    if (rbeg_ == rend_) {
      rbuf_.reset();
      rbeg_ = rend_ = 0;
    } else if (rbeg_ != 0) {
      std::memmove(rbuf_.get(), rbuf_.get() + rbeg_, rend_ - rbeg_);
      rend_ -= rbeg_;
      rbeg_ = 0;
    }
    return true;
  }

  // Parses every complete frame in buf[begin, end) and acts on it; `begin` ends past the last
  // octet used. Answers to the messages of one read leave together at the batch's end. False when
  // reading must stop (the flow closed, or a Close or an error ended the WebSocket connection).
  bool consume(char* buf, std::size_t& begin, std::size_t end) {
    begin_input_batch();
    bool more = true;
    bool stop = false;
    while (more && !stop) {
      std::size_t used = 0;
      const WsFrameReader::Event ev = reader_.next(buf + begin, end - begin, used);
      begin += used;
      switch (ev) {
        case WsFrameReader::Event::kNeedMore:
          more = false;
          break;
        case WsFrameReader::Event::kMessage:
          touch();
          if (close_sent_) {
            reader_.take_message();  // §7.1.2: after our Close, data is not delivered
            break;
          }
          deliver(reader_.take_message(), info_);
          if (closed_) {
            return false;  // the sink closed the flow
          }
          break;
        case WsFrameReader::Event::kPing:
          touch();  // a client keep-alive
          if (!close_sent_) {
            // §5.5.3: a pong with the ping's application data, as soon as practical.
            append_ws_control_frame(ws_.next_layer().pending(), WsControl::kPong,
                                    reader_.control_payload(), false);
          }
          break;
        case WsFrameReader::Event::kPong:
          on_pong();
          break;
        case WsFrameReader::Event::kClose:
          on_peer_close(reader_.close_code());
          stop = true;
          break;
        case WsFrameReader::Event::kError:
          on_protocol_error(reader_.error());
          stop = true;
          break;
      }
    }
    end_input_batch();
    if (!closed_ && !writing_ && ws_.next_layer().has_pending()) {
      start_write();  // a pong or a Close
    }
    return !closed_ && !stop;
  }

  // The peer's Close (§5.5.1): the answer to ours ends the closing handshake; else we answer with
  // the same status (§5.5.1) and, once it is written, close TCP first (§7.1.1, the server).
  void on_peer_close(std::uint16_t code) {
    rbuf_.reset();
    rbeg_ = rend_ = 0;
    if (close_sent_) {
      after_close_written(drain_reason_, /*linger=*/true);  // the answer to our Close
      return;
    }
    send_close_frame(code);
    after_close_written(CloseReason::kPeerClosed, /*linger=*/false);
  }

  // §7.1.7: fail the WebSocket connection: a Close with the error's status, then the TCP close.
  void on_protocol_error(WsReadError e) {
    rbuf_.reset();
    rbeg_ = rend_ = 0;
    const bool too_big = e == WsReadError::kMessageTooBig;
    if (too_big) {
      proto_counter(protocol_, "message_too_large").inc();
    }
    std::string name = "ws_error.";
    name += to_string(e);
    proto_counter(protocol_, name).inc();
    const CloseReason reason = too_big ? CloseReason::kMessageTooLarge : CloseReason::kFramingError;
    if (!close_sent_) {
      send_close_frame(close_code_for(e));
    }
    after_close_written(reason, /*linger=*/false);
  }

  // Once our Close frame is written: linger_close() (we closed first: the peer's Close came, its
  // TCP close follows, bounded by the drain deadline), or end_after_close() (the peer closed first
  // or failed: nothing more to wait for).
  void after_close_written(CloseReason reason, bool linger) {
    if (closed_) {
      return;
    }
    if (close_pending_ || close_in_flight_) {
      after_close_ = linger ? AfterClose::kLinger : AfterClose::kEnd;
      linger_reason_ = reason;
      return;
    }
    if (linger) {
      linger_close(reason);
    } else {
      end_after_close(reason);
    }
  }

  // §7.1.1: the server closes the TCP connection first: FIN after our Close frame (and TLS
  // close_notify), what already arrived read and dropped so that the close sends no reset, then
  // the socket closed without waiting for the peer (as Beast's teardown did).
  void end_after_close(CloseReason reason) {
    if constexpr (kTls) {
      raw().close_notify_now();
    }
    auto& socket = beast::get_lowest_layer(ws_);
    error_code ec;
    socket.shutdown(tcp::socket::shutdown_send, ec);
    socket.non_blocking(true, ec);
    std::array<char, 256> sink;
    for (int i = 0; i < 64 && !ec; ++i) {
      socket.read_some(asio::buffer(sink), ec);
    }
    close(reason);
  }

  // Beast wrote into the CorkStream (from inside one of its operations): start a write unless one
  // is in flight (its completion starts the next). No call into Beast from here.
  void on_cork_append() override {
    if (!writing_ && !closed_) {
      start_write();
    }
  }

  // The socket's only writer: frames the queued messages (RFC 7118 §5, one SIP message per
  // WebSocket message; §4.2 text frame when it is UTF-8, else binary) after whatever Beast
  // appended, and writes all of it at once. Messages leave the queue when the write completes
  // (after_write), so the queue limit still counts what the peer has not taken. No data frame
  // is framed before the handshake ended, nor once a Close was sent or received (RFC 6455
  // §5.5.1: nothing after a Close; Beast is then no longer open).
  void start_write() override {
    auto& cork = ws_.next_layer();
    std::size_t messages = 0;
    if (established_ && !close_sent_ && (own_reader() || ws_.is_open())) {
      const bool mask = listener_ == nullptr;  // outgoing: we are the client (§5.3)
      std::size_t total = 0;
      while (messages < queue_.size() && (messages == 0 || total < kMaxWriteBatch)) {
        const std::size_t size = queue_[messages].size();
        total += ws_frame_header_size(size, mask) + size;
        ++messages;
      }
      std::string& out = cork.pending();
      out.reserve(out.size() + total);
      for (std::size_t i = 0; i < messages; ++i) {
        const std::string& m = queue_[i];
        append_ws_frame(out, m, common::is_valid_utf8(m), mask);
      }
    }
    if (!cork.has_pending()) {
      return;  // nothing to write now: the queue waits for the handshake or the close
    }
    close_in_flight_ = std::exchange(close_pending_, false);
    writing_ = true;
    in_flight_ = messages;
    hot(protocol_).writes->inc();
    asio::async_write(cork.next_layer(), cork.begin_write(),
                      [self = shared_from_this(), this](error_code ec, std::size_t) {
                        std::optional<typename CorkStream<NextLayer>::Done> beast_write =
                            ws_.next_layer().end_write();
                        // Before after_write(): a drain it finishes may start the next write.
                        const bool close_written = std::exchange(close_in_flight_, false);
                        const bool more = after_write(ec, std::exchange(in_flight_, 0));
                        if (close_written && !closed_ && after_close_ != AfterClose::kNothing) {
                          // Our Close is on the wire.
                          if (after_close_ == AfterClose::kLinger) {
                            linger_close(linger_reason_);
                          } else {
                            end_after_close(linger_reason_);
                          }
                          return;
                        }
                        if (!closed_ && !writing_ && (more || ws_.next_layer().has_pending())) {
                          start_write();
                        }
                        // Last: completing Beast's write may run its read (and our handlers).
                        if (beast_write) {
                          (*beast_write)(ec);
                        }
                      });
  }

  Ws ws_;
  std::string rd_data_;  // the message being read; empty (no allocation) while idle
  std::optional<asio::dynamic_string_buffer<char, std::char_traits<char>, std::allocator<char>>>
      rd_buffer_;  // Beast keeps a reference to the DynamicBuffer for the whole read
  std::shared_ptr<const WsHandshakeInfo> info_;
  std::string target_;
  std::size_t in_flight_ = 0;  // queued messages framed into the write in flight
  bool close_sent_ = false;  // finish_flush() started the closing handshake
  bool lingering_ = false;   // linger_close(): waiting for the peer's EOF
  bool ping_outstanding_ = false;
  bool ping_writing_ = false;
  // Inbound read path (own_reader()).
  bool close_pending_ = false;       // our Close frame is in the CorkStream's pending bytes
  bool close_in_flight_ = false;     // ... in the write in flight
  enum class AfterClose : std::uint8_t { kNothing, kLinger, kEnd };
  AfterClose after_close_ = AfterClose::kNothing;  // once it is written (after_close_written)
  CloseReason linger_reason_ = CloseReason::kLocalClose;
  std::uint32_t rbeg_ = 0;  // rbuf_[rbeg_, rend_) is received and not yet parsed
  std::uint32_t rend_ = 0;
  // Received bytes not yet parsed: WSS, the read buffer (kReadChunk) while a burst is read; WS,
  // only an incomplete header or control frame between reads. Null while no byte waits.
  std::unique_ptr<char[]> rbuf_;
  WsFrameReader reader_;
  std::array<char, kHeadBytes> head_{};  // WSS: the first octets of a burst
  SteadyTime next_ping_ = SteadyTime::max();
  SteadyTime pong_deadline_ = SteadyTime::max();
};

}  // namespace

ConnectionPtr make_inbound_ws(Shard& shard, ListenerShared& listener, Socket socket) {
  const Protocol p = listener.config.protocol;
  if (p == Protocol::kWss) {
    return std::make_shared<WsConnection<TlsStream>>(shard, p, &listener, std::move(socket),
                                                    *listener.tls);
  }
  WIMPU_ASSERT(p == Protocol::kWs);
  return std::make_shared<WsConnection<Socket>>(shard, p, &listener, std::move(socket));
}

ConnectionPtr make_outgoing_ws(Shard& shard, Protocol p) {
  if (p == Protocol::kWss) {
    return std::make_shared<WsConnection<TlsStream>>(
        shard, p, nullptr, shard.context().get_executor(), *shard.shared().tls_client);
  }
  WIMPU_ASSERT(p == Protocol::kWs);
  return std::make_shared<WsConnection<Socket>>(shard, p, nullptr,
                                                shard.context().get_executor());
}

}  // namespace wimpu::transport::detail
