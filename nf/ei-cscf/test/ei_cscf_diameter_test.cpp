// wimpu-ei-cscf and wimpu-hss as two processes talking Cx over real Diameter (freeDiameter) on
// loopback; this test is the SIP side (a UDP socket). Terminating INVITEs: unknown -> 404, known
// but not registered -> 480; HSS stopped -> 503.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <poll.h>

#include <fstream>

#include "process.hpp"
#include "test_data.hpp"

namespace wimpu::ei_cscf {
namespace {

using namespace std::chrono_literals;
namespace ht = wimpu::hss::test;

class UdpUe {
public:
  explicit UdpUe(std::uint16_t to) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    to_.sin_family = AF_INET;
    to_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to_.sin_port = htons(to);
  }
  ~UdpUe() { ::close(fd_); }

  /// Sends an INVITE to `ruri`; returns the first final status (0 when none within `wait`).
  int invite(const std::string& ruri, int n, std::chrono::milliseconds wait = 5s) {
    const std::string branch = "z9hG4bKt" + std::to_string(n);
    const std::string m =
        "INVITE " + ruri + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + std::to_string(port_) +
        ";branch=" + branch + "\r\nMax-Forwards: 70\r\nFrom: <sip:ue@example>;tag=u" +
        std::to_string(n) + "\r\nTo: <" + ruri + ">\r\nCall-ID: c" + std::to_string(n) +
        "@t\r\nCSeq: 1 INVITE\r\nContact: <sip:ue@127.0.0.1:" + std::to_string(port_) +
        ">\r\nContent-Length: 0\r\n\r\n";
    ::sendto(fd_, m.data(), m.size(), 0, reinterpret_cast<const sockaddr*>(&to_), sizeof to_);
    const auto deadline = std::chrono::steady_clock::now() + wait;
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) {
        continue;
      }
      const auto len = ::recv(fd_, buf, sizeof buf, 0);
      if (len < 12) {
        continue;
      }
      const int code = std::atoi(std::string(buf + 8, 3).c_str());
      if (code >= 200 && std::string(buf, static_cast<std::size_t>(len)).find(branch) !=
                             std::string::npos) {
        return code;
      }
    }
    return 0;
  }

private:
  int fd_;
  std::uint16_t port_ = 0;
  sockaddr_in to_{};
};

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
