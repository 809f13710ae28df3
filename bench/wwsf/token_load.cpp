// bench_wwsf_token: HTTPS keep-alive load client for POST /api/token. Logs in once, then keeps
// --connections TLS connections busy (one request in flight each) for --seconds on one thread,
// and prints the rate of 200 answers. Meant to be pinned to one core with the WWSF on the other
// (bench/wwsf/run.sh).
#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "wimpu/http/client.hpp"
#include "wimpu/http/tls.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
using namespace wimpu::http;
using Clock = std::chrono::steady_clock;

struct Stats {
  std::uint64_t ok = 0;
  std::uint64_t errors = 0;
  std::uint64_t connections = 0;  ///< TLS connections opened (the server closes after N requests).
};

// One connection: connect, handshake, then requests until the server answers "Connection: close"
// (libs/http closes after max_requests_per_connection, as production servers do) or time is up;
// then a new connection, as a browser would. Parameters by value: the coroutine frame owns them.
asio::awaitable<void> run_connection(asio::ip::tcp::endpoint ep,
                                     std::shared_ptr<asio::ssl::context> tls, Request req,
                                     Clock::time_point until, Stats* stats) {
  auto ex = co_await asio::this_coro::executor;
  while (Clock::now() < until) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(ex), *tls);
    auto [cec] = co_await beast::get_lowest_layer(stream).async_connect(
        ep, asio::as_tuple(asio::use_awaitable));
    if (cec) {
      ++stats->errors;
      co_return;
    }
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client,
                                                 asio::as_tuple(asio::use_awaitable));
    if (hec) {
      ++stats->errors;
      co_return;
    }
    ++stats->connections;
    beast::flat_buffer buffer;
    bool keep_alive = true;
    while (keep_alive && Clock::now() < until) {
      auto [wec, wn] =
          co_await bhttp::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
      Response res;
      auto [rec, rn] =
          co_await bhttp::async_read(stream, buffer, res, asio::as_tuple(asio::use_awaitable));
      if (wec || rec) {
        ++stats->errors;
        co_return;
      }
      if (res.result() == Status::ok) {
        ++stats->ok;
      } else {
        ++stats->errors;
      }
      keep_alive = res.keep_alive();
    }
  }
}

int main(int argc, char** argv) {
  std::uint16_t port = 0;
  std::string user = "bench";
  std::string password = "bench-pw";
  unsigned connections = 8;
  double seconds = 10;
  CLI::App app{"bench_wwsf_token: POST /api/token rate over HTTPS keep-alive"};
  app.add_option("--port", port, "WWSF port on 127.0.0.1")->required();
  app.add_option("--user", user)->capture_default_str();
  app.add_option("--password", password)->capture_default_str();
  app.add_option("--connections", connections)->capture_default_str();
  app.add_option("--seconds", seconds)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const std::string host = "127.0.0.1:" + std::to_string(port);
  const std::string origin = "https://" + host;
  auto tls = make_client_tls_context("");  // Loopback benchmark against a throw-away cert.

  // Log in once; every connection then presents the same session cookie and CSRF token.
  Client login("127.0.0.1", port, tls);
  Request lr{Verb::post, "/api/login", 11};
  lr.set(Field::host, host);
  lr.set(Field::origin, origin);
  lr.set(Field::content_type, "application/json");
  lr.body() = nlohmann::json{{"username", user}, {"password", password}}.dump();
  auto lres = login.request(lr);
  if (!lres || lres->result() != Status::ok) {
    std::cerr << "login failed\n";
    return 1;
  }
  const std::string set_cookie((*lres)[Field::set_cookie]);
  const std::string csrf = nlohmann::json::parse(lres->body())["csrf_token"];

  Request req{Verb::post, "/api/token", 11};
  req.set(Field::host, host);
  req.set(Field::origin, origin);
  req.set(Field::cookie, set_cookie.substr(0, set_cookie.find(';')));
  req.set("X-CSRF-Token", csrf);
  req.keep_alive(true);
  req.prepare_payload();

  asio::io_context ioc(1);
  Stats stats;
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(seconds));
  const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
  for (unsigned i = 0; i < connections; ++i) {
    asio::co_spawn(ioc, run_connection(ep, tls, req, until, &stats), asio::detached);
  }
  ioc.run();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("tokens_ok=%llu errors=%llu connections=%llu seconds=%.2f tokens_per_s=%.1f\n",
              static_cast<unsigned long long>(stats.ok),
              static_cast<unsigned long long>(stats.errors),
              static_cast<unsigned long long>(stats.connections), elapsed,
              static_cast<double>(stats.ok) / elapsed);
  return stats.errors == 0 ? 0 : 1;
}
