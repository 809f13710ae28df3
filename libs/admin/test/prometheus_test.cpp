#include <gtest/gtest.h>

#include "wimpu/admin/prometheus.hpp"
#include "wimpu/admin/query.hpp"

namespace wimpu::admin {
namespace {

TEST(Prometheus, MetricNamesAreSanitised) {
  EXPECT_EQ(metric_name("sip.parse_error.bad-via"), "wimpu_sip_parse_error_bad_via");
  EXPECT_EQ(metric_name("w4.memory.error.pool_exhausted"), "wimpu_w4_memory_error_pool_exhausted");
}

TEST(Prometheus, RendersCountersAndHistogramsInTextFormat) {
  common::HistogramSnapshot h;
  h.bounds = {0.001, 0.5};
  h.cumulative = {3, 4};
  h.count = 5;
  h.sum_seconds = 1.25;
  const std::string text =
      render_prometheus({{"a.b", 7}, {"c", 0}}, {{"w4.latency.lookup", h}});
  EXPECT_EQ(text,
            "# TYPE wimpu_a_b_total counter\n"
            "wimpu_a_b_total 7\n"
            "# TYPE wimpu_c_total counter\n"
            "wimpu_c_total 0\n"
            "# TYPE wimpu_w4_latency_lookup_seconds histogram\n"
            "wimpu_w4_latency_lookup_seconds_bucket{le=\"0.001\"} 3\n"
            "wimpu_w4_latency_lookup_seconds_bucket{le=\"0.5\"} 4\n"
            "wimpu_w4_latency_lookup_seconds_bucket{le=\"+Inf\"} 5\n"
            "wimpu_w4_latency_lookup_seconds_sum 1.25\n"
            "wimpu_w4_latency_lookup_seconds_count 5\n");
}

TEST(Query, DecodesPercentEscapesAndKeepsPlus) {
  EXPECT_EQ(query_param("/x?impu=sip%3A%2B1555%40b.example&y=2", "impu"), "sip:+1555@b.example");
  EXPECT_EQ(query_param("/x?impu=sip:+1555@b", "impu"), "sip:+1555@b");
  EXPECT_EQ(query_param("/x?a=1&b=2", "b"), "2");
  EXPECT_EQ(query_param("/x?a=1", "b"), std::nullopt);
  EXPECT_EQ(query_param("/x", "a"), std::nullopt);
  EXPECT_EQ(query_param("/x?a=%4", "a"), std::nullopt);
  EXPECT_EQ(query_param("/x?a=%zz", "a"), std::nullopt);
  EXPECT_EQ(percent_decode(percent_encode("sip:+1 é@x")), "sip:+1 é@x");
}

}  // namespace
}  // namespace wimpu::admin
