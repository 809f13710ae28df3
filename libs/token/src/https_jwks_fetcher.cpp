#include "wimpu/token/https_jwks_fetcher.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <charconv>
#include <stdexcept>

#include "wimpu/common/counter.hpp"

namespace wimpu::token {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Splits https://host[:port]/path. Refuses userinfo (credentials in a URL end up in logs), a
// fragment, and anything that is not plain printable ASCII.
void parse_url(const std::string& url, std::string& host, std::string& port, std::string& target) {
  constexpr std::string_view kScheme = "https://";
  for (const char c : url) {
    if (c <= ' ' || c >= 0x7f || c == '#') {
      throw std::invalid_argument("JWKS URL has a forbidden character: " + url);
    }
  }
  if (url.rfind(kScheme, 0) != 0) {
    throw std::invalid_argument("JWKS URL must be https://: " + url);
  }
  const std::string_view rest = std::string_view(url).substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    throw std::invalid_argument("JWKS URL has no host or has userinfo: " + url);
  }
  std::string_view port_text;
  if (authority.front() == '[') {  // RFC 3986 §3.2.2 IPv6 literal
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      throw std::invalid_argument("JWKS URL: bad IPv6 literal: " + url);
    }
    host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      throw std::invalid_argument("JWKS URL: bad authority: " + url);
    }
    port_text = after.empty() ? after : after.substr(1);
  } else {
    const std::size_t colon = authority.find(':');
    host = std::string(authority.substr(0, colon));
    port_text = colon == std::string_view::npos ? std::string_view() : authority.substr(colon + 1);
  }
  if (host.empty()) {
    throw std::invalid_argument("JWKS URL has no host: " + url);
  }
  if (port_text.empty()) {
    port = "443";
    return;
  }
  unsigned value = 0;
  const auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (r.ec != std::errc() || r.ptr != port_text.data() + port_text.size() || value == 0 ||
      value > 65535) {
    throw std::invalid_argument("JWKS URL: bad port: " + url);
  }
  port = std::to_string(value);
}

}  // namespace

// Everything one fetch owns. Lives in a shared_ptr held by the coroutine frame (passed by value:
// no reference outlives a suspension) and by the resolve timer's handler.
struct HttpsJwksFetcher::Request {
  Request(asio::strand<asio::any_io_executor> s, std::shared_ptr<asio::ssl::context> t)
      : strand(s), tls(std::move(t)), resolver(s), stream(s, *tls), timer(s) {}

  asio::strand<asio::any_io_executor> strand;
  std::shared_ptr<asio::ssl::context> tls;  // outlives `stream`, which refers to it
  asio::ip::tcp::resolver resolver;
  beast::ssl_stream<beast::tcp_stream> stream;
  asio::steady_timer timer;
  bool timed_out = false;
};

namespace {

error_code timeout_or(const error_code& ec, bool timed_out) {
  if (timed_out || ec == beast::error::timeout) {
    return make_error_code(FetchErrc::kTimeout);
  }
  return ec;
}

}  // namespace

HttpsJwksFetcher::HttpsJwksFetcher(asio::any_io_executor executor, HttpsFetcherOptions options)
    : executor_(std::move(executor)), options_(std::move(options)) {
  parse_url(options_.url, host_, port_, target_);
  tls_ = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(tls_->native_handle(), TLS1_2_VERSION);
  tls_->set_verify_mode(asio::ssl::verify_peer);
  if (options_.ca_file.empty()) {
    tls_->set_default_verify_paths();
  } else {
    error_code ec;
    tls_->load_verify_file(options_.ca_file, ec);
    if (ec) {
      throw std::runtime_error("JWKS fetcher: cannot load CA file " + options_.ca_file + ": " +
                               ec.message());
    }
  }
}

HttpsJwksFetcher::~HttpsJwksFetcher() = default;

namespace {

// One GET. A named coroutine with by-value parameters (STYLE.md "Coroutines"): the frame owns the
// request state, so nothing it uses can dangle across a co_await.
template <class Request>
asio::awaitable<FetchResult> fetch_once(std::shared_ptr<Request> rq, std::string host,
                                        std::string port, std::string target,
                                        HttpsFetcherOptions options) {
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  // The resolver has no deadline of its own: a timer cancels it.
  rq->timer.expires_at(deadline);
  rq->timer.async_wait([rq](const error_code& ec) {
    if (!ec) {
      rq->timed_out = true;
      rq->resolver.cancel();
      beast::get_lowest_layer(rq->stream).close();
    }
  });
  auto [rec, endpoints] = co_await rq->resolver.async_resolve(host, port, kUseAwaitable);
  if (rec) {
    co_return timeout_or(rec, rq->timed_out);
  }
  auto& tcp = beast::get_lowest_layer(rq->stream);
  tcp.expires_at(deadline);  // Beast closes the socket and fails the pending op at the deadline
  auto [cec, ep] = co_await tcp.async_connect(endpoints, kUseAwaitable);
  if (cec) {
    co_return timeout_or(cec, rq->timed_out);
  }
  if (!is_ip_literal(host) &&
      // SSL_set_tlsext_host_name() is a macro with a C cast; this is its expansion.
      SSL_ctrl(rq->stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               host.data()) != 1) {
    co_return error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
  }
  rq->stream.set_verify_callback(asio::ssl::host_name_verification(host));
  auto [hec] = co_await rq->stream.async_handshake(asio::ssl::stream_base::client, kUseAwaitable);
  if (hec) {
    co_return timeout_or(hec, rq->timed_out);
  }
  http::request<http::empty_body> req{http::verb::get, target, 11};
  const bool v6 = host.find(':') != std::string::npos;
  const std::string authority = (v6 ? "[" + host + "]" : host) + (port == "443" ? "" : ":" + port);
  req.set(http::field::host, authority);
  req.set(http::field::user_agent, "wimpu-jwks-fetcher");
  req.set(http::field::accept, "application/jwk-set+json, application/json");
  req.set(http::field::connection, "close");
  auto [wec, written] = co_await http::async_write(rq->stream, req, kUseAwaitable);
  if (wec) {
    co_return timeout_or(wec, rq->timed_out);
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_body);
  parser.header_limit(16 * 1024);
  auto [rdec, read] = co_await http::async_read(rq->stream, buffer, parser, kUseAwaitable);
  rq->timer.cancel();
  if (rdec == http::error::body_limit) {
    co_return make_error_code(FetchErrc::kBodyTooLarge);
  }
  if (rdec) {
    co_return timeout_or(rdec, rq->timed_out);
  }
  if (parser.get().result() != http::status::ok) {
    co_return make_error_code(FetchErrc::kHttpStatus);
  }
  // No TLS close_notify exchange: the body is length-delimited, and waiting for the peer's
  // close_notify would only add a round trip (and a hang on servers that never send it).
  error_code ignored;
  tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  co_return std::move(parser.get().body());
}

}  // namespace

void HttpsJwksFetcher::async_fetch(Callback done) {
  static common::Counter& failures = common::counter("token.jwks.https_fetch_failed");
  auto strand = asio::make_strand(executor_);
  auto rq = std::make_shared<Request>(strand, tls_);
  asio::co_spawn(strand, fetch_once(rq, host_, port_, target_, options_),
                 [done = std::move(done), rq](std::exception_ptr ep, FetchResult r) mutable {
                   rq->timer.cancel();
                   if (ep) {
                     // Only std::bad_alloc can get here (I/O errors come back as codes).
                     r = error_code(ENOMEM, boost::system::generic_category());
                   }
                   if (!r) {
                     failures.inc();
                   }
                   done(std::move(r));
                 });
}

}  // namespace wimpu::token
