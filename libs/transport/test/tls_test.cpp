// TLS listener setup (src/tls.cpp) seen from a client: resumption with stateless tickets while
// the server session cache is off (TlsServerConfig::session_cache, RFC 8446 §4.6.1, RFC 5077),
// the cache when switched on, mutual TLS resumption, and records that arrive in pieces across
// the idle release and re-allocation of OpenSSL's buffers (SSL_MODE_RELEASE_BUFFERS).
//
// The client is plain OpenSSL over memory BIOs on a blocking loopback socket with a receive
// timeout, so a test can send exactly the ciphertext bytes it wants (half a record) and a bug
// fails the test instead of hanging it.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>

#include "mem_tls_client.hpp"
#include "test_support.hpp"

namespace wimpu::transport::test {
namespace {

// One request and its 200 on a fresh connection; the session for the next one (caller frees).
// The connection stays open (the client is kept) while the next one resumes: OpenSSL drops a
// cached session when its connection ends without the server's close_notify.
struct Visit {
  bool ok = false;
  bool reused = false;
  SSL_SESSION* session = nullptr;
  std::unique_ptr<MemTlsClient> client;
};
Visit visit(Harness& h, const ClientOptions& o, SSL_SESSION* resume, const std::string& call_id) {
  Visit v;
  v.client = std::make_unique<MemTlsClient>(o, resume);
  MemTlsClient& c = *v.client;
  if (!c.connect(h.endpoint(0)) || !c.send(sip_request("OPTIONS", call_id))) {
    ADD_FAILURE() << "handshake or send failed: " << ERR_reason_error_string(ERR_peek_error());
    return v;
  }
  const std::string expected = sip_response(200, call_id);
  v.ok = c.read(expected.size()) == expected;
  v.reused = c.reused();
  v.session = c.session();
  return v;
}

void expect_resumption(const TransportConfig& cfg, const ClientOptions& o, bool resumes) {
  Harness h(cfg);
  answer_requests(h);
  Visit first = visit(h, o, nullptr, "first");
  ASSERT_TRUE(first.ok);
  EXPECT_FALSE(first.reused);
  ASSERT_NE(first.session, nullptr);
  Visit second = visit(h, o, first.session, "second");
  EXPECT_TRUE(second.ok);
  EXPECT_EQ(second.reused, resumes);
  SSL_SESSION_free(first.session);
  SSL_SESSION_free(second.session);
}

TEST(TlsSession, Tls13ResumesWithATicketWhileTheSessionCacheIsOff) {
  TestCert cert;
  TransportConfig cfg;
  cfg.listeners = {tls_listener(cert)};
  expect_resumption(cfg, ClientOptions{}, true);
}

TEST(TlsSession, Tls12ResumesWithATicketWhileTheSessionCacheIsOff) {
  TestCert cert;
  TransportConfig cfg;
  cfg.listeners = {tls_listener(cert)};
  expect_resumption(cfg, ClientOptions{TLS1_2_VERSION, true, nullptr, {}}, true);
}

// A TLS 1.2 client that offers no ticket only resumes by session ID, from the server's cache.
TEST(TlsSession, Tls12WithoutTicketsResumesOnlyWithTheSessionCacheOn) {
  TestCert cert;
  const ClientOptions no_ticket{TLS1_2_VERSION, false, nullptr, {}};
  TransportConfig off;
  off.listeners = {tls_listener(cert, false)};
  expect_resumption(off, no_ticket, false);  // a full handshake, and the request still served
  TransportConfig on;
  on.listeners = {tls_listener(cert, true)};
  expect_resumption(on, no_ticket, true);
}

// With client certificates verified, OpenSSL refuses to resume a session whose session-ID
// context is empty: tls.cpp sets one, so mutual TLS clients resume with their ticket too.
TEST(TlsSession, MutualTlsResumesWithATicket) {
  TestCert cert;
  TransportConfig cfg;
  cfg.listeners = {tls_listener(cert, false, true)};
  expect_resumption(cfg, ClientOptions{TLS1_3_VERSION, true, &cert, {}}, true);
  expect_resumption(cfg, ClientOptions{TLS1_2_VERSION, true, &cert, {}}, true);
}

// SSL_MODE_RELEASE_BUFFERS frees OpenSSL's read buffer whenever a connection is idle. A record
// whose first half arrives, then nothing until the server has delivered everything before it,
// then its second half, must survive that; so must a large message after the buffers were freed
// (they are re-allocated), both ways.
TEST(TlsSession, RecordsSplitAcrossIdlePeriodsAndLargeMessagesAfterIdleArriveWhole) {
  TestCert cert;
  TransportConfig cfg;
  cfg.listeners = {tls_listener(cert)};
  cfg.limits.max_body_bytes = 256 * 1024;
  Harness h(cfg);
  MemTlsClient c(ClientOptions{}, nullptr);
  ASSERT_TRUE(c.connect(h.endpoint(0)));

  const std::string one = sip_request("MESSAGE", "one", std::string(300, 'a'));
  const std::string two = sip_request("MESSAGE", "two", std::string(500, 'b'));
  std::string wire = c.seal(one);  // two statements: the records' order is their sequence numbers
  wire += c.seal(two);
  const std::size_t cut = wire.size() - 200;  // inside the second record
  ASSERT_TRUE(c.send_raw(wire.substr(0, cut)));
  auto first = h.sink().wait_message();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->data, one);
  h.barrier();  // the shard has gone back to waiting with half a record buffered
  ASSERT_TRUE(c.send_raw(wire.substr(cut)));
  auto second = h.sink().wait_message();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->data, two);

  // Idle now (both buffers released); a message of several records each way.
  const std::string big_in = sip_request("MESSAGE", "big-in", std::string(50000, 'c'));
  ASSERT_TRUE(c.send(big_in));
  auto big = h.sink().wait_message();
  ASSERT_TRUE(big);
  EXPECT_EQ(big->data, big_in);
  const std::string big_out = sip_request("MESSAGE", "big-out", std::string(40000, 'd'));
  ASSERT_TRUE(h.transport().send(big->flow, big_out).has_value());
  EXPECT_EQ(c.read(big_out.size()), big_out);
  const std::string small_out = sip_response(200, "after");
  ASSERT_TRUE(h.transport().send(big->flow, small_out).has_value());
  EXPECT_EQ(c.read(small_out.size()), small_out);
}

}  // namespace
}  // namespace wimpu::transport::test
