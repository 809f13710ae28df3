// The HTTPS JWKS fetcher against a tiny Beast HTTPS server in the test, on 127.0.0.1 with a port
// from the kernel and a certificate made at test time.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <fstream>
#include <stdexcept>

#include "test_support.hpp"
#include "wimpu/http/self_signed.hpp"
#include "wimpu/token/https_jwks_fetcher.hpp"
#include "wimpu/token/key_store.hpp"

namespace wimpu::token {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

using Pem = wimpu::http::CertificatePem;

// A self-signed P-256 certificate for 127.0.0.1 (IP SAN only), valid for a day.
Pem make_certificate() {
  wimpu::http::SelfSignedOptions o;
  o.hosts = {"127.0.0.1"};
  o.common_name = "wimpu test";
  auto pem = wimpu::http::make_self_signed_certificate(o);
  if (!pem) {
    throw std::runtime_error(pem.error());
  }
  return *pem;
}

// Serves one canned response per connection. `stall` accepts TCP and then never speaks.
class TestServer {
public:
  TestServer(asio::io_context& io, const Pem& pem)
      : tls_(asio::ssl::context::tls_server), acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}) {
    tls_.use_certificate_chain(asio::buffer(pem.certificate));
    tls_.use_private_key(asio::buffer(pem.private_key), asio::ssl::context::pem);
    asio::co_spawn(io, serve(this), asio::detached);
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  std::string body;
  http::status status = http::status::ok;
  bool stall = false;
  int requests = 0;
  std::string last_target;
  std::string last_host;

private:
  static asio::awaitable<void> serve(TestServer* self) {
    for (;;) {
      auto [ec, socket] = co_await self->acceptor_.async_accept(kAwait);
      if (ec) {
        co_return;
      }
      if (self->stall) {
        self->held_.push_back(std::move(socket));
        continue;
      }
      beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), self->tls_);
      auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kAwait);
      if (hec) {
        continue;
      }
      beast::flat_buffer buffer;
      http::request<http::empty_body> req;
      auto [rec, n] = co_await http::async_read(stream, buffer, req, kAwait);
      if (rec) {
        continue;
      }
      ++self->requests;
      self->last_target = std::string(req.target());
      self->last_host = std::string(req[http::field::host]);
      http::response<http::string_body> res{self->status, 11};
      res.set(http::field::content_type, "application/jwk-set+json");
      res.body() = self->body;
      res.prepare_payload();
      co_await http::async_write(stream, res, kAwait);
      co_await stream.async_shutdown(kAwait);
    }
  }

  asio::ssl::context tls_;
  tcp::acceptor acceptor_;
  std::vector<tcp::socket> held_;
};

class HttpsFetcherTest : public ::testing::Test {
protected:
  void SetUp() override {
    pem_ = make_certificate();
    ca_path_ = dir_.path("ca.pem");
    std::ofstream(ca_path_) << pem_.certificate;
    server_ = std::make_unique<TestServer>(io_, pem_);
    key_ = *SigningKey::generate(Algorithm::kEdDSA, "k1");
    server_->body = jwks_document({key_->public_key()});
  }
  HttpsFetcherOptions options(std::string host = "127.0.0.1") const {
    HttpsFetcherOptions o;
    o.url = "https://" + host + ":" + std::to_string(server_->port()) + "/.well-known/jwks.json";
    o.ca_file = ca_path_;
    return o;
  }
  FetchResult fetch(HttpsFetcherOptions o) {
    HttpsJwksFetcher fetcher(io_.get_executor(), std::move(o));
    std::optional<FetchResult> got;
    fetcher.async_fetch([&](FetchResult r) { got = std::move(r); });
    EXPECT_TRUE(test::run_until(io_, [&] { return got.has_value(); }));
    return got.value_or(FetchResult(make_error_code(FetchErrc::kTimeout)));
  }

  asio::io_context io_;
  test::TempDir dir_;
  Pem pem_;
  std::string ca_path_;
  std::unique_ptr<TestServer> server_;
  SigningKeyPtr key_;
};

TEST_F(HttpsFetcherTest, FetchesTheDocument) {
  auto r = fetch(options());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(*r, server_->body);
  EXPECT_EQ(server_->last_target, "/.well-known/jwks.json");
  EXPECT_EQ(server_->last_host, "127.0.0.1:" + std::to_string(server_->port()));
}

TEST_F(HttpsFetcherTest, DrivesAKeyStoreRefresh) {
  auto clock = std::make_shared<common::FakeClock>();
  KeyStoreOptions o;
  o.issuer = test::kIssuer;
  auto store = KeyStore::create(o, std::make_shared<HttpsJwksFetcher>(io_.get_executor(), options()),
                                clock, io_.get_executor());
  std::optional<RefreshOutcome> got;
  store->request_refresh([&](RefreshOutcome out) { got = out; });
  ASSERT_TRUE(test::run_until(io_, [&] { return got.has_value(); }));
  EXPECT_EQ(got, RefreshOutcome::kUpdated) << store->last_error();
  EXPECT_NE(store->snapshot()->find("k1"), nullptr);
}

TEST_F(HttpsFetcherTest, RefusesAnUntrustedCertificate) {
  const Pem other = make_certificate();
  const std::string other_ca = dir_.path("other.pem");
  std::ofstream(other_ca) << other.certificate;
  auto o = options();
  o.ca_file = other_ca;
  auto r = fetch(o);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(server_->requests, 0);
}

TEST_F(HttpsFetcherTest, RefusesACertificateForAnotherHost) {
  // Same trusted certificate, but it names 127.0.0.1 only, not "localhost".
  auto r = fetch(options("localhost"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(server_->requests, 0);
}

TEST_F(HttpsFetcherTest, ReportsHttpStatusAndOversizedBodies) {
  server_->status = http::status::not_found;
  auto r = fetch(options());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), make_error_code(FetchErrc::kHttpStatus));

  server_->status = http::status::ok;
  server_->body = std::string(1000, ' ');
  auto o = options();
  o.max_body = 100;
  r = fetch(o);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), make_error_code(FetchErrc::kBodyTooLarge));
}

TEST_F(HttpsFetcherTest, TimesOutOnASilentServer) {
  server_->stall = true;
  auto o = options();
  o.timeout = 100ms;
  auto r = fetch(o);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), make_error_code(FetchErrc::kTimeout)) << r.error().message();
}

TEST(HttpsFetcherUrl, ParsesAndRefusesUrls) {
  asio::io_context io;
  HttpsJwksFetcher v6(io.get_executor(), {"https://[::1]:8443/jwks", "", 1s, 1024});
  EXPECT_EQ(v6.host(), "::1");
  EXPECT_EQ(v6.port(), "8443");
  EXPECT_EQ(v6.target(), "/jwks");
  HttpsJwksFetcher plain(io.get_executor(), {"https://wwsf.example", "", 1s, 1024});
  EXPECT_EQ(plain.port(), "443");
  EXPECT_EQ(plain.target(), "/");
  for (const char* bad : {"http://wwsf.example/jwks", "https://", "https://user@wwsf.example/",
                          "https://wwsf.example:99999/", "https://wwsf.example:0/",
                          "https://wwsf.example/a#frag", "https://wwsf.example/a b",
                          "https://[::1/jwks", "https://wwsf.example:80x/"}) {
    EXPECT_THROW(HttpsJwksFetcher(io.get_executor(), {bad, "", 1s, 1024}), std::invalid_argument)
        << bad;
  }
  EXPECT_THROW(HttpsJwksFetcher(io.get_executor(), {"https://a/", "/nonexistent/ca.pem", 1s, 1}),
               std::runtime_error);
}

}  // namespace
}  // namespace wimpu::token
