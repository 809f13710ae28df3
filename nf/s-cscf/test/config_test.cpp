#include <gtest/gtest.h>

#include <algorithm>

#include "wimpu/s_cscf/config.hpp"

namespace wimpu::s_cscf {
namespace {

Expected<ScscfConfig, ConfigError> parse(std::string_view text) {
  const toml::table root = toml::parse(text);
  return parse_s_cscf_config(*root["s_cscf"].as_table());
}

TEST(ScscfConfig, EveryKey) {
  auto c = parse(R"(
[s_cscf]
server_name = "sip:127.0.0.1:5070"
home_domains = ["example", "block.example"]
trusted_nodes = ["127.0.0.1:5090", "[::1]", "10.0.0.1"]
trusted_proxies = ["127.0.0.1:5060"]
nonce_ttl_s = 60
default_expires_s = 1800
min_expires_s = 30
max_expires_s = 3600
sweep_interval_ms = 250
[[s_cscf.icscf]]
domain = "other.example"
uri = "sip:127.0.0.1:5062"
)");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->server_name, "sip:127.0.0.1:5070");
  EXPECT_EQ(c->home_domains.size(), 2u);
  ASSERT_EQ(c->trusted_nodes.size(), 3u);
  EXPECT_EQ(c->trusted_nodes[0].host, "127.0.0.1");
  EXPECT_EQ(c->trusted_nodes[0].port, 5090);
  EXPECT_EQ(c->trusted_nodes[1].host, "::1");
  EXPECT_EQ(c->trusted_nodes[1].port, 0);
  EXPECT_EQ(c->trusted_proxies[0].port, 5060);
  ASSERT_EQ(c->icscfs.size(), 1u);
  EXPECT_EQ(c->icscfs[0].uri, "sip:127.0.0.1:5062");
  EXPECT_EQ(c->nonce_ttl.count(), 60);
  EXPECT_EQ(c->default_expires, 1800u);
  EXPECT_EQ(c->min_expires, 30u);
  EXPECT_EQ(c->max_expires, 3600u);
  EXPECT_EQ(c->sweep_interval.count(), 250);
}

TEST(ScscfConfig, Defaults) {
  auto c = parse("[s_cscf]\nserver_name = \"sip:scscf.example\"\n");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->nonce_ttl.count(), 300);
  EXPECT_EQ(c->default_expires, 3600u);
  EXPECT_EQ(c->min_expires, 60u);
  EXPECT_EQ(c->max_expires, 7200u);
  EXPECT_TRUE(c->trusted_nodes.empty());
}

TEST(ScscfConfig, ErrorsNameTheKey) {
  EXPECT_EQ(parse("[s_cscf]\n").error().key, "s_cscf.server_name");
  EXPECT_EQ(parse("[s_cscf]\nserver_name = \"sip:u@h\"\n").error().key, "s_cscf.server_name");
  EXPECT_EQ(parse("[s_cscf]\nserver_name = \"sip:h\"\nbogus = 1\n").error().key, "s_cscf.bogus");
  EXPECT_EQ(parse("[s_cscf]\nserver_name = \"sip:h\"\ntrusted_nodes = [\"1.2.3.4:x\"]\n")
                .error()
                .key,
            "s_cscf.trusted_nodes");
  EXPECT_EQ(parse("[s_cscf]\nserver_name = \"sip:h\"\nnonce_ttl_s = 0\n").error().key,
            "s_cscf.nonce_ttl_s");
  EXPECT_EQ(parse("[s_cscf]\nserver_name = \"sip:h\"\nmin_expires_s = 10\nmax_expires_s = 5\n")
                .error()
                .key,
            "s_cscf.min_expires_s");
  EXPECT_EQ(parse("[s_cscf]\nserver_name = \"sip:h\"\n[[s_cscf.icscf]]\ndomain = \"d\"\n")
                .error()
                .key,
            "s_cscf.icscf[0].uri");
  EXPECT_NE(parse("[s_cscf]\n").error().message().find("required"), std::string::npos);
}

}  // namespace
}  // namespace wimpu::s_cscf

namespace wimpu::s_cscf {
namespace {

TEST(ScscfConfig, TheExampleProcessConfigLoads) {
  const ScscfProcessConfig c = load_s_cscf_process_config(WIMPU_SOURCE_DIR "/examples/s-cscf.toml");
  EXPECT_EQ(c.s_cscf.server_name, "sip:127.0.0.1:5070");
  EXPECT_EQ(c.s_cscf.icscfs.size(), 2u);
  EXPECT_EQ(c.diameter.identity, "scscf.example");
  EXPECT_EQ(c.hss_realm, "example");
  // home_domains are the proxy's domains too (RFC 3261 §16.5: ours to route).
  EXPECT_NE(std::find(c.sip.domains.begin(), c.sip.domains.end(), "block.example"),
            c.sip.domains.end());
}

}  // namespace
}  // namespace wimpu::s_cscf
