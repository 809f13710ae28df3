// Several processes as one run: option split, lossless report exchange, and the built tool
// forking two processes against the in-test responder.
#include "wimpu/loadgen/processes.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>

#include "sip_responder.hpp"
#include "wimpu/loadgen/report.hpp"

namespace wimpu::loadgen {
namespace {

TEST(Processes, SplitGivesEachProcessItsShare) {
  EngineOptions all;
  all.connections = 10;
  all.ua_per_connection = 2;
  all.count = 7;
  all.rate = 900;
  all.connect_rate = 30;
  all.connect_concurrency = 256;
  all.index_base = 1000;
  all.seed = 5;
  for (const char* a : {"127.0.0.1", "::1", "127.0.0.1", "::1"}) {
    all.local_addresses.push_back(boost::asio::ip::make_address(a));
  }
  const EngineOptions p0 = split_options(all, 3, 0);
  const EngineOptions p1 = split_options(all, 3, 1);
  const EngineOptions p2 = split_options(all, 3, 2);
  EXPECT_EQ(p0.connections + p1.connections + p2.connections, 10u);
  EXPECT_EQ(p0.connections, 4u);
  EXPECT_EQ(p0.index_base, 1000u);
  EXPECT_EQ(p1.index_base, 1000u + 4 * 2);  // after p0's 4 connections x 2 UAs
  EXPECT_EQ(p2.index_base, 1000u + 7 * 2);
  EXPECT_EQ(p0.count + p1.count + p2.count, 7u);
  EXPECT_DOUBLE_EQ(p1.rate, 300);
  EXPECT_DOUBLE_EQ(p2.connect_rate, 10);
  ASSERT_EQ(p0.local_addresses.size(), 2u);  // entries 0 and 3
  EXPECT_EQ(p0.local_addresses[1].to_string(), "::1");
  ASSERT_EQ(p1.local_addresses.size(), 1u);  // entry 1
  EXPECT_EQ(p1.local_addresses[0].to_string(), "::1");
  EXPECT_NE(p0.seed, p1.seed);
}

TEST(Processes, WireFormatIsLossless) {
  RunReport r;
  r.mode = Mode::kAnswer;
  r.url = "ws://127.0.0.1:1/";
  r.threads = 2;
  r.connections = 30;
  r.measured_seconds = 2.5;
  r.stop_reason = "duration";
  r.stats.requests_sent = 11;
  r.stats.calls_answered = 3;
  r.stats.count_status(200);
  r.stats.count_status(401);
  r.stats.error(ErrorKind::kTimeout) = 4;
  for (std::uint64_t v : {1000u, 2000u, 3'000'000u}) {
    r.stats.latency.record(v);
  }
  r.gauges.registered = 29;
  r.cpu.user_seconds = 1.5;
  r.cpu.max_rss_kib = 1234;
  auto back = from_wire(to_wire(r));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->mode, Mode::kAnswer);
  EXPECT_EQ(back->connections, 30u);
  EXPECT_EQ(back->stats.requests_sent, 11u);
  EXPECT_EQ(back->stats.calls_answered, 3u);
  EXPECT_EQ(back->stats.responses_by_status[401], 1u);
  EXPECT_EQ(back->stats.error(ErrorKind::kTimeout), 4u);
  EXPECT_EQ(back->stats.latency.count(), 3u);
  EXPECT_EQ(back->stats.latency.max(), 3'000'000u);
  EXPECT_EQ(back->stats.latency.value_at_quantile(0.5), r.stats.latency.value_at_quantile(0.5));
  EXPECT_EQ(back->gauges.registered, 29u);
  EXPECT_EQ(back->cpu.max_rss_kib, 1234u);
  EXPECT_FALSE(from_wire("{}"));
  EXPECT_FALSE(from_wire("not json"));

  RunReport total;
  total.processes = 0;
  merge_into(total, *back);
  merge_into(total, *back);
  EXPECT_EQ(total.processes, 2u);
  EXPECT_EQ(total.connections, 60u);
  EXPECT_EQ(total.stats.latency.count(), 6u);
  EXPECT_EQ(total.gauges.registered, 58u);
  EXPECT_DOUBLE_EQ(total.cpu.user_seconds, 3.0);
  EXPECT_EQ(total.cpu.max_rss_kib, 1234u);
}

TEST(Processes, TheToolForksAndMergesTwoProcesses) {
  test::SipResponder r(test::ResponderOptions{});
  const std::string cmd = std::string(WIMPU_LOADGEN_BINARY) + " register --url " + r.url() +
                          " -c 4 -n 40 --processes 2 --json -q --token tok-p";
  std::FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof(buf), pipe)) {
    out.append(buf, n);
  }
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << out;
  const auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j["processes"], 2);
  EXPECT_EQ(j["connections"], 4);
  EXPECT_EQ(j["transactions"], 40);
  EXPECT_EQ(j["responses_by_status"]["200"], 40);
  EXPECT_EQ(j["latency"]["count"], 40);
  EXPECT_EQ(j["errors_total"], 0);
  EXPECT_EQ(j["stop_reason"], "count");
  const auto c = r.counts();
  EXPECT_EQ(c.registers, 40u);
  EXPECT_EQ(c.connections, 4u);
  EXPECT_EQ(c.bearer_tokens.at("tok-p"), 40u);
}

}  // namespace
}  // namespace wimpu::loadgen
