// The eI-CSCF policy over the real proxy core and transaction layer (fake transport, fake timers),
// with the real HSS behind its in-process Cx client and the memory wIMPU Registrar on a FakeClock.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "down_cx.hpp"
#include "fakes.hpp"
#include "wimpu/ei_cscf/ei_cscf.hpp"
#include "wimpu/hss/hss_service.hpp"
#include "wimpu/registrar/memory_registrar.hpp"
#include "wimpu/transaction/fake_timer_service.hpp"

namespace wimpu::ei_cscf {
namespace {

using transaction::Peer;
using transaction::Protocol;
using transaction::testing::msg;
using transaction::testing::udp_peer;
using namespace std::chrono_literals;

const Peer kUe = udp_peer("10.0.0.10", 5060);
const Peer kScscf = udp_peer("10.0.0.30", 5060);
constexpr const char* kScscfName = "sip:10.0.0.30:5060";

std::string subscribers() {
  return R"(
[capabilities]
mandatory = [1]
optional = [2, 3]
server_names = ["sip:10.0.0.99:5060"]

[[subscriber]]
impi = "alice@example"
realm = "example"
ha1 = ")" + hss::digest_ha1("alice@example", "example", "alice-secret") + R"("
  [[subscriber.implicit_set]]
  public_identities = ["sip:alice@example"]

[[subscriber]]
impi = "block@block.example"
realm = "block.example"
ha1 = ")" + hss::digest_ha1("block@block.example", "block.example", "s") + R"("
unregistered_services = false
  [[subscriber.implicit_set]]
  public_identities = ["sip:+15550000000@block.example", "sip:+1555000!.*!@block.example"]
)";
}

using hss::test::DownCx;

registrar::BlockSetPtr blocks() {
  registrar::BlockConfig b;
  b.id = "b1";
  b.domains = {"block.example"};
  b.range_first = "+15550000100";
  b.range_last = "+15550000199";
  return std::make_shared<registrar::BlockSet>(std::vector<registrar::BlockConfig>{b});
}

class EiCscfTest : public ::testing::Test {
protected:
  EiCscfTest() {
    policy.attach(proxy);
  }

  static proxy::ProxyConfig proxy_config() {
    proxy::ProxyConfig c;
    c.interfaces.push_back(proxy::Interface{Protocol::kUdp, "10.0.0.1", 5060, 0});
    c.domains = {"example", "block.example"};
    return c;
  }

  static EiCscfConfig config() {
    EiCscfConfig c;
    c.wimpu_domains = {"block.example"};
    c.scscfs = {{"sip:10.0.0.31:5060", {1}}, {kScscfName, {1, 2}}};
    return c;
  }

  static std::string request(std::string_view method, std::string_view ruri,
                             std::string_view to, std::string_view extra = {},
                             std::string_view branch = "z9hG4bKue1") {
    return std::string(method) + " " + std::string(ruri) + " SIP/2.0\n" +
           "Via: SIP/2.0/UDP 10.0.0.10:5060;branch=" + std::string(branch) + "\n" +
           "Max-Forwards: 70\nFrom: <sip:caller@example>;tag=c1\nTo: <" + std::string(to) +
           ">\nCall-ID: call1@10.0.0.10\nCSeq: 1 " + std::string(method) + "\n" +
           "Contact: <sip:caller@10.0.0.10:5060>\n" + std::string(extra) + "Content-Length: 0\n\n";
  }

  void deliver(std::string_view text) {
    layer.receive(msg(text), kUe);
    io.restart();
    io.run();  // HSS and W4 hops until idle
  }

  /// The oldest message sent to `to`, removed; nullopt when none.
  std::optional<sip::Message> take(const Peer& to) {
    for (auto it = net.sent.begin(); it != net.sent.end(); ++it) {
      if (it->to.remote == to.remote) {
        sip::Message m = it->parsed();
        net.sent.erase(it);
        return m;
      }
    }
    return std::nullopt;
  }

  /// The final response to the UE (skips 100 Trying).
  int final_status() {
    while (auto m = take(kUe)) {
      if (m->status_code() >= 200) {
        return m->status_code();
      }
    }
    return 0;
  }

  /// Block registration as the eP-CSCF does it (through an S-CSCF): the HSS now holds the set
  /// registered with S-CSCF kScscfName.
  void register_block_in_hss() {
    diameter::ServerAssignmentRequest sar;
    sar.user_name = "block@block.example";
    sar.public_identities = {"sip:+15550000000@block.example"};
    sar.server_name = kScscfName;
    sar.assignment_type = diameter::ServerAssignmentType::kRegistration;
    ASSERT_TRUE(hss.hss().handle(sar).result.success());
  }

  /// Allocates an IMPU of the block with one contact of `expires_s`; returns the IMPU.
  std::string allocate(std::uint32_t expires_s) {
    registrar::RegisterRequest r;
    r.block = "b1";
    r.identity = {"https://wwsf.example", "wic1"};
    registrar::ContactUpdate u;
    u.contact.uri = "sip:wic1@client.invalid;transport=ws";
    u.contact.call_id = "reg1";
    u.contact.cseq = 1;
    u.expires_s = expires_s;
    r.contacts.push_back(u);
    auto res = w4.register_now(r);
    EXPECT_TRUE(res);
    return res ? res->impu : std::string();
  }

  boost::asio::io_context io{1};
  std::shared_ptr<common::FakeClock> clock = std::make_shared<common::FakeClock>();
  hss::HssService hss{io.get_executor(), *hss::SubscriberStore::parse(subscribers()),
                      "hss.example", "example"};
  std::unique_ptr<diameter::CxClient> cx = hss.make_in_process_client(io.get_executor());
  registrar::MemoryRegistrar w4{blocks(), clock};
  transaction::FakeTimerService timers{*clock};
  transaction::testing::FakeSender net;
  transaction::TransactionLayer layer{0, transaction::TimerConfig{}, net, timers};
  EiCscfPolicy policy{io.get_executor(), *cx, &w4, config()};
  proxy::Proxy proxy{layer, policy, proxy_config()};
};

TEST_F(EiCscfTest, RegisterSelectsTheScscfByCapabilitiesAfterUar) {
  deliver(request("REGISTER", "sip:example", "sip:alice@example",
                  "Authorization: Digest username=\"alice@example\", realm=\"example\", "
                  "nonce=\"\", uri=\"sip:example\", response=\"\"\n"));
  auto fwd = take(kScscf);  // mandatory 1 + optional 2 beats the entry with 1 only
  ASSERT_TRUE(fwd);
  EXPECT_EQ(fwd->method(), sip::Method::kRegister);
  EXPECT_NE(fwd->header_value(sip::HeaderId::kRoute).find("sip:10.0.0.30:5060;lr"),
            std::string_view::npos);
  EXPECT_EQ(fwd->header_value(sip::HeaderId::kRecordRoute), "");
}

TEST_F(EiCscfTest, RegisterUsesTheStoredServerName) {
  register_block_in_hss();
  deliver(request("REGISTER", "sip:block.example", "sip:+15550000000@block.example",
                  "Authorization: Digest username=\"block@block.example\"\n"));
  EXPECT_TRUE(take(kScscf));
}

TEST_F(EiCscfTest, RegisterOfAnUnknownUserIs403) {
  deliver(request("REGISTER", "sip:example", "sip:nobody@example"));
  EXPECT_EQ(final_status(), 403);
  EXPECT_TRUE(net.sent.empty());
}

TEST_F(EiCscfTest, TerminatingToAnAllocatedBlockImpuGoesToTheScscfWithProfileKey) {
  register_block_in_hss();
  const std::string impu = allocate(600);
  deliver(request("INVITE", impu, impu));
  auto fwd = take(kScscf);
  ASSERT_TRUE(fwd);
  EXPECT_EQ(fwd->request_uri().text, impu);
  bool found = false;
  for (const auto& h : fwd->headers()) {
    if (sip::iequals(h.name, "P-Profile-Key")) {
      found = true;
      EXPECT_EQ(h.value, "<sip:+1555000!.*!@block.example>");
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(EiCscfTest, TerminatingToAFreeBlockImpuIs480WithoutAskingTheHss) {
  register_block_in_hss();
  deliver(request("INVITE", "sip:+15550000150@block.example", "sip:+15550000150@block.example"));
  EXPECT_EQ(final_status(), 480);
  EXPECT_FALSE(take(kScscf));
}

TEST_F(EiCscfTest, TerminatingToABlockImpuWhoseContactsExpiredIs480) {
  register_block_in_hss();
  const std::string impu = allocate(60);
  clock->advance(61s);
  deliver(request("INVITE", impu, impu));
  EXPECT_EQ(final_status(), 480);
}

TEST_F(EiCscfTest, TerminatingToAnUnknownUserIs404) {
  deliver(request("INVITE", "sip:carol@example", "sip:carol@example"));
  EXPECT_EQ(final_status(), 404);
}

TEST_F(EiCscfTest, TerminatingToAKnownButUnregisteredUserIs480) {
  deliver(request("INVITE", "sip:alice@example", "sip:alice@example"));
  EXPECT_EQ(final_status(), 480);
}

TEST_F(EiCscfTest, HssDownIs503) {
  DownCx down(io.get_executor());
  EiCscfPolicy p{io.get_executor(), down, &w4, config()};
  transaction::testing::FakeSender net2;
  transaction::TransactionLayer layer2{0, transaction::TimerConfig{}, net2, timers};
  proxy::Proxy proxy2{layer2, p, proxy_config()};
  p.attach(proxy2);
  layer2.receive(msg(request("INVITE", "sip:alice@example", "sip:alice@example")), kUe);
  io.restart();
  io.run();
  ASSERT_EQ(net2.sent.size(), 2u);  // 100, then the final
  EXPECT_EQ(net2.sent.back().parsed().status_code(), 503);
}

TEST_F(EiCscfTest, CancelWhileTheHssIsAskedAnswers487AndTheLateAnswerIsDropped) {
  layer.receive(msg(request("INVITE", "sip:alice@example", "sip:alice@example")), kUe);
  std::string cancel = request("CANCEL", "sip:alice@example", "sip:alice@example");
  layer.receive(msg(cancel), kUe);  // before the io_context runs the LIR
  io.restart();
  io.run();
  std::vector<int> codes;
  while (auto m = take(kUe)) {
    codes.push_back(m->status_code());
  }
  EXPECT_EQ(codes, (std::vector<int>{100, 200, 487}));
  EXPECT_TRUE(net.sent.empty());
  EXPECT_EQ(proxy.live_contexts(), 0u);
}

TEST_F(EiCscfTest, MidDialogRequestsPassThrough) {
  std::string bye = request("BYE", "sip:callee@10.0.0.40:5090", "sip:alice@example");
  bye.replace(bye.find("<sip:alice@example>"), 19, "<sip:alice@example>;tag=x");
  deliver(bye);
  EXPECT_TRUE(take(udp_peer("10.0.0.40", 5090)));
}

TEST_F(EiCscfTest, SelectionPrefersMostOptionalCapabilitiesAndFallsBackToServerNames) {
  diameter::ServerCapabilities caps;
  caps.mandatory = {1};
  caps.optional = {2};
  EXPECT_EQ(policy.select_scscf(caps), kScscfName);
  caps.mandatory = {7};
  caps.server_names = {"sip:10.0.0.99:5060"};
  EXPECT_EQ(policy.select_scscf(caps), "sip:10.0.0.99:5060");
  caps.server_names.clear();
  EXPECT_EQ(policy.select_scscf(caps), "");
}

}  // namespace
}  // namespace wimpu::ei_cscf
