// SIP over WebSocket through the real example proxy (in-process, real sockets on 127.0.0.1):
// a Beast WebSocket client sends REGISTER and INVITE in text and binary frames (RFC 7118 §5:
// one SIP message per WebSocket message, either frame type) to a UDP peer in the test, and
// handshakes without the `sip` subprotocol (RFC 7118 §4.1) or from a refused Origin (§7) fail.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "wimpu/common/counter.hpp"
#include "wimpu/example_proxy/server.hpp"
#include "wimpu/sip/builder.hpp"
#include "wimpu/sip/message.hpp"

namespace wimpu::example_proxy {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using asio::ip::tcp;
using asio::ip::udp;
using namespace std::chrono_literals;

constexpr auto kWait = 5s;  // upper bound for one network step; never a synchronisation sleep

std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\r\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

sip::Message parse(std::string_view bytes) {
  auto m = sip::Message::parse(bytes);
  if (!m) {
    ADD_FAILURE() << "unparseable: " << bytes;
    return {};
  }
  return std::move(*m);
}

class WsProxyTest : public ::testing::Test {
protected:
  void SetUp() override {
    peer_.open(udp::v4());
    peer_.bind(udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    ExampleConfig c;
    for (auto p : {transport::Protocol::kUdp, transport::Protocol::kWs}) {
      transport::ListenerConfig l;
      l.protocol = p;
      l.address = "127.0.0.1";
      l.port = 0;
      c.node.transport.listeners.push_back(l);
    }
    c.routes["*"] = {"sip:peer@127.0.0.1:" + std::to_string(peer_.local_endpoint().port())};
    c.allowed_origins = {"https://good.example"};
    c.node.domains = {"example.com"};  // the domain the WebSocket clients register in
    server_.emplace(std::move(c));
    server_->start();
    for (const auto& l : server_->listeners()) {
      (l.protocol == transport::Protocol::kWs ? ws_port_ : udp_port_) = l.local.port;
    }
  }

  void TearDown() override {
    server_.reset();
    if (HasFailure()) {
      for (const auto& [name, value] : common::CounterRegistry::global().snapshot()) {
        if (value != 0) {
          std::printf("counter %s = %llu\n", name.c_str(), static_cast<unsigned long long>(value));
        }
      }
    }
  }

  /// Runs the test's io_context until `done` or kWait; false on timeout.
  bool run_until(const bool& done) {
    io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(100ms);
    }
    return done;
  }

  /// Opens a WebSocket to the proxy. Returns the HTTP status of the handshake answer (101 on
  /// success).
  unsigned handshake(websocket::stream<tcp::socket>& ws, std::string_view subprotocol,
                     std::string_view origin) {
    ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), ws_port_));
    ws.set_option(websocket::stream_base::decorator([=](websocket::request_type& req) {
      if (!subprotocol.empty()) {
        req.set(http::field::sec_websocket_protocol, subprotocol);
      }
      req.set(http::field::origin, origin);
    }));
    websocket::response_type res;
    bool done = false;
    ws.async_handshake(res, "127.0.0.1", "/", [&](beast::error_code) { done = true; });
    EXPECT_TRUE(run_until(done));
    return static_cast<unsigned>(res.result_int());
  }

  void ws_send(websocket::stream<tcp::socket>& ws, const std::string& text, bool binary) {
    ws.binary(binary);
    bool done = false;
    beast::error_code ec;
    ws.async_write(asio::buffer(text), [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    ASSERT_TRUE(run_until(done));
    ASSERT_FALSE(ec) << ec.message();
  }

  /// Reads one WebSocket message (one SIP message, RFC 7118 §5).
  sip::Message ws_receive(websocket::stream<tcp::socket>& ws) {
    beast::flat_buffer buf;
    bool done = false;
    beast::error_code ec;
    ws.async_read(buf, [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    EXPECT_TRUE(run_until(done)) << "no WebSocket message";
    EXPECT_FALSE(ec) << ec.message();
    return parse(beast::buffers_to_string(buf.data()));
  }

  /// One datagram at the UDP peer.
  sip::Message udp_receive() {
    std::string buf(65536, '\0');
    bool done = false;
    std::size_t n = 0;
    peer_.async_receive_from(asio::buffer(buf), from_, [&](boost::system::error_code, std::size_t k) {
      n = k;
      done = true;
    });
    EXPECT_TRUE(run_until(done)) << "nothing reached the UDP peer";
    buf.resize(n);
    return parse(buf);
  }

  /// The UDP peer answers `req` (to where it came from, i.e. the proxy).
  void udp_answer(const sip::Message& req, int status, bool copy_rr = false) {
    // The builder keeps views: every string it is given must outlive build().
    const std::string contact =
        "<sip:peer@127.0.0.1:" + std::to_string(peer_.local_endpoint().port()) + ">";
    sip::ResponseBuilder b(req, status);
    if (status > 100) {
      b.to_tag("peer1");
    }
    if (copy_rr) {
      for (const auto& h : req.headers()) {
        if (h.id == sip::HeaderId::kRecordRoute) {
          b.header("Record-Route", h.value);
        }
      }
      b.header("Contact", contact);
    }
    const std::string bytes = b.build();
    peer_.send_to(asio::buffer(bytes), from_);
  }

  asio::io_context io_;
  udp::socket peer_{io_};
  udp::endpoint from_;
  std::optional<Server> server_;
  std::uint16_t ws_port_ = 0;
  std::uint16_t udp_port_ = 0;
};

// JsSIP-style messages: Via host *.invalid, transport WS, no Content-Length needed.
const char* kRegister =
    "REGISTER sip:example.com SIP/2.0\n"
    "Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK56sdasks;rport\n"
    "Max-Forwards: 69\n"
    "To: <sip:alice@example.com>\n"
    "From: <sip:alice@example.com>;tag=65bnmj.34asd\n"
    "Call-ID: aiuy7k9njasd\n"
    "CSeq: 1 REGISTER\n"
    "Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>;expires=300\n"
    "\n";

const char* kInvite =
    "INVITE sip:bob@example.com SIP/2.0\n"
    "Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK9hG4bKinv1\n"
    "Max-Forwards: 70\n"
    "To: <sip:bob@example.com>\n"
    "From: <sip:alice@example.com>;tag=alice1\n"
    "Call-ID: invws1\n"
    "CSeq: 1 INVITE\n"
    "Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws;ob>\n"
    "Content-Length: 0\n"
    "\n";

TEST_F(WsProxyTest, RegisterInATextFrameReachesTheUdpPeerAndTheAnswerComesBack) {
  websocket::stream<tcp::socket> ws(io_);
  ASSERT_EQ(handshake(ws, "sip", "https://good.example"), 101u);
  ws_send(ws, crlf(kRegister), /*binary=*/false);
  const sip::Message reg = udp_receive();
  ASSERT_FALSE(reg.empty());
  EXPECT_EQ(reg.method(), sip::Method::kRegister);
  ASSERT_EQ(reg.vias().size(), 2u);
  EXPECT_EQ(reg.top_via().transport, sip::Transport::kUdp);
  EXPECT_EQ(reg.vias()[1].transport, sip::Transport::kWs);
  EXPECT_EQ(reg.vias()[1].received, "127.0.0.1");  // RFC 3581 / §18.2.1
  EXPECT_TRUE(reg.vias()[1].rport.has_value());
  udp_answer(reg, 200);
  const sip::Message ok = ws_receive(ws);  // down the same WebSocket (RFC 7118 §5.3)
  EXPECT_EQ(ok.status_code(), 200);
  EXPECT_EQ(ok.cseq().method, sip::Method::kRegister);
}

TEST_F(WsProxyTest, InviteInABinaryFrameIsProxiedWithDoubleRecordRoute) {
  websocket::stream<tcp::socket> ws(io_);
  ASSERT_EQ(handshake(ws, "sip", "https://good.example"), 101u);
  ws_send(ws, crlf(kInvite), /*binary=*/true);
  EXPECT_EQ(ws_receive(ws).status_code(), 100);
  const sip::Message inv = udp_receive();
  ASSERT_EQ(inv.method(), sip::Method::kInvite);
  // WebSocket on one side, UDP on the other: two Record-Route values (RFC 5658).
  ASSERT_EQ(inv.record_routes().size(), 2u);
  EXPECT_EQ(inv.record_routes()[1].uri.transport(), "ws");
  udp_answer(inv, 180, true);
  EXPECT_EQ(ws_receive(ws).status_code(), 180);
  udp_answer(inv, 200, true);
  const sip::Message ok = ws_receive(ws);
  EXPECT_EQ(ok.status_code(), 200);
  ASSERT_EQ(ok.record_routes().size(), 2u);
  // The in-dialog ACK follows the route set (reversed Record-Route) over the WebSocket.
  std::string ack = "ACK sip:peer@127.0.0.1:" + std::to_string(peer_.local_endpoint().port()) +
                    " SIP/2.0\n"
                    "Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKack1\n"
                    "Max-Forwards: 70\n"
                    "Route: " + std::string(ok.record_routes()[1].text) + "\n" +
                    "Route: " + std::string(ok.record_routes()[0].text) + "\n" +
                    "To: <sip:bob@example.com>;tag=peer1\n"
                    "From: <sip:alice@example.com>;tag=alice1\n"
                    "Call-ID: invws1\n"
                    "CSeq: 1 ACK\n"
                    "\n";
  ws_send(ws, crlf(ack), /*binary=*/false);
  const sip::Message fwd_ack = udp_receive();
  EXPECT_EQ(fwd_ack.method(), sip::Method::kAck);
  EXPECT_TRUE(fwd_ack.routes().empty());  // both of our values were removed
}

TEST_F(WsProxyTest, HandshakeWithoutTheSipSubprotocolIsRefused) {
  websocket::stream<tcp::socket> ws(io_);
  EXPECT_EQ(handshake(ws, "", "https://good.example"), 400u);
}

TEST_F(WsProxyTest, HandshakeFromARefusedOriginIsForbidden) {
  websocket::stream<tcp::socket> ws(io_);
  EXPECT_EQ(handshake(ws, "sip", "https://evil.example"), 403u);
}

}  // namespace
}  // namespace wimpu::example_proxy
