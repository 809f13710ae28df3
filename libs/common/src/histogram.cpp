#include "wimpu/common/histogram.hpp"

#include <algorithm>
#include <mutex>

#include "wimpu/common/assert.hpp"

namespace wimpu::common {

const std::vector<double>& default_latency_bounds() {
  static const std::vector<double> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                          0.1,    0.25,  0.5,    1.0,   2.5,  5.0};
  return bounds;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size())) {
  WIMPU_RELEASE_ASSERT(!bounds_.empty() && std::is_sorted(bounds_.begin(), bounds_.end()));
}

void Histogram::observe(std::chrono::nanoseconds d) {
  const double seconds = std::chrono::duration<double>(d).count();
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), seconds);
  if (it != bounds_.end()) {
    buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1,
                                                                        std::memory_order_relaxed);
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, d.count())),
                    std::memory_order_relaxed);
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s;
  s.bounds = bounds_;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  // Read the count last and never let it fall below the buckets (Prometheus wants +Inf >= le).
  s.count = std::max(running, count_.load(std::memory_order_relaxed));
  s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return s;
}

struct HistogramRegistry::Impl {
  mutable std::mutex mutex;
  std::map<std::string, std::unique_ptr<Histogram>, std::less<>> histograms;
};

HistogramRegistry& HistogramRegistry::global() {
  static HistogramRegistry registry;
  return registry;
}

HistogramRegistry::Impl& HistogramRegistry::impl() const {
  static Impl impl;
  return impl;
}

Histogram& HistogramRegistry::get(std::string_view name, const std::vector<double>& bounds) {
  Impl& i = impl();
  std::lock_guard lock(i.mutex);
  auto it = i.histograms.find(name);
  if (it == i.histograms.end()) {
    it = i.histograms.emplace(std::string(name), std::make_unique<Histogram>(bounds)).first;
  }
  return *it->second;
}

std::map<std::string, HistogramSnapshot> HistogramRegistry::snapshot() const {
  Impl& i = impl();
  std::lock_guard lock(i.mutex);
  std::map<std::string, HistogramSnapshot> out;
  for (const auto& [name, h] : i.histograms) {
    out.emplace(name, h->snapshot());
  }
  return out;
}

}  // namespace wimpu::common
