// Cx over Diameter/TLS between two processes: a test CA signs certificates for wimpu-hss and for
// this process (openssl CLI); the HSS listens on a TLS port and requires TLS; the client connects
// with TLS from the first byte (RFC 6733 §13) and verifies the HSS against the CA. Its own binary
// because freeDiameter allows one node (one TLS identity) per process.
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "process.hpp"
#include "test_data.hpp"
#include "wimpu/diameter/node.hpp"

namespace wimpu::hss {
namespace {

using namespace std::chrono_literals;
using namespace wimpu::diameter;

// A CA and a certificate for `identity` signed by it, as PEM files in `dir`.
void make_ca(const std::filesystem::path& dir) {
  ASSERT_EQ(test::run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                               "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                               (dir / "ca.key").string(), "-out", (dir / "ca.pem").string(),
                               "-days", "2", "-subj", "/CN=wimpu test CA", "-addext",
                               "basicConstraints=critical,CA:TRUE", "-addext",
                               "keyUsage=critical,keyCertSign,cRLSign"}),
            0);
}

void make_cert(const std::filesystem::path& dir, const std::string& identity) {
  const std::string base = (dir / identity).string();
  std::ofstream(base + ".ext") << "subjectAltName=DNS:" << identity
                               << "\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                               << "extendedKeyUsage=serverAuth,clientAuth\n";
  ASSERT_EQ(test::run_command({"openssl", "req", "-newkey", "ec", "-pkeyopt",
                               "ec_paramgen_curve:P-256", "-nodes", "-keyout", base + ".key",
                               "-out", base + ".csr", "-subj", "/CN=" + identity}),
            0);
  ASSERT_EQ(test::run_command({"openssl", "x509", "-req", "-in", base + ".csr", "-CA",
                               (dir / "ca.pem").string(), "-CAkey", (dir / "ca.key").string(),
                               "-CAcreateserial", "-out", base + ".pem", "-days", "2",
                               "-extfile", base + ".ext"}),
            0);
}

TEST(HssDiameterTls, LirOverTls) {
  test::TempDir dir;
  make_ca(dir.path());
  make_cert(dir.path(), "hss.example");
  make_cert(dir.path(), "icscf.example");
  const std::uint16_t plain_port = test::free_port();
  const std::uint16_t tls_port = test::free_port();
  std::ofstream(dir.path() / "subscribers.toml") << test::subscribers_toml();
  std::ofstream(dir.path() / "hss.toml")
      << "[diameter]\nidentity = \"hss.example\"\nrealm = \"example\"\nport = " << plain_port
      << "\ntls_port = " << tls_port << "\naccept_peers = [\"icscf.example\"]\nrequire_tls = true\n"
      << "state_dir = \"hss-state\"\n[diameter.tls]\ncert = \"hss.example.pem\"\n"
      << "key = \"hss.example.key\"\nca = \"ca.pem\"\n[hss]\nsubscribers = \"subscribers.toml\"\n";
  test::ChildProcess hss({WIMPU_HSS_BINARY, "--config", (dir.path() / "hss.toml").string()});
  ASSERT_TRUE(hss.wait_for_line("wimpu-hss: ready", 10s));

  boost::asio::io_context io(1);
  auto work = boost::asio::make_work_guard(io);
  std::thread io_thread([&io] { io.run(); });
  {
    NodeConfig config;
    config.identity = "icscf.example";
    config.realm = "example";
    config.peers.push_back(PeerConfig{"hss.example", "127.0.0.1", tls_port, true, "example"});
    config.tls = TlsFiles{dir.path() / "icscf.example.pem", dir.path() / "icscf.example.key",
                          dir.path() / "ca.pem"};
    config.state_dir = dir.path() / "client-state";
    auto node = DiameterNode::start(config);
    ASSERT_TRUE(node->wait_for_peer("hss.example", 10s)) << "no TLS connection to wimpu-hss";
    auto client = node->make_cx_client(io.get_executor(), CxClientOptions{"example", "", 5s});

    std::promise<CxResult<LocationInfoAnswer>> promise;
    auto future = promise.get_future();
    boost::asio::post(io, [&] {
      LocationInfoRequest lir;
      lir.public_identity = "sip:alice@example";
      client->request(std::move(lir), [&promise](CxResult<LocationInfoAnswer> r) {
        promise.set_value(std::move(r));
      });
    });
    ASSERT_EQ(future.wait_for(20s), std::future_status::ready);
    auto lia = future.get();
    ASSERT_TRUE(lia) << to_string(lia.error());
    EXPECT_EQ(lia->result, results::kErrorIdentityNotRegistered);
    client.reset();
    node.reset();  // DPR while the HSS is alive
  }
  const int status = hss.stop(SIGTERM, 10s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  work.reset();
  io.stop();
  io_thread.join();
}

}  // namespace
}  // namespace wimpu::hss
