// WebSocket SIP client connections (RFC 6455 client side, RFC 7118) on Beast.
#include "wimpu/loadgen/ws_client.hpp"

#include <netinet/in.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <vector>

namespace wimpu::loadgen {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using boost::system::error_code;

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

template <class NextLayer>
class WsConnImpl final : public WsSipConnection,
                         public std::enable_shared_from_this<WsConnImpl<NextLayer>> {
public:
  static constexpr bool kTls = !std::is_same_v<NextLayer, tcp::socket>;

  WsConnImpl(asio::io_context& io, std::shared_ptr<const WsClientConfig> config,
             WsSipHandler* handler)
      : WsSipConnection(handler), config_(std::move(config)), ws_(make_stream(io, *config_)) {}

  void start(const tcp::endpoint& remote,
             const std::optional<asio::ip::address>& local) override {
    state_ = State::kConnecting;
    auto& sock = beast::get_lowest_layer(ws_);
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
      asio::post(sock.get_executor(),
                 [self = this->shared_from_this(), ec] { self->fail(ErrorKind::kConnect, ec); });
      return;
    }
    sock.async_connect(remote,
                       [self = this->shared_from_this()](error_code e) { self->on_connect(e); });
  }

  void send(std::string message) override {
    if (state_ != State::kOpen) {
      return;
    }
    outq_.push_back(std::move(message));
    ++queued_;
    if (!writing_) {
      do_write();
    }
  }

  void close() override {
    if (state_ == State::kOpen) {
      state_ = State::kClosing;
      by_us_ = true;
      ws_.async_close(websocket::close_code::normal, [self = this->shared_from_this()](
                                                         error_code ec) {
        if (ec) {
          self->shutdown_socket();  // the pending read then reports the end
        }
      });
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
    return beast::get_lowest_layer(ws_).local_endpoint(ec);
  }

private:
  static websocket::stream<NextLayer> make_stream(asio::io_context& io,
                                                  const WsClientConfig& config) {
    if constexpr (kTls) {
      return websocket::stream<NextLayer>(io, *config.tls);
    } else {
      (void)config;
      return websocket::stream<NextLayer>(io);
    }
  }

  void on_connect(error_code ec) {
    if (aborted_) {
      return fail(abort_reason_, ec ? ec : asio::error::operation_aborted);
    }
    if (ec) {
      return fail(ErrorKind::kConnect, ec);
    }
    if constexpr (kTls) {
      state_ = State::kTlsHandshake;
      auto& tls = ws_.next_layer();
      const std::string& host = config_->url.host;
      if (!is_ip_literal(host)) {
        // RFC 6066 §3: SNI carries DNS names only.
        // (SSL_set_tlsext_host_name is a macro with an old-style cast.)
        SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(host.c_str()));
      }
      if (config_->verify_host) {
        tls.set_verify_callback(ssl::host_name_verification(host));
      }
      tls.async_handshake(ssl::stream_base::client,
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

  void ws_handshake() {
    state_ = State::kWsHandshake;
    ws_.read_message_max(config_->max_message);
    ws_.auto_fragment(false);
    ws_.text(!config_->binary_frames);
    // The decorator keeps the shared config alive; it runs once, for the upgrade request.
    ws_.set_option(websocket::stream_base::decorator(
        [cfg = config_](websocket::request_type& req) {
          req.set(http::field::sec_websocket_protocol, cfg->subprotocol);
          if (!cfg->origin.empty()) {
            req.set(http::field::origin, cfg->origin);
          }
          if (!cfg->user_agent.empty()) {
            req.set(http::field::user_agent, cfg->user_agent);
          }
        }));
    response_ = std::make_unique<websocket::response_type>();
    ws_.async_handshake(*response_, config_->url.host_header(), config_->url.target,
                        [self = this->shared_from_this()](error_code e) { self->on_upgrade(e); });
  }

  void on_upgrade(error_code ec) {
    handshake_status_ = response_ ? static_cast<int>(response_->result_int()) : 0;
    if (aborted_) {
      return fail(abort_reason_, ec ? ec : asio::error::operation_aborted);
    }
    if (ec) {
      return fail(ErrorKind::kHandshake, ec);
    }
    // RFC 6455 §4.1 item 6 / RFC 7118 §4.1: the server must have chosen our subprotocol.
    if ((*response_)[http::field::sec_websocket_protocol] != config_->subprotocol) {
      return fail(ErrorKind::kHandshake,
                  boost::system::errc::make_error_code(boost::system::errc::protocol_error));
    }
    response_.reset();
    state_ = State::kOpen;
    if (handler_ != nullptr) {
      handler_->on_open(*this);
    }
    if (state_ == State::kOpen || state_ == State::kClosing) {
      do_read();
    }
  }

  void do_read() {
    ws_.async_read(rbuf_, [self = this->shared_from_this()](error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(error_code ec) {
    if (ec) {
      return finish(ec);
    }
    const auto data = rbuf_.cdata();
    if (handler_ != nullptr && state_ == State::kOpen) {
      handler_->on_message(*this, std::string_view(static_cast<const char*>(data.data()),
                                                    data.size()));
    }
    rbuf_.consume(rbuf_.size());
    if (state_ == State::kOpen || state_ == State::kClosing) {
      do_read();
    }
  }

  void do_write() {
    writing_ = true;
    ws_.async_write(asio::buffer(outq_[head_]),
                    [self = this->shared_from_this()](error_code ec, std::size_t) {
                      self->on_write(ec);
                    });
  }

  void on_write(error_code ec) {
    writing_ = false;
    if (ec) {
      // The read side sees the broken socket and reports the end once.
      outq_.clear();
      head_ = 0;
      queued_ = 0;
      shutdown_socket();
      return;
    }
    ++head_;
    --queued_;
    if (head_ == outq_.size()) {
      outq_.clear();
      head_ = 0;
    } else if (state_ == State::kOpen) {
      do_write();
    }
  }

  void shutdown_socket() {
    error_code ignored;
    beast::get_lowest_layer(ws_).close(ignored);
  }

  void fail(ErrorKind kind, error_code ec) {
    if (state_ == State::kClosed) {
      return;
    }
    // The handler may drop its pointer to us (or replace us) inside the call.
    const auto self = this->shared_from_this();
    state_ = State::kClosed;
    response_.reset();
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
    outq_.clear();
    head_ = 0;
    queued_ = 0;
    if (handler_ != nullptr) {
      handler_->on_closed(*this, by_us_, ec);
    }
  }

  std::shared_ptr<const WsClientConfig> config_;
  websocket::stream<NextLayer> ws_;
  beast::flat_buffer rbuf_;
  std::unique_ptr<websocket::response_type> response_;  // only during the upgrade
  std::vector<std::string> outq_;
  std::size_t head_ = 0;
  bool writing_ = false;
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
