#include "test_support.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "wimpu/common/counter.hpp"
#include "wimpu/http/self_signed.hpp"
#include "wimpu/transport/stream_framer.hpp"

namespace wimpu::transport::test {
namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using error_code = boost::system::error_code;

namespace {

// Runs `ioc` until `done` or the deadline. The client ops below all follow this pattern: start
// an async op whose handler sets `done`, then run the client's own io_context with a deadline.
bool run_until(asio::io_context& ioc, const bool& done, std::chrono::milliseconds timeout) {
  ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done) {
    if (ioc.run_one_until(deadline) == 0) {
      break;  // deadline passed, or nothing left that could set `done`
    }
  }
  return done;
}

Endpoint to_endpoint(const tcp::endpoint& e) { return {e.address(), e.port()}; }

std::string headers(const std::string& start, const std::string& call_id) {
  return start + "\r\n"
         "Via: SIP/2.0/TCP client.invalid;branch=z9hG4bK" + call_id + "\r\n"
         "Max-Forwards: 70\r\n"
         "To: <sip:bob@example.com>\r\n"
         "From: <sip:alice@example.com>;tag=1\r\n"
         "Call-ID: " + call_id + "\r\n"
         "CSeq: 1 " + start.substr(0, start.find(' ')) + "\r\n";
}

}  // namespace

std::string sip_request(const std::string& method, const std::string& call_id,
                        const std::string& body) {
  return headers(method + " sip:bob@example.com SIP/2.0", call_id) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string sip_request_without_length(const std::string& method, const std::string& call_id) {
  return headers(method + " sip:bob@example.com SIP/2.0", call_id) + "\r\n";
}

std::string sip_response(int code, const std::string& call_id) {
  std::string r = "SIP/2.0 " + std::to_string(code) + " OK\r\n"
                  "Via: SIP/2.0/TCP client.invalid;branch=z9hG4bK" + call_id + "\r\n"
                  "Call-ID: " + call_id + "\r\n"
                  "CSeq: 1 OPTIONS\r\n"
                  "Content-Length: 0\r\n\r\n";
  return r;
}

std::uint64_t counter_value(const std::string& name) { return common::counter(name).value(); }

// --- RecordingSink -------------------------------------------------------------------------

void RecordingSink::on_message(InboundMessage&& msg) {
  if (on_message_hook) {
    on_message_hook(msg);
  }
  std::lock_guard lock(mutex_);
  messages_.push_back(std::move(msg));
  cv_.notify_all();
}

void RecordingSink::on_flow_closed(FlowId flow, CloseReason reason) {
  std::lock_guard lock(mutex_);
  closes_.push_back({flow, reason});
  cv_.notify_all();
}

std::optional<InboundMessage> RecordingSink::wait_message(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!cv_.wait_for(lock, timeout, [&] { return messages_.size() > taken_; })) {
    return std::nullopt;
  }
  return std::move(messages_[taken_++]);
}

std::optional<CloseReason> RecordingSink::wait_close(FlowId flow,
                                                     std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::optional<CloseReason> found;
  cv_.wait_for(lock, timeout, [&] {
    for (const Close& c : closes_) {
      if (c.flow == flow) {
        found = c.reason;
        return true;
      }
    }
    return false;
  });
  return found;
}

std::optional<RecordingSink::Close> RecordingSink::wait_any_close(
    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!cv_.wait_for(lock, timeout, [&] { return closes_.size() > closes_taken_; })) {
    return std::nullopt;
  }
  return closes_[closes_taken_++];
}

int RecordingSink::close_count(FlowId flow) {
  std::lock_guard lock(mutex_);
  int n = 0;
  for (const Close& c : closes_) {
    n += c.flow == flow ? 1 : 0;
  }
  return n;
}

// --- TestCert ------------------------------------------------------------------------------

TestCert::TestCert() {
  std::string templ = (std::filesystem::temp_directory_path() / "wimpu-cert-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  dir_ = templ;
  cert_ = dir_ + "/cert.pem";
  key_ = dir_ + "/key.pem";

  // The generator's defaults: P-256, "localhost", 127.0.0.1 and ::1, a CA (it is also the
  // trust anchor for client certificates, tls_listener()), one day.
  auto pem = wimpu::http::make_self_signed_certificate();
  if (!pem) {
    throw std::runtime_error("self-signed certificate: " + pem.error());
  }
  if (auto written = wimpu::http::write_pem_files(*pem, cert_, key_); !written) {
    throw std::runtime_error(written.error());
  }
}

TestCert::~TestCert() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

ListenerConfig tls_listener(const TestCert& cert, bool session_cache, bool verify_client,
                            TlsRecordLayer record_layer) {
  ListenerConfig l;
  l.protocol = Protocol::kTls;
  l.address = "127.0.0.1";
  l.tls.cert_file = cert.cert_file();
  l.tls.key_file = cert.key_file();
  l.tls.session_cache = session_cache;
  l.tls.verify_client = verify_client;
  l.tls.ca_file = cert.cert_file();  // the self-signed certificate is its own CA
  l.tls.record_layer = record_layer;
  return l;
}

// --- Harness -------------------------------------------------------------------------------

Harness::Harness(TransportConfig config, std::size_t shards, WsHandshakeHook hook)
    : pool_(shards) {
  auto t = NetTransport::create(pool_, std::move(config));
  if (!t) {
    throw std::runtime_error("NetTransport::create: " + t.error().message);
  }
  transport_ = std::move(*t);
  transport_->start([this](ShardId) -> MessageSink& { return sink_; }, std::move(hook));
  pool_.start();
}

Harness::~Harness() {
  transport_->stop();
  pool_.stop();
  pool_.join();
  transport_.reset();
}

void Harness::barrier() {
  for (ShardId s = 0; s < pool_.size(); ++s) {
    run_on(s, [] { return 0; });
  }
}

// --- StreamClient --------------------------------------------------------------------------

struct StreamClient::Impl {
  asio::io_context ioc;
  tcp::socket socket{ioc};
  ssl::context ctx{ssl::context::tls_client};
  std::optional<ssl::stream<tcp::socket&>> tls;
  bool use_tls;
  std::string ca_file;
  std::string verify_host;
  std::string rbuf;
  bool eof = false;

  template <class Op>
  bool run(Op op, std::chrono::milliseconds timeout) {
    bool done = false;
    op(done);
    if (!run_until(ioc, done, timeout)) {
      error_code ec;
      socket.close(ec);
      run_until(ioc, done, 1s);  // let the aborted handler run before locals go away
      return false;
    }
    return true;
  }

  // Reads more bytes into rbuf; false on EOF/error/timeout.
  bool fill(std::chrono::milliseconds timeout) {
    char chunk[4096];
    error_code result;
    std::size_t got = 0;
    const bool ok = run(
        [&](bool& done) {
          auto handler = [&](error_code ec, std::size_t n) {
            result = ec;
            got = n;
            done = true;
          };
          if (use_tls) {
            tls->async_read_some(asio::buffer(chunk), handler);
          } else {
            socket.async_read_some(asio::buffer(chunk), handler);
          }
        },
        timeout);
    if (!ok) {
      return false;
    }
    if (result) {
      eof = true;
      return false;
    }
    rbuf.append(chunk, got);
    return true;
  }
};

StreamClient::StreamClient(bool tls, std::string ca_file, std::string verify_host)
    : impl_(std::make_unique<Impl>()) {
  impl_->use_tls = tls;
  impl_->ca_file = std::move(ca_file);
  impl_->verify_host = std::move(verify_host);
}

StreamClient::~StreamClient() = default;

bool StreamClient::connect(const Endpoint& server, int receive_buffer) {
  Impl& i = *impl_;
  const tcp::endpoint ep(server.address, server.port);
  error_code ec;
  i.socket.open(ep.protocol(), ec);
  if (receive_buffer > 0) {
    i.socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer), ec);
  }
  i.socket.set_option(tcp::no_delay(true), ec);
  error_code result;
  if (!i.run([&](bool& done) {
        i.socket.async_connect(ep, [&](error_code e) {
          result = e;
          done = true;
        });
      },
      kWait) ||
      result) {
    return false;
  }
  if (!i.use_tls) {
    return true;
  }
  if (!i.ca_file.empty()) {
    i.ctx.load_verify_file(i.ca_file);
    i.ctx.set_verify_mode(ssl::verify_peer);
  } else {
    i.ctx.set_verify_mode(ssl::verify_none);
  }
  i.tls.emplace(i.socket, i.ctx);
  if (!i.verify_host.empty()) {
    i.tls->set_verify_callback(ssl::host_name_verification(i.verify_host));
  }
  return i.run(
             [&](bool& done) {
               i.tls->async_handshake(ssl::stream_base::client, [&](error_code e) {
                 result = e;
                 done = true;
               });
             },
             kWait) &&
         !result;
}

bool StreamClient::write(std::string_view bytes) {
  Impl& i = *impl_;
  error_code result;
  const bool ok = i.run(
      [&](bool& done) {
        auto handler = [&](error_code e, std::size_t) {
          result = e;
          done = true;
        };
        if (i.use_tls) {
          asio::async_write(*i.tls, asio::buffer(bytes), handler);
        } else {
          asio::async_write(i.socket, asio::buffer(bytes), handler);
        }
      },
      kWait);
  return ok && !result;
}

std::optional<std::string> StreamClient::read_message(std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    StreamFramer framer({64 * 1024, 1024 * 1024});
    framer.feed(i.rbuf);
    std::string msg;
    const auto event = framer.next(msg);
    if (event == StreamFramer::Event::kMessage) {
      i.rbuf.erase(0, i.rbuf.size() - framer.buffered());
      return msg;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (event == StreamFramer::Event::kError || left.count() <= 0 || !i.fill(left)) {
      return std::nullopt;
    }
  }
}

std::optional<std::string> StreamClient::read_bytes(std::size_t n,
                                                    std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (i.rbuf.size() < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !i.fill(left)) {
      return std::nullopt;
    }
  }
  std::string out = i.rbuf.substr(0, n);
  i.rbuf.erase(0, n);
  return out;
}

bool StreamClient::wait_closed(std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!i.eof) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    i.fill(left);
  }
  return true;
}

Endpoint StreamClient::local_endpoint() const {
  error_code ec;
  return to_endpoint(impl_->socket.local_endpoint(ec));
}

void StreamClient::close() {
  error_code ec;
  impl_->socket.shutdown(tcp::socket::shutdown_both, ec);
  impl_->socket.close(ec);
}

// --- WsClient ------------------------------------------------------------------------------

struct WsClient::Impl {
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  bool use_tls = false;
  std::optional<websocket::stream<tcp::socket>> plain;
  std::optional<websocket::stream<ssl::stream<tcp::socket>>> secure;
  int pings = 0;
  std::vector<std::string> pongs;
  // A read may outlive the call that started it (answer_pings); its result waits here.
  bool read_pending = false;
  bool read_done = false;
  error_code read_ec;
  beast::flat_buffer buffer;
  bool read_binary = false;
  bool closed = false;
  int code = 1006;

  tcp::socket& socket() {
    return use_tls ? beast::get_lowest_layer(*secure) : beast::get_lowest_layer(*plain);
  }

  template <class F>
  auto with_ws(F f) {
    return use_tls ? f(*secure) : f(*plain);
  }

  void start_read() {
    if (read_pending || read_done) {
      return;
    }
    read_pending = true;
    read_done = false;
    with_ws([&](auto& ws) {
      ws.async_read(buffer, [this, &ws](error_code ec, std::size_t) {
        read_ec = ec;
        read_binary = ws.got_binary();
        read_done = true;
        read_pending = false;
        if (ec) {
          closed = true;
          // Beast keeps the code of the Close frame it received; none = 1006 (RFC 6455 §7.1.5).
          code = ec == websocket::error::closed ? static_cast<int>(ws.reason().code) : 1006;
        }
      });
      return 0;
    });
  }
};

WsClient::WsClient(bool tls, std::string ca_file) : impl_(std::make_unique<Impl>()) {
  impl_->use_tls = tls;
  if (!ca_file.empty()) {
    impl_->ctx.load_verify_file(ca_file);
    impl_->ctx.set_verify_mode(ssl::verify_peer);
  } else {
    impl_->ctx.set_verify_mode(ssl::verify_none);
  }
  if (tls) {
    impl_->secure.emplace(impl_->ioc, impl_->ctx);
  } else {
    impl_->plain.emplace(impl_->ioc);
  }
}

WsClient::~WsClient() {
  error_code ec;
  impl_->socket().close(ec);
  bool done = false;
  run_until(impl_->ioc, done, 0ms);
}

WsClient::Handshake WsClient::connect(const Endpoint& server, const std::string& target,
                                      const std::string& subprotocol, const std::string& origin,
                                      const std::string& cookie) {
  Impl& i = *impl_;
  Handshake out;
  const tcp::endpoint ep(server.address, server.port);
  bool done = false;
  error_code result;
  i.socket().async_connect(ep, [&](error_code e) {
    result = e;
    done = true;
  });
  if (!run_until(i.ioc, done, kWait) || result) {
    return out;
  }
  if (i.use_tls) {
    done = false;
    i.secure->next_layer().async_handshake(ssl::stream_base::client, [&](error_code e) {
      result = e;
      done = true;
    });
    if (!run_until(i.ioc, done, kWait) || result) {
      return out;
    }
  }
  i.with_ws([&](auto& ws) {
    ws.control_callback([&i](websocket::frame_type kind, beast::string_view payload) {
      if (kind == websocket::frame_type::ping) {
        ++i.pings;
      } else if (kind == websocket::frame_type::pong) {
        i.pongs.emplace_back(payload.data(), payload.size());
      }
    });
    ws.set_option(websocket::stream_base::decorator([=](websocket::request_type& req) {
      if (!subprotocol.empty()) {
        req.set(http::field::sec_websocket_protocol, subprotocol);
      }
      if (!origin.empty()) {
        req.set(http::field::origin, origin);
      }
      if (!cookie.empty()) {
        req.set(http::field::cookie, cookie);
      }
    }));
    return 0;
  });
  websocket::response_type res;
  done = false;
  const std::string host = "localhost:" + std::to_string(server.port);
  i.with_ws([&](auto& ws) {
    ws.async_handshake(res, host, target, [&](error_code e) {
      result = e;
      done = true;
    });
    return 0;
  });
  if (!run_until(i.ioc, done, kWait)) {
    return out;
  }
  out.status = static_cast<int>(res.result_int());
  out.subprotocol = std::string(res[http::field::sec_websocket_protocol]);
  out.www_authenticate = std::string(res[http::field::www_authenticate]);
  out.upgraded = !result;
  return out;
}

bool WsClient::send(std::string_view message, bool binary) {
  Impl& i = *impl_;
  bool done = false;
  error_code result;
  i.with_ws([&](auto& ws) {
    ws.binary(binary);
    ws.async_write(asio::buffer(message), [&](error_code e, std::size_t) {
      result = e;
      done = true;
    });
    return 0;
  });
  return run_until(i.ioc, done, kWait) && !result;
}

std::optional<std::string> WsClient::read(std::chrono::milliseconds timeout, bool* binary) {
  Impl& i = *impl_;
  if (i.closed) {
    return std::nullopt;
  }
  i.start_read();
  if (!run_until(i.ioc, i.read_done, timeout) || i.read_ec) {
    return std::nullopt;
  }
  i.read_done = false;
  if (binary != nullptr) {
    *binary = i.read_binary;
  }
  std::string out = beast::buffers_to_string(i.buffer.data());
  i.buffer.consume(i.buffer.size());
  return out;
}

bool WsClient::answer_pings(int pings, std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  i.ioc.restart();
  i.start_read();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (i.pings < pings && !i.closed) {
    if (i.ioc.run_one_until(deadline) == 0 && std::chrono::steady_clock::now() >= deadline) {
      break;
    }
  }
  return i.pings >= pings;
}

bool WsClient::ping(std::string_view payload) {
  Impl& i = *impl_;
  bool done = false;
  error_code result;
  i.with_ws([&](auto& ws) {
    ws.async_ping(websocket::ping_data(payload.data(), payload.size()), [&](error_code e) {
      result = e;
      done = true;
    });
    return 0;
  });
  return run_until(i.ioc, done, kWait) && !result;
}

bool WsClient::wait_pongs(int pongs, std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  i.ioc.restart();
  i.start_read();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (static_cast<int>(i.pongs.size()) < pongs && !i.closed && !i.read_done) {
    if (i.ioc.run_one_until(deadline) == 0 && std::chrono::steady_clock::now() >= deadline) {
      break;
    }
  }
  return static_cast<int>(i.pongs.size()) >= pongs;
}

const std::vector<std::string>& WsClient::pongs() const { return impl_->pongs; }

bool WsClient::wait_closed(std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!i.closed) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    i.start_read();
    run_until(i.ioc, i.read_done, left);
    i.read_done = false;
    i.buffer.consume(i.buffer.size());
  }
  return true;
}

void WsClient::close() {
  Impl& i = *impl_;
  bool done = false;
  i.with_ws([&](auto& ws) {
    ws.async_close(websocket::close_code::normal, [&](error_code) { done = true; });
    return 0;
  });
  run_until(i.ioc, done, kWait);
}

int WsClient::close_code() const { return impl_->code; }

Endpoint WsClient::local_endpoint() const {
  error_code ec;
  return to_endpoint(impl_->socket().local_endpoint(ec));
}

// --- UdpClient -----------------------------------------------------------------------------

struct UdpClient::Impl {
  asio::io_context ioc;
  udp::socket socket{ioc};
};

UdpClient::UdpClient(bool v6) : impl_(std::make_unique<Impl>()) {
  const udp::endpoint ep(v6 ? asio::ip::make_address("::1") : asio::ip::make_address("127.0.0.1"),
                         0);
  impl_->socket.open(ep.protocol());
  impl_->socket.bind(ep);
}

UdpClient::~UdpClient() = default;

bool UdpClient::send(const Endpoint& to, std::string_view datagram) {
  error_code ec;
  impl_->socket.send_to(asio::buffer(datagram), udp::endpoint(to.address, to.port), 0, ec);
  return !ec;
}

std::optional<std::string> UdpClient::receive(std::chrono::milliseconds timeout, Endpoint* from) {
  std::string buf(65536, '\0');
  udp::endpoint sender;
  bool done = false;
  error_code result;
  std::size_t got = 0;
  impl_->socket.async_receive_from(asio::buffer(buf), sender, [&](error_code e, std::size_t n) {
    result = e;
    got = n;
    done = true;
  });
  if (!run_until(impl_->ioc, done, timeout)) {
    error_code ec;
    impl_->socket.cancel(ec);
    run_until(impl_->ioc, done, 1s);
    return std::nullopt;
  }
  if (result) {
    return std::nullopt;
  }
  if (from != nullptr) {
    *from = {sender.address(), sender.port()};
  }
  buf.resize(got);
  return buf;
}

Endpoint UdpClient::local_endpoint() const {
  error_code ec;
  const auto e = impl_->socket.local_endpoint(ec);
  return {e.address(), e.port()};
}

void answer_requests(Harness& h) {
  h.sink().on_message_hook = [&h](const InboundMessage& msg) {
    if (msg.data.starts_with("SIP/2.0")) {
      return;
    }
    const auto start = msg.data.find("Call-ID: ") + 9;
    const std::string call_id = msg.data.substr(start, msg.data.find("\r\n", start) - start);
    if (msg.protocol == Protocol::kUdp) {
      Destination d;
      d.protocol = Protocol::kUdp;
      d.remote = msg.remote;
      d.via = msg.listener;
      EXPECT_TRUE(h.transport().send_to(d, sip_response(200, call_id)).has_value());
    } else {
      EXPECT_TRUE(h.transport().send(msg.flow, sip_response(200, call_id)).has_value());
    }
  };
}

}  // namespace wimpu::transport::test
