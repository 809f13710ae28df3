#pragma once
// A log-bucketed latency histogram in the manner of HdrHistogram: values below 1024 are counted
// exactly; above, each power-of-two range is split into 512 linear sub-buckets, so any recorded
// value is known to within 1/512 (0.2%) of itself, whatever its magnitude. Recording is an index
// computation and an increment (no allocation, no sort), cheap enough for every response.
#include <array>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace wimpu::loadgen {

/// Counts non-negative integer values (the load tool records nanoseconds).
///
/// Threading: not thread-safe; each worker thread owns one and the reporter merges them after the
/// workers stopped (or on the owning thread). Copyable (about 230 KB of counters).
class Histogram {
public:
  /// Number of counters: 54 exponents x 512 sub-buckets + the exact range.
  static constexpr std::size_t kBuckets = 28672;

  Histogram();
  Histogram(const Histogram& other);
  Histogram& operator=(const Histogram& other);
  Histogram(Histogram&&) noexcept = default;
  Histogram& operator=(Histogram&&) noexcept = default;
  ~Histogram() = default;

  /// Adds one observation of `value`.
  void record(std::uint64_t value) noexcept;
  /// Adds every observation of `other` (bucket-wise; exact min/max/sum kept).
  void merge(const Histogram& other) noexcept;
  /// Forgets every observation.
  void reset() noexcept;

  /// Number of observations.
  std::uint64_t count() const noexcept { return count_; }
  /// Smallest and largest observation recorded (exact); 0 when empty.
  std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const noexcept { return max_; }
  /// Arithmetic mean (exact sum / count); 0 when empty.
  double mean() const noexcept;
  /// The value at quantile `q` in [0, 1]: the highest value equivalent to the bucket holding the
  /// ceil(q * count)-th smallest observation, clamped to max() (so p100 == max). 0 when empty.
  std::uint64_t value_at_quantile(double q) const noexcept;

  /// The non-empty buckets and the exact summary, to carry a histogram to another process.
  struct Snapshot {
    std::vector<std::pair<std::uint32_t, std::uint64_t>> buckets;  ///< (index, count)
    std::uint64_t min = 0;
    std::uint64_t max = 0;
    double sum = 0;
  };
  /// This histogram as a Snapshot (allocates; reporting time only).
  Snapshot snapshot() const;
  /// Adds a Snapshot's observations (as merge() does). Indices out of range are ignored.
  void merge(const Snapshot& s) noexcept;

  /// Bucket index for `value` (exposed for tests of the bucketing).
  static std::size_t index_of(std::uint64_t value) noexcept;
  /// Largest value that maps to bucket `index`.
  static std::uint64_t highest_equivalent(std::size_t index) noexcept;

private:
  std::unique_ptr<std::array<std::uint64_t, kBuckets>> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace wimpu::loadgen
