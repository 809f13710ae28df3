// The example proxy's TOML configuration: defaults, every section, and precise errors.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "wimpu/example_proxy/config.hpp"

namespace wimpu::example_proxy {
namespace {

TEST(ExampleConfig, ParsesEverySection) {
  const ExampleConfig c = parse_config(R"(
[proxy]
shards = 2
record_route = false
domains = ["example.com"]
expected_transactions = 1000
[timers]
t1_ms = 50
timer_c_s = 200
[[listeners]]
protocol = "udp"
address = "127.0.0.1"
port = 0
[[listeners]]
protocol = "ws"
address = "::1"
port = 8080
[websocket]
allowed_origins = ["https://app.example.com"]
[[routes]]
user = "*"
targets = ["sip:127.0.0.1:5070", "sip:127.0.0.1:5071"]
)");
  EXPECT_EQ(c.node.shards, 2u);
  EXPECT_FALSE(c.node.record_route);
  EXPECT_EQ(c.node.domains, std::vector<std::string>{"example.com"});
  EXPECT_EQ(c.node.expected_transactions, 1000u);
  EXPECT_EQ(c.node.timers.t1, std::chrono::milliseconds(50));
  EXPECT_EQ(c.node.timers.sixty_four_t1(), std::chrono::milliseconds(3200));
  EXPECT_EQ(c.node.timer_c, std::chrono::seconds(200));
  ASSERT_EQ(c.node.transport.listeners.size(), 2u);
  EXPECT_EQ(c.node.transport.listeners[1].protocol, transport::Protocol::kWs);
  EXPECT_EQ(c.node.transport.listeners[1].address, "::1");
  EXPECT_EQ(c.node.transport.listeners[1].port, 8080);
  EXPECT_EQ(c.allowed_origins, std::vector<std::string>{"https://app.example.com"});
  ASSERT_EQ(c.routes.count("*"), 1u);
  EXPECT_EQ(c.routes.at("*").size(), 2u);
}

TEST(ExampleConfig, DefaultsAreTheRfcTimers) {
  const ExampleConfig c = parse_config("[[listeners]]\nprotocol = \"udp\"\n");
  EXPECT_EQ(c.node.shards, 1u);
  EXPECT_TRUE(c.node.record_route);
  EXPECT_EQ(c.node.timers.t1, std::chrono::milliseconds(500));
  EXPECT_EQ(c.node.timers.t2, std::chrono::seconds(4));
  EXPECT_EQ(c.node.timers.t4, std::chrono::seconds(5));
  EXPECT_EQ(c.node.timer_c, std::chrono::seconds(181));
  EXPECT_EQ(c.node.transport.listeners[0].port, 5060);
}

TEST(ExampleConfig, ListenerConnectionCap) {
  const ExampleConfig c = parse_config(
      "[[listeners]]\nprotocol = \"ws\"\nmax_connections = 50000\n"
      "[[listeners]]\nprotocol = \"tcp\"\n");
  EXPECT_EQ(c.node.transport.listeners[0].max_connections, 50000u);
  EXPECT_EQ(c.node.transport.listeners[1].max_connections, 10000u);  // transport's default
  EXPECT_THROW(parse_config("[[listeners]]\nmax_connections = 0\n"), std::runtime_error);
}

TEST(ExampleConfig, RejectsBadInputWithAMessage) {
  const char* bad[] = {
      "",                                                         // no listener
      "[[listeners]]\nprotocol = \"sctp\"\n",                     // unknown protocol
      "[[listeners]]\nport = 70000\n",                            // port range
      "[[listeners]]\nprotocol = \"tls\"\n",                      // TLS without certificate
      "[[listeners]]\n[[routes]]\ntargets = [\"sip:a@b\"]\n",    // route without user
      "[[listeners]]\n[[routes]]\nuser = \"x\"\ntargets = []\n",  // route without target
      "[[listeners]]\n[timers]\nt1_ms = \"fast\"\n",             // wrong type
      "[[listeners\n",                                            // TOML syntax
  };
  for (const char* text : bad) {
    EXPECT_THROW(parse_config(text), std::runtime_error) << text;
  }
  EXPECT_THROW(load_config("/nonexistent/example-proxy.toml"), std::runtime_error);
}

}  // namespace
}  // namespace wimpu::example_proxy
