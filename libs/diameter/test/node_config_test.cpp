#include <gtest/gtest.h>

#include "wimpu/diameter/node_config.hpp"

namespace wimpu::diameter {
namespace {

NodeConfig base() {
  NodeConfig c;
  c.identity = "icscf.example";
  c.realm = "example";
  c.port = 3901;
  c.state_dir = "/tmp/x";
  return c;
}

TEST(NodeConfig, RendersFreeDiameterConf) {
  NodeConfig c = base();
  c.peers.push_back(PeerConfig{"hss.example", "127.0.0.1", 3902, false, "example"});
  c.peers.push_back(PeerConfig{"hss2.example", "127.0.0.1", 3903, true, ""});
  c.tc_timer = std::chrono::seconds(1);
  c.extensions.push_back("/usr/lib/freeDiameter/dbg_msg_dumps.fdx");
  const std::string text =
      render_freediameter_conf(c, TlsFiles{"/s/cert.pem", "/s/key.pem", "/s/ca.pem"});
  EXPECT_NE(text.find("Identity = \"icscf.example\";\n"), std::string::npos);
  EXPECT_NE(text.find("Realm = \"example\";\n"), std::string::npos);
  EXPECT_NE(text.find("Port = 3901;\n"), std::string::npos);
  EXPECT_NE(text.find("SecPort = 0;\n"), std::string::npos);
  EXPECT_NE(text.find("No_SCTP;\n"), std::string::npos);
  EXPECT_NE(text.find("No_IPv6;\n"), std::string::npos);
  EXPECT_NE(text.find("NoRelay;\n"), std::string::npos);
  EXPECT_NE(text.find("TcTimer = 1;\n"), std::string::npos);
  EXPECT_NE(text.find("TLS_Cred = \"/s/cert.pem\", \"/s/key.pem\";\n"), std::string::npos);
  EXPECT_NE(text.find("TLS_CA = \"/s/ca.pem\";\n"), std::string::npos);
  EXPECT_NE(text.find("LoadExtension = \"/usr/lib/freeDiameter/dbg_msg_dumps.fdx\";\n"),
            std::string::npos);
  EXPECT_NE(text.find("ConnectPeer = \"hss.example\" { ConnectTo = \"127.0.0.1\"; Port = 3902; "
                      "No_TLS; Realm = \"example\"; };\n"),
            std::string::npos);
  EXPECT_NE(text.find("ConnectPeer = \"hss2.example\" { ConnectTo = \"127.0.0.1\"; Port = 3903; };"),
            std::string::npos);
  // freeDiameter ignores loopback ListenOn: the node adds the endpoint itself.
  EXPECT_EQ(text.find("ListenOn ="), std::string::npos);
}

TEST(NodeConfig, IPv6KeepsIPv6Enabled) {
  NodeConfig c = base();
  c.listen_address = "::1";
  EXPECT_EQ(validate(c), "");
  EXPECT_EQ(render_freediameter_conf(c, TlsFiles{"/c", "/k", "/a"}).find("No_IPv6"),
            std::string::npos);
}

TEST(NodeConfig, ValidateRejectsWhatFreeDiameterWouldMishandle) {
  EXPECT_EQ(validate(base()), "");
  NodeConfig c = base();
  c.identity = "bad identity";
  EXPECT_NE(validate(c), "");
  c = base();
  c.listen_address = "localhost";
  EXPECT_NE(validate(c), "");
  c = base();
  c.tw_timer = std::chrono::seconds(5);
  EXPECT_NE(validate(c), "");
  c = base();
  c.state_dir = "/tmp/\"x";
  EXPECT_NE(validate(c), "");
  c = base();
  c.peers.push_back(PeerConfig{"hss.example", "127.0.0.1", 0, false, ""});
  EXPECT_NE(validate(c), "");
  c = base();
  c.accept_peers = {"*", "scscf.example"};
  EXPECT_EQ(validate(c), "");
  c.accept_peers = {"a b"};
  EXPECT_NE(validate(c), "");
  c = base();
  c.log_level = "chatty";
  EXPECT_NE(validate(c), "");
}

}  // namespace
}  // namespace wimpu::diameter
