// WebSocket SIP client connections (RFC 6455 client side, RFC 7118): Asio for TCP and TLS, Beast
// only to parse the upgrade response, our own framing after it (ws_frame.hpp), so that several
// messages go out in one socket write and one read delivers every frame received.
#include "wimpu/loadgen/ws_client.hpp"

#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "wimpu/common/assert.hpp"
#include "wimpu/loadgen/rng.hpp"
#include "wimpu/loadgen/ws_frame.hpp"

namespace wimpu::loadgen {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr std::size_t kInitialRead = 4096;
constexpr std::size_t kMaxGreedyRead = 65536;  // grow the read buffer up to this when reads fill it
constexpr std::size_t kMaxFrameHeader = 14;
constexpr char kWsGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455 §1.3

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Masking keys and the handshake nonce: RFC 6455 §5.3 wants keys a proxy cannot predict; a
// per-thread xoshiro256** seeded from std::random_device serves a load tool (the keys only
// need to differ and not be guessable by the server under test).
Rng& thread_rng() {
  thread_local Rng rng(Rng::random_seed());
  return rng;
}

std::uint32_t next_mask_key() { return static_cast<std::uint32_t>(thread_rng().next() >> 16); }

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                                  static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

// Sec-WebSocket-Accept for `key` (RFC 6455 §4.2.2 item 5.4): base64(SHA-1(key + GUID)).
std::string accept_for(const std::string& key) {
  const std::string text = key + kWsGuid;
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int md_len = 0;
  EVP_Digest(text.data(), text.size(), md.data(), &md_len, EVP_sha1(), nullptr);
  return base64(md.data(), md_len);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

// True when the comma-separated header value holds `token` (case-insensitive, RFC 7230 §7).
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
      item.remove_prefix(1);
    }
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
      item.remove_suffix(1);
    }
    if (iequals(item, token)) {
      return true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    value.remove_prefix(comma + 1);
  }
  return false;
}

template <class Stream>
class WsConnImpl final : public WsSipConnection,
                         public std::enable_shared_from_this<WsConnImpl<Stream>> {
public:
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

  WsConnImpl(asio::io_context& io, std::shared_ptr<const WsClientConfig> config,
             WsSipHandler* handler)
      : WsSipConnection(handler), io_(io), config_(std::move(config)), stream_(make_stream(io, *config_)) {
    data_opcode_ = config_->binary_frames ? WsOpcode::kBinary : WsOpcode::kText;
  }

  void start(const tcp::endpoint& remote,
             const std::optional<asio::ip::address>& local) override {
    state_ = State::kConnecting;
    auto& sock = socket();
    error_code ec;
    sock.open(remote.protocol(), ec);
    if (!ec && local) {
      // Without IP_BIND_ADDRESS_NO_PORT, bind() would reserve an ephemeral port per socket for
      // every destination, capping a local address at ~28k connections in total.
      const int one = 1;
      ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
      sock.bind(tcp::endpoint(*local, 0), ec);
    }
    if (!ec) {
      sock.set_option(tcp::no_delay(true), ec);
    }
    if (ec) {
      // Report asynchronously: the caller may not expect its handler to run inside start().
      asio::post(io_, [self = this->shared_from_this(), ec] { self->fail(ErrorKind::kConnect, ec); });
      return;
    }
    sock.async_connect(remote,
                       [self = this->shared_from_this()](error_code e) { self->on_connect(e); });
  }

  void send(std::string_view message) override {
    begin_message().append(message);
    end_message();
  }

  std::string& begin_message() override {
    WIMPU_ASSERT(!building_);
    building_ = true;
    frame_start_ = ws_begin_frame(wbuf_);
    return wbuf_;
  }

  void end_message() override {
    WIMPU_ASSERT(building_);
    building_ = false;
    if (state_ != State::kOpen) {
      wbuf_.resize(frame_start_);
      return;
    }
    ws_end_frame(wbuf_, frame_start_, data_opcode_, next_mask_key());
    ++queued_;
    ++frames_queued_;
    schedule_flush();
  }

  void close() override {
    if (state_ == State::kOpen) {
      state_ = State::kClosing;
      by_us_ = true;
      // RFC 6455 §5.5.1: status 1000 (normal closure); then wait for the server's close.
      const char payload[2] = {static_cast<char>(1000 >> 8), static_cast<char>(1000 & 0xFF)};
      queue_control(WsOpcode::kClose, std::string_view(payload, 2));
      close_sent_ = true;
    } else if (state_ != State::kClosing && state_ != State::kClosed) {
      abort(ErrorKind::kConnect);
    }
  }

  void abort(ErrorKind reason) override {
    if (state_ == State::kClosed) {
      return;
    }
    by_us_ = true;
    abort_reason_ = reason;
    aborted_ = true;
    if (state_ == State::kIdle) {
      fail(reason, asio::error::operation_aborted);
      return;
    }
    // Closing the socket completes every pending operation with operation_aborted; their
    // handlers report once (fail() before open, finish() after).
    shutdown_socket();
  }

  tcp::endpoint local_endpoint() const override {
    error_code ec;
    return socket().local_endpoint(ec);
  }

private:
  static Stream make_stream(asio::io_context& io, const WsClientConfig& config) {
    if constexpr (kTls) {
      return Stream(io, *config.tls);
    } else {
      (void)config;
      return Stream(io);
    }
  }

  tcp::socket& socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }
  const tcp::socket& socket() const {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  // ---- opening ----

  void on_connect(error_code ec) {
    if (aborted_) {
      return fail(abort_reason_, ec ? ec : asio::error::operation_aborted);
    }
    if (ec) {
      return fail(ErrorKind::kConnect, ec);
    }
    if constexpr (kTls) {
      state_ = State::kTlsHandshake;
      const std::string& host = config_->url.host;
      if (!is_ip_literal(host)) {
        // RFC 6066 §3: SNI carries DNS names only.
        // (SSL_set_tlsext_host_name is a macro with an old-style cast.)
        SSL_ctrl(stream_.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(host.c_str()));
      }
      if (config_->verify_host) {
        stream_.set_verify_callback(ssl::host_name_verification(host));
      }
      stream_.async_handshake(ssl::stream_base::client,
                              [self = this->shared_from_this()](error_code e) { self->on_tls(e); });
    } else {
      ws_handshake();
    }
  }

  void on_tls(error_code ec) {
    if (aborted_) {
      return fail(abort_reason_, ec ? ec : asio::error::operation_aborted);
    }
    if (ec) {
      return fail(ErrorKind::kTls, ec);
    }
    ws_handshake();
  }

  // RFC 6455 §4.1: the opening handshake, with `Sec-WebSocket-Protocol: sip` (RFC 7118 §4.1).
  void ws_handshake() {
    state_ = State::kWsHandshake;
    unsigned char nonce[16];
    for (std::size_t i = 0; i < sizeof(nonce); i += 8) {
      const std::uint64_t r = thread_rng().next();
      std::memcpy(nonce + i, &r, 8);
    }
    hs_key_ = base64(nonce, sizeof(nonce));
    const WsClientConfig& c = *config_;
    wbuf_.clear();
    wbuf_.append("GET ").append(c.url.target).append(" HTTP/1.1\r\nHost: ");
    wbuf_.append(c.url.host_header());
    wbuf_.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
    wbuf_.append(hs_key_).append("\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ");
    wbuf_.append(c.subprotocol).append("\r\n");
    if (!c.origin.empty()) {
      wbuf_.append("Origin: ").append(c.origin).append("\r\n");
    }
    if (!c.user_agent.empty()) {
      wbuf_.append("User-Agent: ").append(c.user_agent).append("\r\n");
    }
    wbuf_.append("\r\n");
    asio::async_write(stream_, asio::buffer(wbuf_),
                      [self = this->shared_from_this()](error_code e, std::size_t) {
                        self->on_upgrade_sent(e);
                      });
  }

  void on_upgrade_sent(error_code ec) {
    wbuf_.clear();
    if (aborted_) {
      return fail(abort_reason_, ec ? ec : asio::error::operation_aborted);
    }
    if (ec) {
      return fail(ErrorKind::kHandshake, ec);
    }
    hs_buf_ = std::make_unique<beast::flat_buffer>();
    parser_ = std::make_unique<http::response_parser<http::empty_body>>();
    parser_->header_limit(16384);
    http::async_read_header(stream_, *hs_buf_, *parser_,
                            [self = this->shared_from_this()](error_code e, std::size_t) {
                              self->on_upgrade(e);
                            });
  }

  void on_upgrade(error_code ec) {
    if (parser_->got_some()) {
      handshake_status_ = static_cast<int>(parser_->get().result_int());
    }
    if (aborted_) {
      return fail(abort_reason_, ec ? ec : asio::error::operation_aborted);
    }
    if (ec) {
      return fail(ErrorKind::kHandshake, ec);
    }
    const auto& res = parser_->get();
    // RFC 6455 §4.1, the client's checks of the server's handshake (items 1-6), and RFC 7118
    // §4.1: the server must have chosen our subprotocol.
    const bool ok = res.result_int() == 101 && has_token(res[http::field::upgrade], "websocket") &&
                    has_token(res[http::field::connection], "upgrade") &&
                    res[http::field::sec_websocket_accept] == accept_for(hs_key_) &&
                    res[http::field::sec_websocket_protocol] == config_->subprotocol;
    if (!ok) {
      return fail(ErrorKind::kHandshake,
                  boost::system::errc::make_error_code(boost::system::errc::protocol_error));
    }
    // Frames the server sent right behind its 101 are already in the parser's buffer.
    const auto rest = hs_buf_->cdata();
    rbuf_.resize(std::max(kInitialRead, rest.size() + kInitialRead));
    std::memcpy(rbuf_.data(), rest.data(), rest.size());
    rend_ = rest.size();
    parser_.reset();
    hs_buf_.reset();
    hs_key_.clear();
    hs_key_.shrink_to_fit();
    state_ = State::kOpen;
    in_dispatch_ = true;  // what on_open sends goes out in one write after it
    if (handler_ != nullptr) {
      handler_->on_open(*this);
    }
    if (rend_ > 0) {
      dispatch_frames();
    } else {
      in_dispatch_ = false;
      flush();
      do_read();
    }
  }

  // ---- reading: every frame a read brought, then one flush of what the handlers sent ----

  void do_read() {
    if (state_ == State::kClosed) {
      return;
    }
    if (rbeg_ > 0) {  // keep the partial frame at the front
      std::memmove(rbuf_.data(), rbuf_.data() + rbeg_, rend_ - rbeg_);
      rend_ -= rbeg_;
      rbeg_ = 0;
    }
    const std::size_t need = std::max(want_, rend_ + 1);
    if (need > rbuf_.size()) {
      rbuf_.resize(std::max(need, rbuf_.size() * 2));
    }
    stream_.async_read_some(asio::buffer(rbuf_.data() + rend_, rbuf_.size() - rend_),
                            [self = this->shared_from_this()](error_code ec, std::size_t n) {
                              self->on_read(ec, n);
                            });
  }

  void on_read(error_code ec, std::size_t n) {
    if (ec) {
      return finish(ec);
    }
    ++socket_reads_;
    if (sink_ != nullptr) {
      ++sink_->reads;
    }
    const bool filled = rend_ + n == rbuf_.size();
    rend_ += n;
    if (filled && rbuf_.size() < kMaxGreedyRead) {
      want_ = std::min(kMaxGreedyRead, rbuf_.size() * 2);  // the kernel had more: read more
    }
    in_dispatch_ = true;
    dispatch_frames();
  }

  // Precondition: in_dispatch_. Decodes and delivers every complete frame in the buffer, then
  // writes what the handler sent meanwhile and reads again.
  void dispatch_frames() {
    const auto self = this->shared_from_this();  // the handler may drop its pointer to us
    const std::size_t max_payload = config_->max_message;
    while ((state_ == State::kOpen || state_ == State::kClosing) && !close_received_) {
      WsFrame f;
      const WsDecode d = ws_decode_frame(rbuf_.data() + rbeg_, rend_ - rbeg_, max_payload, f);
      if (d == WsDecode::kTooLarge) {
        protocol_error(1009);  // RFC 6455 §7.4.1: message too big
        break;
      }
      if (d == WsDecode::kNeedMore) {
        want_ = std::max(want_, f.size == 0 ? kMaxFrameHeader : f.size);
        break;
      }
      ++frames_read_;
      if (sink_ != nullptr) {
        ++sink_->frames_in;
      }
      rbeg_ += f.size;  // f.payload stays valid: the buffer moves only in do_read()
      if (!on_frame(f)) {
        break;
      }
    }
    if (rbeg_ == rend_) {
      rbeg_ = rend_ = 0;
    }
    in_dispatch_ = false;
    flush();
    do_read();
  }

  // One decoded frame; false to stop decoding (protocol error).
  bool on_frame(const WsFrame& f) {
    // RFC 6455 §5.1: a server must not mask; §5.2: no RSV bits without an extension.
    if (f.masked || f.rsv != 0) {
      protocol_error(1002);
      return false;
    }
    switch (f.opcode) {
      case WsOpcode::kText:
      case WsOpcode::kBinary:
        if (in_fragments_) {
          protocol_error(1002);
          return false;
        }
        if (f.fin) {
          deliver(f.payload);
        } else {
          in_fragments_ = true;
          fragments_.assign(f.payload);
        }
        return true;
      case WsOpcode::kContinuation:
        if (!in_fragments_ || fragments_.size() + f.payload.size() > config_->max_message) {
          protocol_error(in_fragments_ ? 1009 : 1002);
          return false;
        }
        fragments_.append(f.payload);
        if (f.fin) {
          in_fragments_ = false;
          deliver(fragments_);
          fragments_.clear();
        }
        return true;
      case WsOpcode::kPing:
      case WsOpcode::kPong:
      case WsOpcode::kClose:
        break;
      default:
        protocol_error(1002);
        return false;
    }
    // Control frames: never fragmented, at most 125 bytes (RFC 6455 §5.5).
    if (!f.fin || f.payload.size() > 125) {
      protocol_error(1002);
      return false;
    }
    if (f.opcode == WsOpcode::kPing) {
      if (!close_sent_) {
        queue_control(WsOpcode::kPong, f.payload);  // §5.5.2: same application data
      }
    } else if (f.opcode == WsOpcode::kClose) {
      // §5.5.1: answer a close with a close (echoing the status code), then the TCP connection
      // ends; we close the socket once our close is written.
      close_received_ = true;
      if (!close_sent_) {
        state_ = State::kClosing;
        queue_control(WsOpcode::kClose, f.payload.substr(0, std::min<std::size_t>(2, f.payload.size())));
        close_sent_ = true;
      }
      if (!writing_ && wbuf_.empty()) {
        shutdown_socket();
      }
      return false;
    }
    return true;
  }

  void deliver(std::string_view message) {
    if (handler_ != nullptr && state_ == State::kOpen) {
      handler_->on_message(*this, message);
    }
  }

  void protocol_error(std::uint16_t code) {
    if (!close_sent_ && state_ == State::kOpen) {
      const char payload[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
      queue_control(WsOpcode::kClose, std::string_view(payload, 2));
      close_sent_ = true;
      state_ = State::kClosing;
    }
    close_received_ = true;  // stop reading frames: close the socket once the close is out
    if (!writing_ && wbuf_.empty()) {
      shutdown_socket();
    }
  }

  // ---- writing: frames accumulate in wbuf_; one write per turn takes all of them ----

  void queue_control(WsOpcode opcode, std::string_view payload) {
    WIMPU_ASSERT(!building_);
    ws_append_frame(wbuf_, opcode, payload, next_mask_key());
    ++frames_queued_;
    schedule_flush();
  }

  void schedule_flush() {
    if (in_dispatch_ || writing_ || flush_posted_) {
      return;  // flushed at the end of the read dispatch, or when the write in flight ends
    }
    flush_posted_ = true;
    asio::post(io_, [self = this->shared_from_this()] {
      self->flush_posted_ = false;
      self->flush();
    });
  }

  void flush() {
    if (writing_ || wbuf_.empty() || state_ == State::kClosed || building_) {
      return;
    }
    wfly_.swap(wbuf_);
    wbuf_.clear();
    writing_ = true;
    in_flight_messages_ = queued_;
    in_flight_frames_ = frames_queued_;
    frames_queued_ = 0;
    ++socket_writes_;
    asio::async_write(stream_, asio::buffer(wfly_),
                      [self = this->shared_from_this()](error_code ec, std::size_t) {
                        self->on_write(ec);
                      });
  }

  void on_write(error_code ec) {
    writing_ = false;
    wfly_.clear();
    if (ec) {
      // The read side sees the broken socket and reports the end once.
      wbuf_.clear();
      queued_ = 0;
      frames_queued_ = 0;
      shutdown_socket();
      return;
    }
    queued_ -= in_flight_messages_;
    frames_written_ += in_flight_frames_;
    if (sink_ != nullptr) {
      ++sink_->writes;
      sink_->frames_out += in_flight_frames_;
    }
    if (!wbuf_.empty()) {
      flush();
    } else if (close_sent_ && close_received_) {
      shutdown_socket();  // both closes exchanged (RFC 6455 §7.1.1)
    }
  }

  void shutdown_socket() {
    error_code ignored;
    socket().close(ignored);
  }

  void fail(ErrorKind kind, error_code ec) {
    if (state_ == State::kClosed) {
      return;
    }
    // The handler may drop its pointer to us (or replace us) inside the call.
    const auto self = this->shared_from_this();
    state_ = State::kClosed;
    parser_.reset();
    hs_buf_.reset();
    shutdown_socket();
    if (handler_ != nullptr) {
      handler_->on_failed(*this, kind, ec);
    }
  }

  void finish(error_code ec) {
    if (state_ == State::kClosed) {
      return;
    }
    const auto self = this->shared_from_this();
    state_ = State::kClosed;
    shutdown_socket();
    wbuf_.clear();
    queued_ = 0;
    frames_queued_ = 0;
    if (handler_ != nullptr) {
      handler_->on_closed(*this, by_us_, ec);
    }
  }

  asio::io_context& io_;
  std::shared_ptr<const WsClientConfig> config_;
  Stream stream_;
  WsOpcode data_opcode_ = WsOpcode::kText;
  // opening handshake only
  std::string hs_key_;
  std::unique_ptr<beast::flat_buffer> hs_buf_;
  std::unique_ptr<http::response_parser<http::empty_body>> parser_;
  // read side: frames in rbuf_[rbeg_, rend_)
  std::vector<char> rbuf_;
  std::size_t rbeg_ = 0;
  std::size_t rend_ = 0;
  std::size_t want_ = kInitialRead;  // buffer size the next read should have
  std::string fragments_;            // a fragmented message being assembled
  bool in_fragments_ = false;
  bool in_dispatch_ = false;
  // write side
  std::string wbuf_;  // frames queued
  std::string wfly_;  // frames being written
  std::size_t frame_start_ = 0;
  std::size_t frames_queued_ = 0;
  std::size_t in_flight_messages_ = 0;
  std::size_t in_flight_frames_ = 0;
  bool building_ = false;
  bool writing_ = false;
  bool flush_posted_ = false;
  bool close_sent_ = false;
  bool close_received_ = false;
  bool by_us_ = false;
  bool aborted_ = false;
  ErrorKind abort_reason_ = ErrorKind::kConnect;
};

}  // namespace

Expected<std::shared_ptr<ssl::context>, Error> make_client_tls_context(
    const std::string& ca_file, bool insecure) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1,
                   ec);
  SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  if (insecure) {
    ctx->set_verify_mode(ssl::verify_none, ec);
    return ctx;
  }
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(ca_file, ec);
  }
  if (ec) {
    return Error("cannot load CA certificates" + (ca_file.empty() ? "" : " from " + ca_file) +
                 ": " + ec.message());
  }
  ctx->set_verify_mode(ssl::verify_peer, ec);
  return ctx;
}

Expected<tcp::endpoint, Error> resolve(const WsUrl& url) {
  asio::io_context io;
  tcp::resolver resolver(io);
  error_code ec;
  const auto results = resolver.resolve(url.host, std::to_string(url.port), ec);
  if (ec || results.empty()) {
    return Error("cannot resolve " + url.host + ": " + (ec ? ec.message() : "no address"));
  }
  return results.begin()->endpoint();
}

std::shared_ptr<WsSipConnection> WsSipConnection::create(
    asio::io_context& io, std::shared_ptr<const WsClientConfig> config, WsSipHandler* handler) {
  if (config->url.tls) {
    return std::make_shared<WsConnImpl<ssl::stream<tcp::socket>>>(io, std::move(config),
                                                                   handler);
  }
  return std::make_shared<WsConnImpl<tcp::socket>>(io, std::move(config), handler);
}

}  // namespace wimpu::loadgen
