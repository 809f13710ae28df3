// The S-CSCF policy over the real proxy core and transaction layer (fake transport, fake timers,
// FakeClock), with the real HSS behind its in-process Cx client.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "down_cx.hpp"
#include "fakes.hpp"
#include "wimpu/hss/hss_service.hpp"
#include "wimpu/s_cscf/s_cscf.hpp"
#include "wimpu/sip/header_values.hpp"
#include "wimpu/transaction/fake_timer_service.hpp"

namespace wimpu::s_cscf {
namespace {

using transaction::Peer;
using transaction::Protocol;
using transaction::testing::msg;
using transaction::testing::udp_peer;
using namespace std::chrono_literals;

const Peer kIcscf = udp_peer("10.0.0.2", 5060);   // our I-CSCF (trusted proxy)
const Peer kOther = udp_peer("10.0.0.66", 5060);  // anyone else
const Peer kEpcscf = udp_peer("10.0.0.5", 5090);  // the eP-CSCF (trusted node), Path target
const Peer kUeA = udp_peer("10.0.0.10", 5060);
const Peer kUeB = udp_peer("10.0.0.11", 5060);
const Peer kOtherIcscf = udp_peer("10.0.0.3", 5060);

std::string subscribers() {
  return R"(
[capabilities]
server_names = ["sip:10.0.0.1:5060"]

[[subscriber]]
impi = "alice@example"
realm = "example"
ha1 = ")" + hss::digest_ha1("alice@example", "example", "alice-secret") + R"("
  [[subscriber.implicit_set]]
  public_identities = ["sip:alice@example", "tel:+15550100"]

[[subscriber]]
impi = "block@block.example"
realm = "block.example"
ha1 = ")" + hss::digest_ha1("block@block.example", "block.example", "s") + R"("
  [[subscriber.implicit_set]]
  public_identities = ["sip:+15550000000@block.example", "sip:+1555000!.*!@block.example"]
)";
}

using hss::test::DownCx;

ScscfConfig config() {
  ScscfConfig c;
  c.server_name = "sip:10.0.0.1:5060";
  c.home_domains = {"example", "block.example"};
  c.icscfs = {{"other.example", "sip:10.0.0.3:5060"}};
  c.trusted_nodes = {{"10.0.0.5", 5090}};
  c.trusted_proxies = {{"10.0.0.2", 0}};
  c.nonce_ttl = 30s;
  return c;
}

std::string header(const sip::Message& m, std::string_view name) {
  std::string out;
  for (const auto& h : m.headers()) {
    if (sip::iequals(h.name, name)) {
      out += out.empty() ? "" : "|";
      out += h.value;
    }
  }
  return out;
}

class ScscfTest : public ::testing::Test {
protected:
  ScscfTest() { policy.attach(proxy); }

  static proxy::ProxyConfig proxy_config() {
    proxy::ProxyConfig c;
    c.interfaces.push_back(proxy::Interface{Protocol::kUdp, "10.0.0.1", 5060, 0});
    c.domains = {"example", "block.example"};
    return c;
  }

  void deliver(const std::string& text, const Peer& from = kIcscf) {
    layer.receive(msg(text), from);
    io.restart();
    io.run();
  }

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

  /// The final response sent to `to` (skips 100 Trying).
  std::optional<sip::Message> final_to(const Peer& to) {
    while (auto m = take(to)) {
      if (m->status_code() >= 200) {
        return m;
      }
    }
    return std::nullopt;
  }

  std::string reg(std::string_view to, std::string_view contact, std::string_view extra,
                  int cseq, std::string_view call_id = "reg-a") {
    const std::string b = std::to_string(++branch_);
    return "REGISTER sip:example SIP/2.0\n"
           "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKic" + b +
           "\nVia: SIP/2.0/UDP 10.0.0.5:5090;branch=z9hG4bKep" + b +
           "\nMax-Forwards: 69\nFrom: <" + std::string(to) + ">;tag=r1\nTo: <" + std::string(to) +
           ">\nCall-ID: " + std::string(call_id) + "\nCSeq: " + std::to_string(cseq) +
           " REGISTER\nContact: " + std::string(contact) + "\n" + std::string(extra) +
           "Content-Length: 0\n\n";
  }

  std::string invite(std::string_view ruri, std::string_view extra, const Peer& via = kIcscf) {
    const std::string b = std::to_string(++branch_);
    return "INVITE " + std::string(ruri) + " SIP/2.0\nVia: SIP/2.0/UDP " +
           via.remote.to_string() + ";branch=z9hG4bKinv" + b +
           "\nMax-Forwards: 69\nFrom: <sip:caller@example>;tag=c1\nTo: <" + std::string(ruri) +
           ">\nCall-ID: inv" + b +
           "\nCSeq: 1 INVITE\nContact: <sip:caller@10.0.0.10>\n" + std::string(extra) +
           "Content-Length: 0\n\n";
  }

  /// Registers alice with SIP Digest: REGISTER -> 401 -> REGISTER with the answer -> status.
  int register_alice(std::string_view contact, std::string_view password = "alice-secret",
                     std::string* nonce_out = nullptr) {
    deliver(reg("sip:alice@example", contact,
                "Authorization: Digest username=\"alice@example\", realm=\"example\", "
                "nonce=\"\", uri=\"sip:example\", response=\"\"\nExpires: 600\n",
                ++cseq_));
    auto challenge = final_to(kIcscf);
    if (!challenge || challenge->status_code() != 401) {
      return challenge ? challenge->status_code() : 0;
    }
    auto values = sip::auth_values(*challenge, sip::HeaderId::kWwwAuthenticate);
    EXPECT_TRUE(values && values->size() == 1);
    const DigestCredentials ch = parse_digest_params((*values)[0].params);
    EXPECT_EQ(ch.realm, "example");
    EXPECT_EQ(ch.qop, "auth");
    if (nonce_out != nullptr) {
      *nonce_out = ch.nonce;
    }
    return answer_challenge(contact, ch.nonce, "00000001", password);
  }

  int answer_challenge(std::string_view contact, const std::string& nonce, const std::string& nc,
                       std::string_view password = "alice-secret") {
    const std::string resp =
        digest_response(hss::digest_ha1("alice@example", "example", password), nonce, nc, "cn1",
                        "auth", "REGISTER", "sip:example");
    deliver(reg("sip:alice@example", contact,
                "Authorization: Digest username=\"alice@example\", realm=\"example\", nonce=\"" +
                    nonce + "\", uri=\"sip:example\", response=\"" + resp +
                    "\", qop=auth, nc=" + nc + ", cnonce=\"cn1\", algorithm=MD5\nExpires: 600\n",
                ++cseq_));
    auto ok = final_to(kIcscf);
    last_ = ok;
    return ok ? ok->status_code() : 0;
  }

  /// The eP-CSCF registers the block's distinct IMPU (trusted node, through the I-CSCF).
  int register_block(const Peer& from = kIcscf, std::uint32_t expires = 600) {
    deliver(reg("sip:+15550000000@block.example", "<sip:block@10.0.0.5:5090>",
                "Authorization: Digest username=\"block@block.example\", realm=\"block.example\", "
                "nonce=\"\", uri=\"sip:block.example\", response=\"\", "
                "integrity-protected=\"auth-done\"\nPath: <sip:term@10.0.0.5:5090;lr>\n"
                "Expires: " + std::to_string(expires) + "\n",
                ++cseq_, "reg-block"),
            from);
    auto ok = final_to(from);
    last_ = ok;
    return ok ? ok->status_code() : 0;
  }

  boost::asio::io_context io{1};
  std::shared_ptr<common::FakeClock> clock = std::make_shared<common::FakeClock>();
  hss::HssService hss{io.get_executor(), *hss::SubscriberStore::parse(subscribers()),
                      "hss.example", "example"};
  std::unique_ptr<diameter::CxClient> cx = hss.make_in_process_client(io.get_executor());
  std::shared_ptr<ScscfShared> shared = std::make_shared<ScscfShared>(config(), clock);
  transaction::FakeTimerService timers{*clock};
  transaction::testing::FakeSender net;
  transaction::TransactionLayer layer{0, transaction::TimerConfig{}, net, timers};
  ScscfPolicy policy{io.get_executor(), *cx, shared};
  proxy::Proxy proxy{layer, policy, proxy_config()};
  std::optional<sip::Message> last_;
  int branch_ = 0;
  int cseq_ = 0;
};

TEST_F(ScscfTest, DigestRegistrationChallengesThenRegistersWithServiceRouteAndAssociatedUris) {
  ASSERT_EQ(register_alice("<sip:alice@10.0.0.10:5060>"), 200);
  EXPECT_EQ(header(*last_, "Service-Route"), "<sip:orig@10.0.0.1:5060;lr>");
  EXPECT_EQ(header(*last_, "P-Associated-URI"), "<sip:alice@example>, <tel:+15550100>");
  EXPECT_EQ(header(*last_, "Contact"), "<sip:alice@10.0.0.10:5060>;expires=600");
  EXPECT_EQ(hss.hss().state_of("sip:alice@example"), hss::RegistrationState::kRegistered);
  EXPECT_EQ(hss.hss().scscf_of("alice@example"), "sip:10.0.0.1:5060");
  EXPECT_TRUE(shared->store.is_registered("tel:+15550100"));
}

TEST_F(ScscfTest, WrongPasswordIs403AndNothingIsRegistered) {
  EXPECT_EQ(register_alice("<sip:alice@10.0.0.10>", "guess"), 403);
  EXPECT_FALSE(shared->store.is_registered("sip:alice@example"));
}

TEST_F(ScscfTest, ReplayedNonceCountIsChallengedAgainAndStaleNonceGetsStaleTrue) {
  std::string nonce;
  ASSERT_EQ(register_alice("<sip:alice@10.0.0.10>", "alice-secret", &nonce), 200);
  EXPECT_EQ(answer_challenge("<sip:alice@10.0.0.10>", nonce, "00000001"), 401);  // replay
  EXPECT_EQ(answer_challenge("<sip:alice@10.0.0.10>", nonce, "00000002"), 200);  // next nc
  clock->advance(31s);
  EXPECT_EQ(answer_challenge("<sip:alice@10.0.0.10>", nonce, "00000003"), 401);
  EXPECT_NE(header(*last_, "WWW-Authenticate").find("stale=true"), std::string::npos);
}

TEST_F(ScscfTest, TrustedNodeRegistersTheBlockAndItsWildcard) {
  ASSERT_EQ(register_block(), 200);
  EXPECT_EQ(header(*last_, "P-Associated-URI"),
            "<sip:+15550000000@block.example>, <sip:+1555000!.*!@block.example>");
  EXPECT_EQ(header(*last_, "Path"), "<sip:term@10.0.0.5:5090;lr>");
  EXPECT_TRUE(shared->store.is_registered("sip:+15550000123@block.example"));
  EXPECT_EQ(hss.hss().state_of("sip:+15550000123@block.example"),
            hss::RegistrationState::kRegistered);
}

TEST_F(ScscfTest, AuthDoneIsBelievedOnlyWhenTheHopBelowTheIcscfReallyIsTheEpCscf) {
  // The eP-CSCF's Via says 10.0.0.5:5090, but the I-CSCF saw it come from port 6000 (rport).
  std::string r = reg("sip:+15550000000@block.example", "<sip:block@10.0.0.5:5090>",
                      "Authorization: Digest username=\"block@block.example\", "
                      "integrity-protected=\"auth-done\"\nExpires: 600\n",
                      ++cseq_, "reg-block");
  const auto at = r.find("10.0.0.5:5090;branch=");
  r.replace(at, 21, "10.0.0.5:5090;rport=6000;branch=");
  deliver(r);
  EXPECT_EQ(final_to(kIcscf)->status_code(), 401);
  EXPECT_FALSE(shared->store.is_registered("sip:+15550000000@block.example"));
}

TEST_F(ScscfTest, WrongPasswordReleasesTheHssAssignment) {
  EXPECT_EQ(register_alice("<sip:alice@10.0.0.10>", "guess"), 403);
  io.restart();
  io.run();
  EXPECT_EQ(hss.hss().scscf_of("alice@example"), std::nullopt);  // SAR AUTHENTICATION_FAILURE
}

TEST_F(ScscfTest, AuthDoneFromAnUntrustedSourceIsChallenged) {
  EXPECT_EQ(register_block(kOther), 401);
  EXPECT_FALSE(shared->store.is_registered("sip:+15550000000@block.example"));
}

TEST_F(ScscfTest, TerminatingToABlockImpuRetargetsToTheContactThroughPath) {
  ASSERT_EQ(register_block(), 200);
  deliver(invite("sip:+15550000123@block.example",
                 "P-Profile-Key: <sip:+1555000!.*!@block.example>\n"));
  auto fwd = take(kEpcscf);
  ASSERT_TRUE(fwd);
  EXPECT_EQ(fwd->request_uri().text, "sip:block@10.0.0.5:5090");
  EXPECT_EQ(header(*fwd, "Route"), "<sip:term@10.0.0.5:5090;lr>");
  EXPECT_EQ(header(*fwd, "P-Called-Party-ID"), "<sip:+15550000123@block.example>");
  EXPECT_EQ(header(*fwd, "P-Profile-Key"), "");
  EXPECT_NE(header(*fwd, "Record-Route").find("10.0.0.1"), std::string::npos);
  // Without the key the wildcard matches too.
  deliver(invite("sip:+15550000456@block.example", ""));
  fwd = take(kEpcscf);
  ASSERT_TRUE(fwd);
  EXPECT_EQ(header(*fwd, "P-Called-Party-ID"), "<sip:+15550000456@block.example>");
}

TEST_F(ScscfTest, TerminatingWithoutRegistrationIs480AndAfterExpiryToo) {
  deliver(invite("sip:+15550000123@block.example", ""));
  EXPECT_EQ(final_to(kIcscf)->status_code(), 480);
  ASSERT_EQ(register_block(kIcscf, 60), 200);
  clock->advance(61s);
  deliver(invite("sip:+15550000123@block.example", ""));
  EXPECT_EQ(final_to(kIcscf)->status_code(), 480);
  // The sweep de-registers the set at the HSS (SAR TIMEOUT_DEREGISTRATION).
  policy.sweep();
  io.restart();
  io.run();
  EXPECT_EQ(shared->store.size(), 0u);
  EXPECT_EQ(hss.hss().state_of("sip:+15550000000@block.example"),
            hss::RegistrationState::kNotRegistered);
}

TEST_F(ScscfTest, TerminatingForksToEveryContact) {
  ASSERT_EQ(register_alice("<sip:alice@10.0.0.10:5060>"), 200);
  ASSERT_EQ(register_alice("<sip:alice@10.0.0.11:5060>"), 200);
  EXPECT_EQ(header(*last_, "Contact"),
            "<sip:alice@10.0.0.10:5060>;expires=600|<sip:alice@10.0.0.11:5060>;expires=600");
  deliver(invite("sip:alice@example", ""));
  auto a = take(kUeA);
  auto b = take(kUeB);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(header(*a, "P-Called-Party-ID"), "<sip:alice@example>");
  EXPECT_EQ(b->request_uri().text, "sip:alice@10.0.0.11:5060");
}

TEST_F(ScscfTest, OriginatingChecksTheAssertedIdentityAndRoutesToTheIcscfOfTheDomain) {
  ASSERT_EQ(register_block(), 200);
  const std::string orig = "Route: <sip:orig@10.0.0.1:5060;lr>\n";
  // An IMPU of the registered range (through the wildcard) may originate.
  deliver(invite("sip:bob@other.example",
                 orig + "P-Asserted-Identity: <sip:+15550000123@block.example>\n", kEpcscf),
          kEpcscf);
  auto fwd = take(kOtherIcscf);
  ASSERT_TRUE(fwd);
  EXPECT_EQ(fwd->request_uri().text, "sip:bob@other.example");
  EXPECT_EQ(header(*fwd, "Route"), "<sip:10.0.0.3:5060;lr>");
  // Outside the range, or no asserted identity: 403.
  deliver(invite("sip:bob@other.example",
                 orig + "P-Asserted-Identity: <sip:+15559990123@block.example>\n", kEpcscf),
          kEpcscf);
  EXPECT_EQ(final_to(kEpcscf)->status_code(), 403);
  deliver(invite("sip:bob@other.example", orig, kEpcscf), kEpcscf);
  EXPECT_EQ(final_to(kEpcscf)->status_code(), 403);
}

TEST_F(ScscfTest, SpiralBackFromTheIcscfIsNotALoop) {
  ASSERT_EQ(register_block(), 200);
  deliver(invite("sip:bob@other.example",
                 "Route: <sip:orig@10.0.0.1:5060;lr>\n"
                 "P-Asserted-Identity: <sip:+15550000123@block.example>\n",
                 kEpcscf),
          kEpcscf);
  auto fwd = take(kOtherIcscf);
  ASSERT_TRUE(fwd);
  // The I-CSCF sends it back to us (terminating leg): same Request-URI, tags and Call-ID, our
  // Via inside, another Route. RFC 3261 §16.6 step 8: a spiral, not a loop (no 482).
  std::string back(fwd->bytes());
  back.replace(back.find("<sip:10.0.0.3:5060;lr>"), 22, "<sip:10.0.0.1:5060;lr>");
  back.insert(back.find("\r\n") + 2, "Via: SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bKicb\r\n");
  layer.receive(transaction::testing::msg_from_wire(back), kOtherIcscf);
  io.restart();
  io.run();
  auto r = final_to(kOtherIcscf);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status_code(), 480);  // bob is not registered here
}

TEST_F(ScscfTest, OriginatingToAHomeDomainWithoutIcscfTerminatesHere) {
  ASSERT_EQ(register_block(), 200);
  ASSERT_EQ(register_alice("<sip:alice@10.0.0.10:5060>"), 200);
  deliver(invite("sip:+15550000123@block.example",
                 "Route: <sip:orig@10.0.0.1:5060;lr>\nP-Asserted-Identity: <sip:alice@example>\n",
                 kUeA),
          kUeA);
  auto fwd = take(kEpcscf);
  ASSERT_TRUE(fwd);
  EXPECT_EQ(header(*fwd, "P-Called-Party-ID"), "<sip:+15550000123@block.example>");
}

TEST_F(ScscfTest, DeregistrationSendsSarAndForgetsTheSet) {
  ASSERT_EQ(register_block(), 200);
  deliver(reg("sip:+15550000000@block.example", "*",
              "Authorization: Digest username=\"block@block.example\", "
              "integrity-protected=\"auth-done\"\nExpires: 0\n",
              ++cseq_, "reg-block"));
  EXPECT_EQ(final_to(kIcscf)->status_code(), 200);
  EXPECT_EQ(shared->store.size(), 0u);
  EXPECT_EQ(hss.hss().state_of("sip:+15550000000@block.example"),
            hss::RegistrationState::kNotRegistered);
}

TEST_F(ScscfTest, TooBriefExpiryIs423) {
  deliver(reg("sip:alice@example", "<sip:alice@10.0.0.10>", "Expires: 5\n", 1));
  auto r = final_to(kIcscf);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status_code(), 423);
  EXPECT_EQ(header(*r, "Min-Expires"), "60");
}

TEST_F(ScscfTest, HssDownIs503) {
  DownCx down(io.get_executor());
  ScscfPolicy p{io.get_executor(), down, shared};
  transaction::testing::FakeSender net2;
  transaction::TransactionLayer layer2{0, transaction::TimerConfig{}, net2, timers};
  proxy::Proxy proxy2{layer2, p, proxy_config()};
  p.attach(proxy2);
  layer2.receive(msg(reg("sip:alice@example", "<sip:alice@10.0.0.10>", "", 1)), kIcscf);
  io.restart();
  io.run();
  ASSERT_EQ(net2.sent.size(), 1u);
  EXPECT_EQ(net2.sent.back().parsed().status_code(), 503);
}

}  // namespace
}  // namespace wimpu::s_cscf
