#pragma once
// Named latency histograms beside the counters (counter.hpp): fixed bucket bounds chosen at
// registration, relaxed atomics per bucket so any shard can observe without locks. The admin
// endpoint renders them in the Prometheus text format (cumulative `le` buckets, `_sum`, `_count`).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace wimpu::common {

/// A point-in-time copy of a histogram. `cumulative[i]` counts observations <= bounds[i]; the
/// implicit +Inf bucket equals `count`.
struct HistogramSnapshot {
  std::vector<double> bounds;  ///< Upper bounds in seconds, ascending.
  std::vector<std::uint64_t> cumulative;
  std::uint64_t count = 0;
  double sum_seconds = 0;
};

/// Default latency bounds in seconds: 0.5 ms .. 5 s, roughly 1-2.5-5 per decade (what Prometheus
/// client libraries default to, shifted down for loopback Cx/W4 round trips).
const std::vector<double>& default_latency_bounds();

/// A latency histogram. Thread-safe; observe() is lock-free (a few relaxed atomic adds).
class Histogram {
public:
  /// `bounds` must be ascending and non-empty (asserted).
  explicit Histogram(std::vector<double> bounds);
  /// Records one duration.
  void observe(std::chrono::nanoseconds d);
  /// A consistent-enough copy (each field read atomically; concurrent observes may be half-seen).
  HistogramSnapshot snapshot() const;

private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bound, not cumulative
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

/// Process-wide registry of histograms by name, like CounterRegistry.
class HistogramRegistry {
public:
  /// The process registry.
  static HistogramRegistry& global();
  /// The histogram called `name`, created with `bounds` on first use (later calls keep the
  /// first bounds). The reference stays valid for the life of the process. Thread-safe.
  Histogram& get(std::string_view name, const std::vector<double>& bounds = default_latency_bounds());
  /// Every histogram's snapshot, sorted by name.
  std::map<std::string, HistogramSnapshot> snapshot() const;

private:
  struct Impl;
  Impl& impl() const;
};

/// Shorthand for HistogramRegistry::global().get(name).
inline Histogram& histogram(std::string_view name) { return HistogramRegistry::global().get(name); }

}  // namespace wimpu::common
