// Cx over real Diameter between two processes: wimpu-hss (spawned, on a free loopback port) and
// this test process as the Cx client (the I-CSCF/S-CSCF side), both on freeDiameter. Covers every
// command, Experimental-Result decoding across the wire, the server's error answers, and the
// degraded modes: HSS frozen -> CxError::kTimeout after the client's timeout; HSS killed ->
// CxError::kUnavailable at once; HSS restarted -> the client reconnects (TcTimer 1 s).
//
// freeDiameter allows one node per process, so the client node and the HSS are shared by the
// tests of this binary (ctest runs each test in its own process anyway). Each test leaves the HSS
// running and connected.
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

constexpr const char* kHss = "hss.example";
constexpr const char* kScscf = "sip:scscf.example:5060";
// Client timeout for the "HSS frozen" test: small so the test is fast.
constexpr auto kShortTimeout = 300ms;

class HssDiameter : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    hss_port_ = test::free_port();
    std::ofstream(dir_->path() / "subscribers.toml") << test::subscribers_toml();
    std::ofstream(dir_->path() / "hss.toml")
        << "[diameter]\nidentity = \"" << kHss << "\"\nrealm = \"example\"\n"
        << "port = " << hss_port_ << "\naccept_peers = [\"icscf.example\"]\n"
        << "state_dir = \"hss-state\"\n[hss]\nsubscribers = \"subscribers.toml\"\n";
    start_hss();

    NodeConfig config;
    config.identity = "icscf.example";
    config.realm = "example";
    config.port = 0;  // client only
    config.peers.push_back(PeerConfig{kHss, "127.0.0.1", hss_port_, false, "example"});
    config.tc_timer = 1s;  // reconnect quickly after the restart test
    config.state_dir = dir_->path() / "client-state";
    node_ = DiameterNode::start(config).release();
    work_ = new Work(io_.get_executor());
    io_thread_ = new std::thread([] { io_.run(); });
    client_ = node_->make_cx_client(io_.get_executor(), CxClientOptions{"example", "", 5s})
                  .release();
    short_client_ =
        node_->make_cx_client(io_.get_executor(), CxClientOptions{"example", "", kShortTimeout})
            .release();
    bounded_client_ =
        node_->make_cx_client(io_.get_executor(), CxClientOptions{"example", "", 1s, 2})
            .release();
    ASSERT_TRUE(node_->wait_for_peer(kHss, 10s)) << "no CER/CEA with wimpu-hss";
  }

  static void TearDownTestSuite() {
    delete client_;
    delete short_client_;
    delete bounded_client_;
    // The node first, while the HSS is alive: freeDiameter's shutdown sends DPR and waits for the
    // DPA (up to 15 s when the peer has just died). Then the HSS stops on SIGTERM, cleanly.
    delete node_;
    if (hss_ != nullptr) {
      const int status = hss_->stop(SIGTERM, 10s);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "wimpu-hss status " << status;
    }
    delete hss_;
    delete work_;
    io_.stop();
    io_thread_->join();
    delete io_thread_;
    delete dir_;
  }

  static void start_hss() {
    hss_ = new test::ChildProcess(
        {WIMPU_HSS_BINARY, "--config", (dir_->path() / "hss.toml").string()});
    ASSERT_TRUE(hss_->wait_for_line("wimpu-hss: ready", 10s)) << "wimpu-hss did not start";
  }

  // Sends `request` from the client's shard; the future gets the answer.
  template <class Request>
  static std::future<CxResult<AnswerFor_t<Request>>> send(CxClient* client, Request request) {
    using Answer = AnswerFor_t<Request>;
    auto promise = std::make_shared<std::promise<CxResult<Answer>>>();
    auto future = promise->get_future();
    boost::asio::post(io_, [client, request, promise]() mutable {
      client->request(std::move(request),
                      [promise](CxResult<Answer> r) { promise->set_value(std::move(r)); });
    });
    return future;
  }

  // Sends `request` from the client's shard and waits (in the test thread) for the answer.
  template <class Request>
  static CxResult<AnswerFor_t<Request>> call(CxClient* client, Request request) {
    auto future = send(client, std::move(request));
    // A safety net only: every path completes by itself (answer, timeout or error).
    if (future.wait_for(20s) != std::future_status::ready) {
      ADD_FAILURE() << "no completion";
      return CxError::kInternal;
    }
    return future.get();
  }

  static LocationInfoRequest lir(std::string impu) {
    LocationInfoRequest r;
    r.public_identity = std::move(impu);
    return r;
  }

  using Work = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  static inline test::TempDir* dir_ = nullptr;
  static inline std::uint16_t hss_port_ = 0;
  static inline test::ChildProcess* hss_ = nullptr;
  static inline DiameterNode* node_ = nullptr;
  static inline boost::asio::io_context io_{1};
  static inline Work* work_ = nullptr;
  static inline std::thread* io_thread_ = nullptr;
  static inline CxClient* client_ = nullptr;
  static inline CxClient* short_client_ = nullptr;
  static inline CxClient* bounded_client_ = nullptr;  // 1 s timeout, max_pending 2
};

TEST_F(HssDiameter, LirUnknownAndNotRegisteredAreExperimentalResults) {
  auto unknown = call(client_, lir("sip:carol@example"));
  ASSERT_TRUE(unknown) << to_string(unknown.error());
  EXPECT_EQ(unknown->result, results::kErrorUserUnknown);  // (10415, 5001), not base 5001
  EXPECT_EQ(unknown->envelope.origin_host, kHss);
  EXPECT_EQ(unknown->envelope.session_id.rfind("icscf.example;", 0), 0u);

  auto not_registered = call(client_, lir("sip:alice@example"));
  ASSERT_TRUE(not_registered);
  EXPECT_EQ(not_registered->result, results::kErrorIdentityNotRegistered);

  auto unregistered_services = call(client_, lir("sip:bob@example"));
  ASSERT_TRUE(unregistered_services);
  EXPECT_EQ(unregistered_services->result, results::kUnregisteredService);
  ASSERT_TRUE(unregistered_services->server_capabilities);
  EXPECT_EQ(unregistered_services->server_capabilities->server_names,
            (std::vector<std::string>{kScscf}));
}

TEST_F(HssDiameter, RegistrationFlowUarMarSarLir) {
  UserAuthorizationRequest uar;
  uar.user_name = "alice@example";
  uar.public_identity = "sip:alice@example";
  uar.visited_network = "example";
  auto uaa = call(client_, uar);
  ASSERT_TRUE(uaa);
  EXPECT_EQ(uaa->result, results::kFirstRegistration);
  ASSERT_TRUE(uaa->server_capabilities);

  MultimediaAuthRequest mar;
  mar.user_name = "alice@example";
  mar.public_identity = "sip:alice@example";
  mar.auth_data.scheme = std::string(kSipDigestScheme);
  mar.server_name = kScscf;
  auto maa = call(client_, mar);
  ASSERT_TRUE(maa);
  EXPECT_EQ(maa->result, results::kSuccess);
  ASSERT_EQ(maa->auth_data.size(), 1u);
  ASSERT_TRUE(maa->auth_data[0].digest);
  EXPECT_EQ(maa->auth_data[0].digest->ha1, digest_ha1("alice@example", "example", "alice-secret"));
  EXPECT_EQ(maa->auth_data[0].digest->qop, "auth");
  EXPECT_EQ(maa->auth_data[0].digest->realm, "example");

  ServerAssignmentRequest sar;
  sar.user_name = "alice@example";
  sar.public_identities = {"sip:alice@example"};
  sar.server_name = kScscf;
  sar.assignment_type = ServerAssignmentType::kRegistration;
  auto saa = call(client_, sar);
  ASSERT_TRUE(saa);
  EXPECT_EQ(saa->result, results::kSuccess);
  ASSERT_TRUE(saa->user_data);
  EXPECT_NE(saa->user_data->find("<Identity>tel:+15550100</Identity>"), std::string::npos);
  ASSERT_TRUE(saa->allowed_waf_wwsf_identities);

  uaa = call(client_, uar);
  ASSERT_TRUE(uaa);
  EXPECT_EQ(uaa->result, results::kSubsequentRegistration);
  EXPECT_EQ(uaa->server_name, kScscf);

  auto lia = call(client_, lir("tel:+15550100"));
  ASSERT_TRUE(lia);
  EXPECT_EQ(lia->result, results::kSuccess);
  EXPECT_EQ(lia->server_name, kScscf);

  sar.assignment_type = ServerAssignmentType::kUserDeregistration;
  saa = call(client_, sar);
  ASSERT_TRUE(saa);
  EXPECT_EQ(saa->result, results::kSuccess);
  lia = call(client_, lir("sip:alice@example"));
  ASSERT_TRUE(lia);
  EXPECT_EQ(lia->result, results::kErrorIdentityNotRegistered);
}

TEST_F(HssDiameter, WildcardedBlockRegistrationAndLir) {
  ServerAssignmentRequest sar;
  sar.user_name = "block@block.example";
  sar.public_identities = {"sip:+15550000000@block.example"};
  sar.server_name = kScscf;
  sar.assignment_type = ServerAssignmentType::kRegistration;
  auto saa = call(client_, sar);
  ASSERT_TRUE(saa);
  EXPECT_EQ(saa->result, results::kSuccess);

  // requirements X-05: LIR for an IMPU of the range -> Server-Name + Wildcarded-Public-Identity.
  auto lia = call(client_, lir("sip:+15550001234@block.example"));
  ASSERT_TRUE(lia);
  EXPECT_EQ(lia->result, results::kSuccess);
  EXPECT_EQ(lia->server_name, kScscf);
  EXPECT_EQ(lia->wildcarded_public_identity, "sip:+1555000!.*!@block.example");

  // Outside the range: unknown.
  lia = call(client_, lir("sip:+15560001234@block.example"));
  ASSERT_TRUE(lia);
  EXPECT_EQ(lia->result, results::kErrorUserUnknown);
  EXPECT_FALSE(lia->wildcarded_public_identity);

  sar.assignment_type = ServerAssignmentType::kTimeoutDeregistration;
  ASSERT_TRUE(call(client_, sar));
}

TEST_F(HssDiameter, UndecodableRequestGetsABaseError) {
  // Invalid UTF-8 in Public-Identity passes freeDiameter (OctetString-based dictionary entry) but
  // not the HSS's decoder, which answers DIAMETER_INVALID_AVP_VALUE (base 5004).
  auto lia = call(client_, lir("sip:\xff@example"));
  ASSERT_TRUE(lia);
  EXPECT_EQ(lia->result, results::kInvalidAvpValue);
  EXPECT_FALSE(lia->result.experimental());
}

TEST_F(HssDiameter, FrozenHssTimesOut) {
  hss_->signal(SIGSTOP);
  auto lia = call(short_client_, lir("sip:carol@example"));
  hss_->signal(SIGCONT);
  ASSERT_FALSE(lia);
  EXPECT_EQ(lia.error(), CxError::kTimeout);
  // Back to normal once it runs again.
  auto again = call(client_, lir("sip:carol@example"));
  ASSERT_TRUE(again) << to_string(again.error());
  EXPECT_EQ(again->result, results::kErrorUserUnknown);
}

// A request the caller gave up on (kTimeout) still counts against max_pending until the HSS has
// answered it or freeDiameter's own deadline (twice the timeout) passed: an overloaded HSS is not
// sent new requests while the stale ones are still queued at it (docs/diameter.md).
TEST_F(HssDiameter, TimedOutRequestsCountUntilFreeDiameterGivesThemBack) {
  hss_->signal(SIGSTOP);
  auto first = send(bounded_client_, lir("sip:carol@example"));
  auto second = send(bounded_client_, lir("sip:carol@example"));
  auto a = first.get();
  auto b = second.get();
  ASSERT_FALSE(a);
  ASSERT_FALSE(b);
  EXPECT_EQ(a.error(), CxError::kTimeout);
  EXPECT_EQ(b.error(), CxError::kTimeout);
  // Both time out at 1 s and stay in freeDiameter's sent-list until 2 s.
  auto refused = call(bounded_client_, lir("sip:carol@example"));
  hss_->signal(SIGCONT);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), CxError::kOverload);
  // The HSS answers the two late requests; their slots come back and new requests go through.
  // Polled: how soon the stopped HSS runs again is up to the scheduler.
  CxResult<LocationInfoAnswer> again = CxError::kOverload;
  for (int i = 0; i < 100 && !again && again.error() == CxError::kOverload; ++i) {
    again = call(bounded_client_, lir("sip:carol@example"));
    if (!again && again.error() == CxError::kOverload) {
      std::this_thread::sleep_for(20ms);
    }
  }
  ASSERT_TRUE(again) << to_string(again.error());
  EXPECT_EQ(again->result, results::kErrorUserUnknown);
}

TEST_F(HssDiameter, StoppedHssIsUnavailableThenRecovers) {
  hss_->stop(SIGKILL, 5s);
  delete hss_;
  hss_ = nullptr;
  ASSERT_TRUE(node_->wait_for_peer(kHss, 10s, /*open=*/false));
  auto lia = call(client_, lir("sip:carol@example"));
  ASSERT_FALSE(lia);
  EXPECT_EQ(lia.error(), CxError::kUnavailable);  // 503 at the CSCFs

  start_hss();
  ASSERT_TRUE(node_->wait_for_peer(kHss, 15s)) << "client did not reconnect";
  auto again = call(client_, lir("sip:carol@example"));
  ASSERT_TRUE(again) << to_string(again.error());
  EXPECT_EQ(again->result, results::kErrorUserUnknown);
}

}  // namespace
}  // namespace wimpu::hss
