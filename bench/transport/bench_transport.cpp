// Transport benchmarks (figures go to bench/RESULTS.md, never into tests):
//  - BM_StreamFramer: Content-Length framing of INVITEs on one CPU (no I/O).
//  - BM_FlowToken: flow token encode + decode (HMAC-SHA256).
//  - BM_WsRoundTrip: one WebSocket client on loopback sends a SIP message, a 1-shard NetTransport
//    echoes it down the same flow, the client reads it (latency-bound round trips).
//  - BM_WsPipelined/N: N messages in flight per iteration on one connection (throughput).
//  - BM_WssPipelined/N/L: the same over WSS (TLS 1.3, TLS_AES_128_GCM_SHA256), the server's
//    records protected by L = 0 the wimpu record layer, 1 OpenSSL (TlsServerConfig::record_layer).
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <memory>
#include <stdexcept>
#include <string>

#include "bench_cert.hpp"
#include "wimpu/transport/flow_token.hpp"
#include "wimpu/transport/net_transport.hpp"
#include "wimpu/transport/stream_framer.hpp"

namespace {
using namespace wimpu::transport;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

std::string invite(int i) {
  std::string body = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
                     "m=audio 49170 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
  return "INVITE sip:bob@example.com SIP/2.0\r\n"
         "Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK" + std::to_string(i) + "\r\n"
         "Max-Forwards: 70\r\n"
         "To: <sip:bob@example.com>\r\n"
         "From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n"
         "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
         "CSeq: 314159 INVITE\r\n"
         "Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws;ob>\r\n"
         "Route: <sip:edge.example.com;transport=ws;lr>\r\n"
         "Supported: path, outbound, gruu\r\n"
         "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
         "User-Agent: bench\r\n"
         "Content-Type: application/sdp\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

void BM_StreamFramer(benchmark::State& state) {
  std::string stream;
  for (int i = 0; i < 100; ++i) {
    stream += invite(i);
  }
  StreamFramer framer({16 * 1024, 64 * 1024});
  std::string msg;
  std::int64_t messages = 0;
  for (auto _ : state) {
    framer.feed(stream);
    while (framer.next(msg) == StreamFramer::Event::kMessage) {
      ++messages;
    }
    benchmark::DoNotOptimize(msg.data());
  }
  state.SetItemsProcessed(messages);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(stream.size()));
}
BENCHMARK(BM_StreamFramer);

void BM_FlowToken(benchmark::State& state) {
  const FlowTokenCodec codec("0123456789abcdef0123456789abcdef", 7);
  FlowId id{1, 1234, 5};
  for (auto _ : state) {
    const std::string token = codec.encode(id);
    auto back = codec.decode(token);
    benchmark::DoNotOptimize(back);
    ++id.generation;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_FlowToken);

// Echoes every message back down its own flow, on the shard.
class EchoSink final : public MessageSink {
public:
  Transport* transport = nullptr;
  void on_message(InboundMessage&& msg) override {
    (void)transport->send(msg.flow, std::move(msg.data));
  }
  void on_flow_closed(FlowId, CloseReason) override {}
};

struct WsServer {
  // `cert` non-null: a WSS listener with that certificate and record layer.
  explicit WsServer(const wimpu::bench::CertFiles* cert = nullptr,
                    TlsRecordLayer layer = TlsRecordLayer::kWimpu)
      : pool(1) {
    TransportConfig cfg;
    ListenerConfig l;
    l.protocol = Protocol::kWs;
    if (cert != nullptr) {
      l.protocol = Protocol::kWss;
      l.tls.cert_file = cert->cert;
      l.tls.key_file = cert->key;
      l.tls.record_layer = layer;
    }
    cfg.listeners = {l};
    cfg.timers.ws_ping_interval = std::chrono::milliseconds(0);
    auto t = NetTransport::create(pool, cfg);
    if (!t) {
      throw std::runtime_error(t.error().message);
    }
    transport = std::move(*t);
    sink.transport = transport.get();
    transport->start([this](ShardId) -> MessageSink& { return sink; });
    pool.start();
  }
  ~WsServer() {
    transport->stop();
    pool.stop();
    pool.join();
    transport.reset();
  }
  ShardPool pool;
  EchoSink sink;
  std::unique_ptr<NetTransport> transport;
};

struct WsBenchClient {
  explicit WsBenchClient(const Endpoint& server) : ws(ioc) {
    beast::get_lowest_layer(ws).connect(asio::ip::tcp::endpoint(server.address, server.port));
    beast::get_lowest_layer(ws).set_option(asio::ip::tcp::no_delay(true));
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::sec_websocket_protocol, "sip");
    }));
    ws.handshake("localhost", "/");
    ws.text(true);
  }
  asio::io_context ioc;
  websocket::stream<asio::ip::tcp::socket> ws;
  beast::flat_buffer buffer;
};

void BM_WsRoundTrip(benchmark::State& state) {
  WsServer server;
  WsBenchClient client(server.transport->listeners()[0].local);
  const std::string msg = invite(1);
  for (auto _ : state) {
    client.ws.write(asio::buffer(msg));
    client.ws.read(client.buffer);
    client.buffer.consume(client.buffer.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_WsRoundTrip)->UseRealTime();

// state.range(0) INVITEs written back to back on `client`'s WebSocket, then their echoes read.
template <class Client>
void run_pipelined(benchmark::State& state, Client& client) {
  const std::string msg = invite(1);
  const auto depth = state.range(0);
  for (auto _ : state) {
    for (std::int64_t i = 0; i < depth; ++i) {
      client.ws.write(asio::buffer(msg));
    }
    for (std::int64_t i = 0; i < depth; ++i) {
      client.ws.read(client.buffer);
      client.buffer.consume(client.buffer.size());
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * depth);
}

void BM_WsPipelined(benchmark::State& state) {
  WsServer server;
  WsBenchClient client(server.transport->listeners()[0].local);
  run_pipelined(state, client);
}
BENCHMARK(BM_WsPipelined)->Arg(16)->Arg(64)->UseRealTime();

struct WssBenchClient {
  explicit WssBenchClient(const Endpoint& server)
      : tls(asio::ssl::context::tls_client), ws(ioc, tls) {
    tls.set_verify_mode(asio::ssl::verify_none);
    SSL_CTX_set_ciphersuites(tls.native_handle(), "TLS_AES_128_GCM_SHA256");
    beast::get_lowest_layer(ws).connect(asio::ip::tcp::endpoint(server.address, server.port));
    beast::get_lowest_layer(ws).set_option(asio::ip::tcp::no_delay(true));
    ws.next_layer().handshake(asio::ssl::stream_base::client);
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::sec_websocket_protocol, "sip");
    }));
    ws.handshake("localhost", "/");
    ws.text(true);
  }
  asio::io_context ioc;
  asio::ssl::context tls;
  websocket::stream<asio::ssl::stream<asio::ip::tcp::socket>> ws;
  beast::flat_buffer buffer;
};

void BM_WssPipelined(benchmark::State& state) {
  wimpu::bench::CertFiles cert;
  if (!wimpu::bench::make_cert("ec", cert)) {
    state.SkipWithError("no certificate");
    return;
  }
  WsServer server(&cert, state.range(1) == 0 ? TlsRecordLayer::kWimpu : TlsRecordLayer::kOpenssl);
  WssBenchClient client(server.transport->listeners()[0].local);
  run_pipelined(state, client);
}
BENCHMARK(BM_WssPipelined)->Args({1, 0})->Args({1, 1})->Args({64, 0})->Args({64, 1})->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
