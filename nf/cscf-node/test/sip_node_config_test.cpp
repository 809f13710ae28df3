// cscf_node::parse_sip_node_config, the [[listeners]]/[proxy]/[timers] parser every CSCF process
// shares: defaults, and refusals that name the entry and key ("listeners[1].port must be ...").
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "wimpu/cscf_node/sip_node.hpp"

namespace wimpu::cscf_node {
namespace {

/// The error text of parsing `text` ("" when it is accepted), without the "config: " prefix.
std::string error_of(const std::string& text) {
  try {
    parse_sip_node_config(toml::parse(text));
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    return what.rfind("config: ", 0) == 0 ? what.substr(8) : what;
  }
  return {};
}

TEST(SipNodeConfig, ListenersWithDefaults) {
  auto c = parse_sip_node_config(toml::parse(
      "[[listeners]]\n[[listeners]]\nprotocol = \"tcp\"\naddress = \"::1\"\nport = 0\n"
      "max_connections = 5\n[proxy]\nshards = 2\n"));
  ASSERT_EQ(c.transport.listeners.size(), 2u);
  EXPECT_EQ(c.transport.listeners[0].protocol, transport::Protocol::kUdp);
  EXPECT_EQ(c.transport.listeners[0].address, "127.0.0.1");
  EXPECT_EQ(c.transport.listeners[0].port, 5060);
  EXPECT_EQ(c.transport.listeners[1].protocol, transport::Protocol::kTcp);
  EXPECT_EQ(c.transport.listeners[1].address, "::1");
  EXPECT_EQ(c.transport.listeners[1].port, 0);
  EXPECT_EQ(c.transport.listeners[1].max_connections, 5u);
  EXPECT_EQ(c.shards, 2u);
  EXPECT_FALSE(c.transport.listeners[1].tls.session_cache);  // stateless tickets only
}

TEST(SipNodeConfig, TlsSessionCacheIsAListenerSwitch) {
  auto c = parse_sip_node_config(toml::parse(
      "[[listeners]]\nprotocol = \"wss\"\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n"
      "tls_session_cache = true\n"));
  ASSERT_EQ(c.transport.listeners.size(), 1u);
  EXPECT_TRUE(c.transport.listeners[0].tls.session_cache);
}

TEST(SipNodeConfig, TlsRecordLayerIsAListenerSetting) {
  auto c = parse_sip_node_config(toml::parse(
      "[[listeners]]\nprotocol = \"wss\"\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n"
      "[[listeners]]\nprotocol = \"wss\"\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n"
      "tls_record_layer = \"openssl\"\n"));
  ASSERT_EQ(c.transport.listeners.size(), 2u);
  EXPECT_EQ(c.transport.listeners[0].tls.record_layer, transport::TlsRecordLayer::kWimpu);
  EXPECT_EQ(c.transport.listeners[1].tls.record_layer, transport::TlsRecordLayer::kOpenssl);
  EXPECT_EQ(error_of("[[listeners]]\ntls_record_layer = \"kernel\"\n"),
            "listeners[0].tls_record_layer must be \"wimpu\" or \"openssl\"");
}

TEST(SipNodeConfig, RefusalsNameTheListenerAndKey) {
  const std::string two = "[[listeners]]\n[[listeners]]\n";
  EXPECT_EQ(error_of(""), "at least one [[listeners]] entry is required");
  EXPECT_EQ(error_of(two + "[[listeners]]\nport = 70000\n"),
            "listeners[2].port must be an integer in [0, 65535]");
  EXPECT_EQ(error_of(two + "prot = \"udp\"\n"),
            "listeners[1].prot is not a listener key (protocol, address, port, max_connections, "
            "cert_file, key_file, tls_session_cache, tls_record_layer)");
  EXPECT_EQ(error_of("[[listeners]]\ntls_session_cache = \"yes\"\n"),
            "listeners[0].tls_session_cache must be a boolean");
  EXPECT_EQ(error_of("[[listeners]]\naddress = \"localhost\"\n"),
            "listeners[0].address must be a numeric IPv4/IPv6 address, not 'localhost'");
  EXPECT_EQ(error_of("[[listeners]]\naddress = 127\n"), "listeners[0].address must be a string");
  EXPECT_EQ(error_of("[[listeners]]\nprotocol = \"sctp\"\n"),
            "listeners[0].protocol must be udp, tcp, tls, ws or wss, not 'sctp'");
  EXPECT_EQ(error_of("[[listeners]]\nprotocol = 5\n"),
            "listeners[0].protocol must be a string: udp, tcp, tls, ws or wss");
  EXPECT_EQ(error_of(two + "protocol = \"wss\"\nkey_file = \"k.pem\"\n"),
            "listeners[1].cert_file is required for a tls/wss listener (with cert_file and "
            "key_file)");
  EXPECT_EQ(error_of("[[listeners]]\nmax_connections = 0\n"),
            "listeners[0].max_connections must be an integer in [1, 10000000]");
  EXPECT_EQ(error_of("listeners = [3]\n"), "listeners[0] must be a table ([[listeners]])");
}

}  // namespace
}  // namespace wimpu::cscf_node
