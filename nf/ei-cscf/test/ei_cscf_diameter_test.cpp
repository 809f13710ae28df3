// wimpu-ei-cscf and wimpu-hss as two processes talking Cx over real Diameter (freeDiameter) on
// loopback; this test is the SIP side (a UDP socket). Terminating INVITEs: unknown -> 404, known
// but not registered -> 480; HSS stopped -> 503.
#include <gtest/gtest.h>

#include <fstream>

#include "process.hpp"
#include "udp_ue.hpp"
#include "test_data.hpp"

namespace wimpu::ei_cscf {
namespace {

using namespace std::chrono_literals;
namespace ht = wimpu::hss::test;

using test::UdpUe;

TEST(EiCscfDiameter, TerminatingOutcomesOverRealCxAndHssDown) {
  ht::TempDir dir;
  const std::uint16_t hss_port = ht::free_port();
  const std::uint16_t sip_port = ht::free_port();
  std::ofstream(dir.path() / "subscribers.toml") << ht::subscribers_toml();
  std::ofstream(dir.path() / "hss.toml")
      << "[diameter]\nidentity = \"hss.example\"\nrealm = \"example\"\nport = " << hss_port
      << "\naccept_peers = [\"icscf.example\"]\nstate_dir = \"hss-state\"\n"
      << "[hss]\nsubscribers = \"subscribers.toml\"\n";
  std::ofstream(dir.path() / "icscf.toml")
      << "[[listeners]]\nprotocol = \"udp\"\naddress = \"127.0.0.1\"\nport = " << sip_port
      << "\n[proxy]\ndomains = [\"example\"]\n[hss]\nrealm = \"example\"\ntimeout_ms = 1000\n"
      << "[diameter]\nidentity = \"icscf.example\"\nrealm = \"example\"\n"
      << "state_dir = \"icscf-state\"\ntc_timer = 1\n[[diameter.peer]]\n"
      << "identity = \"hss.example\"\naddress = \"127.0.0.1\"\nport = " << hss_port << "\n";
  auto hss = std::make_unique<ht::ChildProcess>(std::vector<std::string>{
      WIMPU_HSS_BINARY, "--config", (dir.path() / "hss.toml").string()});
  ASSERT_TRUE(hss->wait_for_line("wimpu-hss: ready", 10s));
  ht::ChildProcess icscf({WIMPU_EI_CSCF_BINARY, "--config", (dir.path() / "icscf.toml").string()});
  ASSERT_TRUE(icscf.wait_for_line("listening", 10s));

  UdpUe ue(sip_port);
  // Until the CER/CEA exchange is done the eI-CSCF answers 503 (no route to the HSS).
  int n = 0;
  int code = 503;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (code == 503 && std::chrono::steady_clock::now() < deadline) {
    code = ue.invite("sip:carol@example", ++n);
  }
  EXPECT_EQ(code, 404);                                // LIA 5001
  EXPECT_EQ(ue.invite("sip:alice@example", ++n), 480);  // LIA 5003

  const int status = hss->stop(SIGTERM, 10s);
  EXPECT_TRUE(WIFEXITED(status));
  hss.reset();
  EXPECT_EQ(ue.invite("sip:carol@example", ++n), 503);  // HSS gone
  const int st = icscf.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
}

}  // namespace
}  // namespace wimpu::ei_cscf
