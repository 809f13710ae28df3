#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "test_data.hpp"
#include "wimpu/hss/hss_service.hpp"

namespace wimpu::hss {
namespace {

using namespace wimpu::diameter;

// The in-process path has the same contract as the Diameter one: the answer comes back on the
// client's executor, never inline. Two io_contexts: one for the HSS, one for the "shard".
TEST(InProcessCx, AnswersOnTheClientExecutor) {
  boost::asio::io_context hss_io(1);
  boost::asio::io_context shard(1);
  HssService service(hss_io.get_executor(), *SubscriberStore::parse(test::subscribers_toml()),
                     "hss.example", "example");
  auto client = service.make_in_process_client(shard.get_executor());

  std::thread hss_thread([&hss_io] {
    auto guard = boost::asio::make_work_guard(hss_io);
    hss_io.run();
  });

  bool inline_call = true;
  bool answered = false;
  std::optional<LocationInfoAnswer> got;
  std::thread::id handler_thread;
  boost::asio::post(shard, [&] {
    LocationInfoRequest lir;
    lir.public_identity = "sip:carol@example";
    client->request(std::move(lir), [&](CxResult<LocationInfoAnswer> r) {
      answered = true;
      if (r) {
        got = std::move(*r);
      }
      handler_thread = std::this_thread::get_id();
      shard.stop();
    });
    inline_call = answered;
  });
  auto shard_work = boost::asio::make_work_guard(shard);  // the answer arrives from elsewhere
  shard.run();
  hss_io.stop();
  hss_thread.join();

  EXPECT_FALSE(inline_call);
  EXPECT_EQ(handler_thread, std::this_thread::get_id());
  ASSERT_TRUE(got);
  EXPECT_EQ(got->result, results::kErrorUserUnknown);
  EXPECT_EQ(got->envelope.origin_host, "hss.example");
  EXPECT_FALSE(got->envelope.session_id.empty());
}

// A whole IMS registration (UAR, MAR, SAR) then a LIR, through the coroutine adapter. A named
// coroutine with by-value parameters (STYLE.md: no capturing coroutine lambdas).
boost::asio::awaitable<void> registration_flow(CxClient* client,
                                               std::optional<LocationInfoAnswer>* out) {
  UserAuthorizationRequest uar;
  uar.user_name = "block@block.example";
  uar.public_identity = "sip:+15550000000@block.example";
  uar.visited_network = "example";
  auto uaa = co_await async_request(*client, uar, boost::asio::use_awaitable);
  EXPECT_TRUE(uaa && uaa->result == results::kFirstRegistration);

  MultimediaAuthRequest mar;
  mar.user_name = "block@block.example";
  mar.public_identity = "sip:+15550000000@block.example";
  mar.auth_data.scheme = std::string(kSipDigestScheme);
  mar.server_name = "sip:scscf.example:5060";
  auto maa = co_await async_request(*client, mar, boost::asio::use_awaitable);
  EXPECT_TRUE(maa && maa->result == results::kSuccess);

  ServerAssignmentRequest sar;
  sar.user_name = "block@block.example";
  sar.public_identities = {"sip:+15550000000@block.example"};
  sar.server_name = "sip:scscf.example:5060";
  sar.assignment_type = ServerAssignmentType::kRegistration;
  auto saa = co_await async_request(*client, sar, boost::asio::use_awaitable);
  EXPECT_TRUE(saa && saa->result == results::kSuccess);

  LocationInfoRequest lir;
  lir.public_identity = "sip:+15550007777@block.example";
  auto lia = co_await async_request(*client, lir, boost::asio::use_awaitable);
  if (lia) {
    *out = *lia;
  }
}

TEST(InProcessCx, RegistrationFlowWithCoroutines) {
  boost::asio::io_context io(1);
  HssService service(io.get_executor(), *SubscriberStore::parse(test::subscribers_toml()),
                     "hss.example", "example");
  auto client = service.make_in_process_client(io.get_executor());
  std::optional<LocationInfoAnswer> final_lia;
  boost::asio::co_spawn(io, registration_flow(client.get(), &final_lia),
                        [](std::exception_ptr e) {
                          if (e) {
                            std::rethrow_exception(e);
                          }
                        });
  io.run();
  ASSERT_TRUE(final_lia);
  EXPECT_EQ(final_lia->result, results::kSuccess);
  EXPECT_EQ(final_lia->server_name, "sip:scscf.example:5060");
  EXPECT_EQ(final_lia->wildcarded_public_identity, "sip:+1555000!.*!@block.example");
}

}  // namespace
}  // namespace wimpu::hss
