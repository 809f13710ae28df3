// The wimpu TLS 1.3 record layer (TlsServerConfig::record_layer, src/tls_stream_records.cpp)
// against real OpenSSL clients on loopback: each TLS 1.3 suite, records split and gathered both
// ways, KeyUpdate (RFC 8446 §4.6.3), close_notify both ways (§6.1), a tampered record (§5.2,
// bad_record_mac), the record boundary at the switch, and what stays on OpenSSL.
#include <gtest/gtest.h>

#include <boost/asio/ssl/stream_base.hpp>

#include <array>
#include <memory>
#include <string>
#include <thread>

#include "../src/tls.hpp"
#include "../src/tls_stream.hpp"
#include "mem_tls_client.hpp"
#include "test_support.hpp"
#include "wimpu/common/counter.hpp"

namespace wimpu::transport::test {
namespace {

std::uint64_t records_count(const std::string& what) {
  return common::counter("transport.tls.records." + what).value();
}

ClientOptions tls13(const std::string& suites = {}) {
  ClientOptions o;
  o.ciphersuites = suites;
  return o;
}

// One request answered by answer_requests() on a fresh connection.
bool exchange(Harness& h, const ClientOptions& o, const std::string& call_id) {
  MemTlsClient c(o, nullptr);
  if (!c.connect(h.endpoint(0)) || !c.send(sip_request("OPTIONS", call_id))) {
    return false;
  }
  const std::string expected = sip_response(200, call_id);
  return c.read(expected.size()) == expected;
}

TEST(TlsRecordLayer, EachSuiteCarriesLargeAndManySmallMessagesBothWays) {
  for (const std::string suite :
       {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}) {
    SCOPED_TRACE(suite);
    TestCert cert;
    TransportConfig cfg;
    cfg.listeners = {tls_listener(cert)};
    cfg.limits.max_body_bytes = 256 * 1024;
    Harness h(cfg);
    const std::uint64_t switched = records_count("switched");
    MemTlsClient c(tls13(suite), nullptr);
    ASSERT_TRUE(c.connect(h.endpoint(0)));
    EXPECT_EQ(c.cipher(), suite);

    // Over 2^14 bytes: several records each way.
    const std::string big_in = sip_request("MESSAGE", "big-in", std::string(40000, 'c'));
    ASSERT_TRUE(c.send(big_in));
    auto big = h.sink().wait_message();
    ASSERT_TRUE(big);
    EXPECT_EQ(big->data, big_in);
    EXPECT_EQ(records_count("switched"), switched + 1);
    const std::string big_out = sip_request("MESSAGE", "big-out", std::string(50000, 'd'));
    ASSERT_TRUE(h.transport().send(big->flow, big_out).has_value());
    EXPECT_EQ(c.read(big_out.size()), big_out);

    // Many small records in one burst, and many small messages back.
    std::string wire;
    for (int i = 0; i < 100; ++i) {
      wire += c.seal(sip_request("OPTIONS", "in-" + std::to_string(i)));
    }
    ASSERT_TRUE(c.send_raw(wire));
    for (int i = 0; i < 100; ++i) {
      auto m = h.sink().wait_message();
      ASSERT_TRUE(m);
      EXPECT_EQ(m->data, sip_request("OPTIONS", "in-" + std::to_string(i)));
    }
    std::string expected;
    for (int i = 0; i < 100; ++i) {
      const std::string r = sip_response(200, "out-" + std::to_string(i));
      ASSERT_TRUE(h.transport().send(big->flow, r).has_value());
      expected += r;
    }
    EXPECT_EQ(c.read(expected.size()), expected);
  }
}

// RFC 8446 §4.6.3: the server updates its read keys at the client's KeyUpdate and, when asked,
// sends its own KeyUpdate before its next application data and updates its write keys.
TEST(TlsRecordLayer, ClientKeyUpdatesAreFollowedAndTrafficContinuesBothWays) {
  TestCert cert;
  TransportConfig cfg;
  cfg.listeners = {tls_listener(cert)};
  Harness h(cfg);
  answer_requests(h);
  const std::uint64_t updates = records_count("key_update");
  MemTlsClient c(tls13(), nullptr);
  ASSERT_TRUE(c.connect(h.endpoint(0)));
  for (int round = 0; round < 4; ++round) {
    const bool requested = round != 2;
    ASSERT_TRUE(c.key_update(requested));
    const std::string call_id = "ku-" + std::to_string(round);
    ASSERT_TRUE(c.send(sip_request("OPTIONS", call_id)));
    const std::string expected = sip_response(200, call_id);
    EXPECT_EQ(c.read(expected.size()), expected);
  }
  EXPECT_EQ(records_count("key_update"), updates + 4);
  EXPECT_EQ(c.key_updates_received(), 3);  // one per update_requested
}

TEST(TlsRecordLayer, ClientCloseNotifyEndsTheFlow) {
  TestCert cert;
  TransportConfig cfg;
  cfg.listeners = {tls_listener(cert)};
  Harness h(cfg);
  MemTlsClient c(tls13(), nullptr);
  ASSERT_TRUE(c.connect(h.endpoint(0)));
  ASSERT_TRUE(c.send(sip_request("OPTIONS", "bye")));
  auto m = h.sink().wait_message();
  ASSERT_TRUE(m);
  ASSERT_TRUE(c.send_close_notify());
  EXPECT_TRUE(h.sink().wait_close(m->flow));
}

// RFC 8446 §5.2: a record whose tag does not verify ends the connection with a fatal
// bad_record_mac alert, counted.
TEST(TlsRecordLayer, TamperedRecordIsAnsweredWithBadRecordMacAndClosed) {
  TestCert cert;
  TransportConfig cfg;
  cfg.listeners = {tls_listener(cert)};
  Harness h(cfg);
  const std::uint64_t bad = records_count("bad_record_mac");
  MemTlsClient c(tls13(), nullptr);
  ASSERT_TRUE(c.connect(h.endpoint(0)));
  ASSERT_TRUE(c.send(sip_request("OPTIONS", "fine")));
  auto m = h.sink().wait_message();
  ASSERT_TRUE(m);
  std::string record = c.seal(sip_request("OPTIONS", "tampered"));
  record[20] = static_cast<char>(record[20] ^ 0x40);
  ASSERT_TRUE(c.send_raw(record));
  EXPECT_EQ(c.read_until_end(), SSL_R_SSLV3_ALERT_BAD_RECORD_MAC);
  EXPECT_TRUE(h.sink().wait_close(m->flow));
  EXPECT_EQ(records_count("bad_record_mac"), bad + 1);
  EXPECT_FALSE(h.sink().wait_message(std::chrono::milliseconds(0)));
}

// The client's first application data leaves in the same send() as its Finished: OpenSSL must
// have consumed the Finished only, and the record layer reads the data that follows.
TEST(TlsRecordLayer, DataInTheFlightOfTheClientFinishedIsReadAfterTheSwitch) {
  TestCert cert;
  TransportConfig cfg;
  cfg.listeners = {tls_listener(cert)};
  Harness h(cfg);
  answer_requests(h);
  const std::uint64_t switched = records_count("switched");
  const std::uint64_t read_boundary = records_count("openssl_read_boundary");
  MemTlsClient c(tls13(), nullptr);
  ASSERT_TRUE(c.connect(h.endpoint(0), sip_request("OPTIONS", "first-flight")));
  const std::string expected = sip_response(200, "first-flight");
  EXPECT_EQ(c.read(expected.size()), expected);
  EXPECT_EQ(records_count("switched"), switched + 1);
  EXPECT_EQ(records_count("openssl_read_boundary"), read_boundary);
}

TEST(TlsRecordLayer, Tls12SessionCacheAndTheOpensslSettingStayOnOpenssl) {
  TestCert cert;
  // The counters are process-wide: compare with their values before this test, so that the test
  // holds when the whole binary runs in one process, not only one test per process (ctest).
  const std::uint64_t switched = records_count("switched");
  const std::uint64_t tls12_streams = records_count("openssl_tls12");
  {
    TransportConfig cfg;
    cfg.listeners = {tls_listener(cert)};
    Harness h(cfg);
    answer_requests(h);
    ClientOptions tls12;
    tls12.max_version = TLS1_2_VERSION;
    EXPECT_TRUE(exchange(h, tls12, "tls12"));
    EXPECT_EQ(records_count("openssl_tls12"), tls12_streams + 1);
  }
  for (const ListenerConfig& l :
       {tls_listener(cert, true), tls_listener(cert, false, false, TlsRecordLayer::kOpenssl)}) {
    TransportConfig cfg;
    cfg.listeners = {l};
    Harness h(cfg);
    answer_requests(h);
    EXPECT_TRUE(exchange(h, tls13(), "openssl"));
  }
  EXPECT_EQ(records_count("switched"), switched);
}

// A server-side TlsStream over a loopback socket, for the tests that drive it directly (no
// connection above it): the listener's TLS context, the acceptor, and the stream it accepts.
struct ServerStream {
  static Expected<std::unique_ptr<boost::asio::ssl::context>, StartupError> server_tls(
      const TestCert& cert) {
    TlsServerConfig sc;
    sc.cert_file = cert.cert_file();
    sc.key_file = cert.key_file();
    return detail::make_server_tls(sc);
  }
  Endpoint endpoint() const {
    return Endpoint{acceptor.local_endpoint().address(), acceptor.local_endpoint().port()};
  }
  // Accepts one connection and runs the server handshake; null (with a test failure) if the
  // handshake fails or the stream did not move to the wimpu record layer.
  std::unique_ptr<detail::TlsStream> accept() {
    detail::Socket socket(io.get_executor());
    acceptor.accept(socket);
    auto s = std::make_unique<detail::TlsStream>(std::move(socket), **ctx);
    detail::error_code hs;
    s->async_handshake(boost::asio::ssl::stream_base::server,
                       [&](detail::error_code ec) { hs = ec; });
    io.run();
    io.restart();
    EXPECT_FALSE(hs) << hs.message();
    EXPECT_TRUE(s->wimpu_records());
    if (hs || !s->wimpu_records()) {
      return nullptr;
    }
    return s;
  }

  TestCert cert;
  Expected<std::unique_ptr<boost::asio::ssl::context>, StartupError> ctx = server_tls(cert);
  boost::asio::io_context io;
  detail::Acceptor acceptor{io.get_executor(),
                            detail::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)};
};

// TlsStream itself: async_shutdown sends a close_notify the client reads as such, and the
// client's close_notify reads as asio::error::eof (as asio::ssl::stream reports it).
TEST(TlsRecordLayer, StreamShutdownSendsCloseNotifyAndThePeersReadsAsEof) {
  namespace asio = boost::asio;
  ServerStream server;
  ASSERT_TRUE(server.ctx.has_value());
  asio::io_context& io = server.io;
  const Endpoint ep = server.endpoint();

  int client_end = 0;
  std::string client_got;
  std::thread client([&] {
    MemTlsClient c(tls13(), nullptr);
    if (c.connect(ep) && c.send("hello")) {
      client_end = c.read_until_end(&client_got);
      c.send_close_notify();
    }
  });
  const std::unique_ptr<detail::TlsStream> s = server.accept();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->native_handle(), nullptr);

  std::array<char, 64> buf{};
  std::size_t got = 0;
  detail::error_code rd;
  s->async_read_some(asio::buffer(buf), [&](detail::error_code ec, std::size_t n) {
    rd = ec;
    got = n;
  });
  io.run();
  io.restart();
  ASSERT_FALSE(rd);
  EXPECT_EQ(std::string(buf.data(), got), "hello");

  const std::string reply = "world";
  std::size_t wrote = 0;
  s->async_write_some(asio::buffer(reply), [&](detail::error_code, std::size_t n) { wrote = n; });
  io.run();
  io.restart();
  EXPECT_EQ(wrote, reply.size());
  detail::error_code sd{asio::error::would_block};
  s->async_shutdown([&](detail::error_code ec) { sd = ec; });
  io.run();
  io.restart();
  EXPECT_FALSE(sd);
  s->async_read_some(asio::buffer(buf), [&](detail::error_code ec, std::size_t) { rd = ec; });
  io.run();
  client.join();
  EXPECT_EQ(client_got, reply);
  EXPECT_EQ(client_end, SSL_ERROR_ZERO_RETURN);
  EXPECT_EQ(rd, asio::error::eof);
}

// RFC 8446 §6.2: a KeyUpdate of ours that cannot be sealed or whose write keys cannot be updated
// is an internal_error: counted, the write fails with it, and the stream is over both ways.
TEST(TlsRecordLayer, KeyUpdateThatFailsIsAnInternalErrorAndEndsTheStream) {
  namespace asio = boost::asio;
  ServerStream server;
  ASSERT_TRUE(server.ctx.has_value());
  asio::io_context& io = server.io;
  const Endpoint ep = server.endpoint();

  std::string client_got;
  std::thread client([&] {
    MemTlsClient c(tls13(), nullptr);
    if (c.connect(ep)) {
      c.read_until_end(&client_got);  // until the server closes the socket
    }
  });
  std::unique_ptr<detail::TlsStream> s = server.accept();
  ASSERT_NE(s, nullptr);

  const std::uint64_t internal = records_count("internal_error");
  s->fail_next_key_update_for_test();
  const std::string text = "never sent";
  detail::error_code wr;
  std::size_t wrote = 1;
  s->async_write_some(asio::buffer(text), [&](detail::error_code ec, std::size_t n) {
    wr = ec;
    wrote = n;
  });
  io.run();
  io.restart();
  EXPECT_EQ(wrote, 0u);
  EXPECT_EQ(wr.category(), asio::error::get_ssl_category());
  EXPECT_EQ(ERR_GET_REASON(static_cast<unsigned long>(wr.value())), ERR_R_INTERNAL_ERROR);
  EXPECT_EQ(records_count("internal_error"), internal + 1);

  std::array<char, 16> buf{};
  detail::error_code rd;
  s->async_read_some(asio::buffer(buf), [&](detail::error_code ec, std::size_t) { rd = ec; });
  io.run();
  EXPECT_EQ(rd, wr);  // nothing more is received either
  s.reset();          // closes the socket: the client's read ends
  client.join();
  EXPECT_EQ(client_got, "");
}

}  // namespace
}  // namespace wimpu::transport::test
