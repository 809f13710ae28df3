#pragma once
// Human-readable and JSON renderings of a RunReport.
#include <string>
#include <string_view>

#include "wimpu/common/expected.hpp"
#include "wimpu/loadgen/engine.hpp"
#include "wimpu/loadgen/error.hpp"

namespace wimpu::loadgen {

/// Multi-line text: configuration, rates, status codes, errors, latency percentiles, connection
/// figures, the tool's own CPU and memory.
std::string format_text(const RunReport& report);

/// One JSON object (stable keys, documented in bench/loadgen/README.md). Latencies in
/// microseconds (floating point), rates per second.
std::string format_json(const RunReport& report);

/// The whole report in a lossless JSON form (histogram buckets included), for a child process
/// to hand its figures to the parent of a multi-process run.
std::string to_wire(const RunReport& report);
/// Parses to_wire() output.
Expected<RunReport, Error> from_wire(std::string_view text);
/// Adds `part` (one process's report) into `total`: counters and histograms merged exactly,
/// gauges and CPU summed, the window and peak RSS as the maximum.
void merge_into(RunReport& total, const RunReport& part);

/// One progress line ("t=3.0s established=100 registered=100 done=12345 (+4100/s) errors=0").
/// `previous_done` / `interval_s` give the rate since the last line.
std::string format_progress(double elapsed_s, const Gauges& g, std::uint64_t previous_done,
                            double interval_s);

}  // namespace wimpu::loadgen
