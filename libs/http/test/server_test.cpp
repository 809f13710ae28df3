#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "test_server.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/http/client.hpp"
#include "wimpu/http/json.hpp"

namespace wimpu::http {
namespace {

using testing::RunningServer;

boost::asio::awaitable<Response> async_echo(Request req, RequestInfo info) {
  // Hop through the executor once, as a handler that offloads work would.
  co_await boost::asio::post(co_await boost::asio::this_coro::executor,
                             boost::asio::use_awaitable);
  co_return json_response(req, Status::ok,
                          {{"body", req.body()}, {"secure", info.secure},
                           {"remote", info.remote_address.to_string()}});
}

std::shared_ptr<Router> make_router() {
  auto r = std::make_shared<Router>();
  r->add(Verb::get, "/hello", [](const Request& req, const RequestInfo&) {
    Response res = make_response(req, Status::ok);
    res.set(Field::content_type, "text/plain");
    res.body() = "hello";
    return res;
  });
  r->add_async(Verb::post, "/echo", async_echo);
  r->add(Verb::get, "/throws", [](const Request&, const RequestInfo&) -> Response {
    throw std::runtime_error("handler bug");
  });
  return r;
}

class ServerTest : public ::testing::TestWithParam<bool> {};

TEST_P(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  RunningServer server(make_router(), GetParam());
  auto& accepted = common::counter("http.connection.accepted");
  const auto before = accepted.value();
  auto client = server.client();
  for (int i = 0; i < 5; ++i) {
    auto res = client->request(Verb::get, "/hello");
    ASSERT_TRUE(res) << res.error().message();
    EXPECT_EQ(res->result(), Status::ok);
    EXPECT_EQ(res->body(), "hello");
    EXPECT_TRUE(res->keep_alive());
  }
  auto res = client->request(Verb::post, "/echo", R"({"a":1})", "application/json");
  ASSERT_TRUE(res);
  const auto j = nlohmann::json::parse(res->body());
  EXPECT_EQ(j["body"], R"({"a":1})");
  EXPECT_EQ(j["secure"], GetParam());
  EXPECT_EQ(j["remote"], "127.0.0.1");
  EXPECT_EQ(accepted.value() - before, 1u);
}

TEST_P(ServerTest, NotFoundAndMethodNotAllowed) {
  RunningServer server(make_router(), GetParam());
  auto client = server.client();
  auto res = client->request(Verb::get, "/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), Status::not_found);
  res = client->request(Verb::delete_, "/hello");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), Status::method_not_allowed);
  EXPECT_EQ((*res)[Field::allow], "GET");
  res = client->request(Verb::head, "/hello");
  ASSERT_TRUE(res) << res.error().message();
  EXPECT_EQ(res->result(), Status::ok);
}

TEST_P(ServerTest, OversizedBodyIs413AndClosed) {
  ServerOptions opt;
  opt.body_limit = 100;
  RunningServer server(make_router(), GetParam(), opt);
  auto client = server.client();
  auto res = client->request(Verb::post, "/echo", std::string(101, 'x'), "application/json");
  ASSERT_TRUE(res) << res.error().message();
  EXPECT_EQ(res->result(), Status::payload_too_large);
  EXPECT_FALSE(res->keep_alive());
}

TEST_P(ServerTest, OversizedHeaderIs431) {
  ServerOptions opt;
  opt.header_limit = 512;
  RunningServer server(make_router(), GetParam(), opt);
  auto client = server.client();
  Request req{Verb::get, "/hello", 11};
  req.set("X-Big", std::string(1024, 'y'));
  auto res = client->request(std::move(req));
  ASSERT_TRUE(res) << res.error().message();
  EXPECT_EQ(res->result(), Status::request_header_fields_too_large);
}

TEST_P(ServerTest, MalformedRequestIs400) {
  RunningServer server(make_router(), GetParam());
  auto client = server.client();
  auto& malformed = common::counter("http.request.malformed");
  const auto before = malformed.value();
  auto res = client->raw("GET /hello HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
  ASSERT_TRUE(res) << res.error().message();
  EXPECT_EQ(res->result(), Status::bad_request);
  EXPECT_EQ(malformed.value() - before, 1u);
}

TEST_P(ServerTest, HandlerExceptionDoesNotKillServer) {
  RunningServer server(make_router(), GetParam());
  {
    auto client = server.client();
    EXPECT_FALSE(client->request(Verb::get, "/throws"));
  }
  auto client = server.client();
  auto res = client->request(Verb::get, "/hello");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), Status::ok);
}

TEST_P(ServerTest, SlowClientIsCutByReadTimeout) {
  ServerOptions opt;
  opt.read_timeout = std::chrono::milliseconds(150);
  RunningServer server(make_router(), GetParam(), opt);
  auto client = server.client();
  // Half a request, then wait for the server: it must close the connection on its own.
  auto res = client->raw("GET /hello HTTP/1.1\r\nHost: x\r\n");
  EXPECT_FALSE(res);
  EXPECT_TRUE(client->closed());
}

TEST_P(ServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions opt;
  opt.idle_timeout = std::chrono::milliseconds(150);
  RunningServer server(make_router(), GetParam(), opt);
  auto& timeouts = common::counter("http.connection.timeout");
  const auto before = timeouts.value();
  auto client = server.client();
  ASSERT_TRUE(client->request(Verb::get, "/hello"));
  // Nothing more is sent: the server must drop the idle connection by itself.
  EXPECT_FALSE(client->raw(""));
  EXPECT_TRUE(client->closed());
  EXPECT_EQ(timeouts.value() - before, 1u);
}

TEST_P(ServerTest, DefaultHeadersAndHookApply) {
  ServerOptions opt;
  opt.default_headers = {{"X-Content-Type-Options", "nosniff"}, {"X-Frame-Options", "DENY"}};
  RunningServer server(make_router(), GetParam(), opt,
                       [](const Request& req, const RequestInfo&, Response& res) {
                         res.set("X-Seen-Target", std::string(req.target()));
                         res.set("X-Frame-Options", "SAMEORIGIN");  // overrides the default
                       });
  auto client = server.client();
  auto res = client->request(Verb::get, "/hello?q=1");
  ASSERT_TRUE(res);
  EXPECT_EQ((*res)["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ((*res)["X-Seen-Target"], "/hello?q=1");
  EXPECT_EQ(res->count("X-Frame-Options"), 1u);  // set by the hook, so no default added
  EXPECT_EQ((*res)["X-Frame-Options"], "SAMEORIGIN");
}

INSTANTIATE_TEST_SUITE_P(PlainAndTls, ServerTest, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Tls" : "Plain"; });

TEST(Server, TlsClientWithWrongTrustAnchorFailsHandshake) {
  RunningServer server(make_router(), true);
  auto other = make_self_signed_certificate(
      {.hosts = {"other", "localhost", "127.0.0.1", "::1"}, .server_auth_only = true});
  ASSERT_TRUE(other);
  Client client("127.0.0.1", server.port(), make_client_tls_context(other->certificate));
  EXPECT_FALSE(client.request(Verb::get, "/hello"));
}

TEST(Server, BadAddressIsReported) {
  boost::asio::io_context ioc;
  ServerOptions opt;
  opt.address = "not-an-address";
  Server s(ioc, opt, make_router(), nullptr);
  EXPECT_FALSE(s.start());
}

}  // namespace
}  // namespace wimpu::http
