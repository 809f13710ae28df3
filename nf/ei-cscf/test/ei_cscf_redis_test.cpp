// The standalone wimpu-ei-cscf with the redis W4 backend: a real redis-server, wimpu-hss over
// real Diameter, and this test as the eP-CSCF (it writes a binding into the W4 Redis), the UE and
// a fake S-CSCF (UDP sockets). An IMPU the eP-CSCF allocated is forwarded; a free one is 480.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <fstream>
#include <future>

#include "process.hpp"
#include "redis_server.hpp"
#include "udp_ue.hpp"
#include "wimpu/hss/subscriber_store.hpp"
#include "wimpu/registrar/redis_registrar.hpp"

namespace wimpu::ei_cscf {
namespace {

using namespace std::chrono_literals;
namespace ht = wimpu::hss::test;
namespace asio = boost::asio;
using test::UdpUe;

registrar::BlockConfig block() {
  registrar::BlockConfig b;
  b.id = "b1";
  b.domains = {"block.example"};
  b.range_first = "+15550000100";
  b.range_last = "+15550000199";
  return b;
}

/// Registers one contact for a web identity in the W4 Redis, as the eP-CSCF does; returns the IMPU.
std::string allocate(std::uint16_t redis_port) {
  asio::io_context io;
  registrar::RedisOptions o;
  o.port = redis_port;
  registrar::RedisRegistrar w4(io.get_executor(),
                               std::make_shared<registrar::BlockSet>(
                                   std::vector<registrar::BlockConfig>{block()}),
                               o);
  registrar::RegisterRequest r;
  r.block = "b1";
  r.identity = {"https://wwsf.example", "wic1"};
  registrar::ContactUpdate u;
  u.contact.uri = "sip:wic1@client.invalid;transport=ws";
  u.contact.call_id = "reg1";
  u.contact.cseq = 1;
  u.expires_s = 600;
  r.contacts.push_back(u);
  auto done = asio::co_spawn(io, w4.register_contacts(std::move(r)), asio::use_future);
  // The connection keeps the io_context busy (reconnect timer): run until the answer is in.
  while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    io.run_one();
  }
  auto res = done.get();
  EXPECT_TRUE(res) << (res ? "" : std::string(registrar::to_string(res.error())));
  return res ? res->impu : std::string();
}

TEST(EiCscfRedis, AnImpuTheEpCscfAllocatedInRedisIsForwardedAFreeOneIs480) {
  registrar::testing::RedisServer redis;
  ht::TempDir dir;
  UdpUe scscf(0);  // the fake S-CSCF: the HSS offers it through Server-Capabilities (LIA 2003)
  const std::uint16_t hss_port = ht::free_port();
  const std::uint16_t sip_port = ht::free_port();
  std::ofstream(dir.path() / "subscribers.toml")
      << "[capabilities]\nserver_names = [\"sip:127.0.0.1:" << scscf.port() << "\"]\n"
      << "[[subscriber]]\nimpi = \"block@block.example\"\nrealm = \"block.example\"\n"
      << "ha1 = \"" << hss::digest_ha1("block@block.example", "block.example", "s") << "\"\n"
      << "unregistered_services = true\n[[subscriber.implicit_set]]\n"
      << "public_identities = [\"sip:+15550000000@block.example\", "
         "\"sip:+1555000!.*!@block.example\"]\n";
  std::ofstream(dir.path() / "hss.toml")
      << "[diameter]\nidentity = \"hss.example\"\nrealm = \"example\"\nport = " << hss_port
      << "\naccept_peers = [\"icscf.example\"]\nstate_dir = \"hss-state\"\n"
      << "[hss]\nsubscribers = \"subscribers.toml\"\n";
  std::ofstream(dir.path() / "icscf.toml")
      << "[[listeners]]\nprotocol = \"udp\"\naddress = \"127.0.0.1\"\nport = " << sip_port
      << "\n[proxy]\ndomains = [\"example\", \"block.example\"]\n"
      << "[ei_cscf]\nwimpu_domains = [\"block.example\"]\n"
      << "[w4]\nbackend = \"redis\"\n[w4.redis]\nport = " << redis.port() << "\n"
      << "[[blocks]]\nid = \"b1\"\ndomains = [\"block.example\"]\n"
      << "range_first = \"+15550000100\"\nrange_last = \"+15550000199\"\n"
      << "[hss]\nrealm = \"example\"\ntimeout_ms = 1000\n"
      << "[diameter]\nidentity = \"icscf.example\"\nrealm = \"example\"\n"
      << "state_dir = \"icscf-state\"\ntc_timer = 1\n[[diameter.peer]]\n"
      << "identity = \"hss.example\"\naddress = \"127.0.0.1\"\nport = " << hss_port << "\n";
  ht::ChildProcess hss({WIMPU_HSS_BINARY, "--config", (dir.path() / "hss.toml").string()});
  ASSERT_TRUE(hss.wait_for_line("wimpu-hss: ready", 10s));
  ht::ChildProcess icscf({WIMPU_EI_CSCF_BINARY, "--config", (dir.path() / "icscf.toml").string()});
  ASSERT_TRUE(icscf.wait_for_line("listening", 10s));

  const std::string impu = allocate(redis.port());
  ASSERT_FALSE(impu.empty());
  UdpUe ue(sip_port);
  // A free IMPU of the block: 480 from the W4 check alone (no HSS needed).
  int n = 0;
  EXPECT_EQ(ue.invite("sip:+15550000150@block.example", ++n), 480);
  // Until the CER/CEA exchange is done the LIR fails with 503; an unknown user then gets 404.
  int code = 503;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (code == 503 && std::chrono::steady_clock::now() < deadline) {
    code = ue.invite("sip:carol@example", ++n);
  }
  EXPECT_EQ(code, 404);
  // The allocated IMPU: W4 says registered -> LIR (2003 through the wildcard) -> the S-CSCF.
  ue.invite(impu, ++n, 0ms);
  auto fwd = scscf.expect("INVITE " + impu + " SIP/2.0", 5s);
  ASSERT_TRUE(fwd);
  EXPECT_NE(fwd->find("P-Profile-Key: <sip:+1555000!.*!@block.example>"), std::string::npos)
      << *fwd;
  EXPECT_NE(fwd->find(";lr>"), std::string::npos);  // the pre-loaded Route to the S-CSCF
  const int st = icscf.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
}

}  // namespace
}  // namespace wimpu::ei_cscf
