// The HTTPS JWKS fetcher against a tiny Beast HTTPS server in the test, on 127.0.0.1 with a port
// from the kernel and a certificate made at test time.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

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

#include "test_support.hpp"
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

struct Pem {
  std::string cert;
  std::string key;
};

std::string to_pem(int (*write)(BIO*, void*), void* obj) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio, obj);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

// A self-signed P-256 certificate for 127.0.0.1 (IP SAN only), valid for a day.
Pem make_certificate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("wimpu test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                                   std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  Pem pem;
  pem.cert = to_pem([](BIO* b, void* o) { return PEM_write_bio_X509(b, static_cast<X509*>(o)); }, x);
  pem.key = to_pem(
      [](BIO* b, void* o) {
        return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(o), nullptr, nullptr, 0, nullptr,
                                        nullptr);
      },
      key);
  X509_free(x);
  EVP_PKEY_free(key);
  return pem;
}

// Serves one canned response per connection. `stall` accepts TCP and then never speaks.
class TestServer {
public:
  TestServer(asio::io_context& io, const Pem& pem)
      : tls_(asio::ssl::context::tls_server), acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}) {
    tls_.use_certificate_chain(asio::buffer(pem.cert));
    tls_.use_private_key(asio::buffer(pem.key), asio::ssl::context::pem);
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
    std::ofstream(ca_path_) << pem_.cert;
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
  std::ofstream(other_ca) << other.cert;
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
