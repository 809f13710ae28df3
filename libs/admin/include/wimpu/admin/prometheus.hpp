#pragma once
// Prometheus text exposition format 0.0.4 (prometheus.io/docs/instrumenting/exposition_formats):
// every libs/common counter as `wimpu_<name>_total` (counter) and every histogram as
// `wimpu_<name>_seconds` (histogram: cumulative `_bucket{le=...}`, `+Inf`, `_sum`, `_count`).
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "wimpu/common/histogram.hpp"

namespace wimpu::admin {

/// The Content-Type of render_prometheus()'s output.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

/// A valid Prometheus metric name for a dotted wimpu name: "wimpu_" + the name with every
/// character outside [A-Za-z0-9_] replaced by '_' ("sip.parse_error.bad-via" ->
/// "wimpu_sip_parse_error_bad_via"). Pure.
std::string metric_name(std::string_view dotted);

/// Renders `counters` and `histograms` (names as registered) in the text format. Pure.
std::string render_prometheus(const std::map<std::string, std::uint64_t>& counters,
                              const std::map<std::string, common::HistogramSnapshot>& histograms);

/// Text in the exposition format (with its own `# TYPE` lines) a process adds to every scrape,
/// e.g. gauges read at scrape time (live flows, transactions). Called on the admin thread.
using MetricsSource = std::function<std::string()>;

/// Registers `source` under `name`, replacing any of that name; render_process_metrics()
/// appends its output (sources in name order). Thread-safe.
void set_metrics_source(const std::string& name, MetricsSource source);
/// Removes the source `name` (before what it reads goes away); waits for a scrape using it.
/// Thread-safe.
void clear_metrics_source(const std::string& name);

/// render_prometheus() of the process-wide registries, then every metrics source. Thread-safe.
std::string render_process_metrics();

}  // namespace wimpu::admin
