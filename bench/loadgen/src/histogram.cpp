#include "wimpu/loadgen/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace wimpu::loadgen {
namespace {

constexpr unsigned kSubBits = 10;                     // 1024 exact values, then 512 per octave
constexpr std::uint64_t kSubCount = 1u << kSubBits;  // 1024
constexpr std::uint64_t kHalf = kSubCount / 2;        // 512

}  // namespace

Histogram::Histogram() : counts_(std::make_unique<std::array<std::uint64_t, kBuckets>>()) {
  counts_->fill(0);
}

Histogram::Histogram(const Histogram& other)
    : counts_(std::make_unique<std::array<std::uint64_t, kBuckets>>(*other.counts_)),
      count_(other.count_),
      min_(other.min_),
      max_(other.max_),
      sum_(other.sum_) {}

Histogram& Histogram::operator=(const Histogram& other) {
  if (this != &other) {
    if (!counts_) {
      counts_ = std::make_unique<std::array<std::uint64_t, kBuckets>>();
    }
    *counts_ = *other.counts_;
    count_ = other.count_;
    min_ = other.min_;
    max_ = other.max_;
    sum_ = other.sum_;
  }
  return *this;
}

std::size_t Histogram::index_of(std::uint64_t value) noexcept {
  if (value < kSubCount) {
    return static_cast<std::size_t>(value);
  }
  // value >= 1024: its top bit is at position b >= 10; shifting right by e = b - 9 leaves a
  // sub-bucket in [512, 1023]. Index = e * 512 + sub is continuous with the exact range.
  const unsigned b = 63u - static_cast<unsigned>(std::countl_zero(value));
  const unsigned e = b - (kSubBits - 1);
  const std::uint64_t sub = value >> e;
  return static_cast<std::size_t>(e * kHalf + sub);
}

std::uint64_t Histogram::highest_equivalent(std::size_t index) noexcept {
  if (index < kSubCount) {
    return index;
  }
  const std::uint64_t e = index / kHalf - 1;
  const std::uint64_t sub = index - e * kHalf;
  // ((sub + 1) << e) - 1 overflows only for the very last bucket, whose top is 2^64 - 1.
  if (e >= 54 && sub == kSubCount - 1) {
    return ~std::uint64_t{0};
  }
  return ((sub + 1) << e) - 1;
}

void Histogram::record(std::uint64_t value) noexcept {
  ++(*counts_)[index_of(value)];
  if (count_ == 0 || value < min_) {
    min_ = value;
  }
  max_ = std::max(max_, value);
  ++count_;
  sum_ += static_cast<long double>(value);
}

void Histogram::merge(const Histogram& other) noexcept {
  if (other.count_ == 0) {
    return;
  }
  for (std::size_t i = 0; i < kBuckets; ++i) {
    (*counts_)[i] += (*other.counts_)[i];
  }
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    if ((*counts_)[i] != 0) {
      s.buckets.emplace_back(static_cast<std::uint32_t>(i), (*counts_)[i]);
    }
  }
  s.min = min();
  s.max = max_;
  s.sum = static_cast<double>(sum_);
  return s;
}

void Histogram::merge(const Snapshot& s) noexcept {
  std::uint64_t n = 0;
  for (const auto& [index, c] : s.buckets) {
    if (index < kBuckets) {
      (*counts_)[index] += c;
      n += c;
    }
  }
  if (n == 0) {
    return;
  }
  min_ = count_ == 0 ? s.min : std::min(min_, s.min);
  max_ = std::max(max_, s.max);
  count_ += n;
  sum_ += static_cast<long double>(s.sum);
}

void Histogram::reset() noexcept {
  counts_->fill(0);
  count_ = 0;
  min_ = 0;
  max_ = 0;
  sum_ = 0;
}

double Histogram::mean() const noexcept {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

std::uint64_t Histogram::value_at_quantile(double q) const noexcept {
  if (count_ == 0) {
    return 0;
  }
  q = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += (*counts_)[i];
    if (seen >= rank) {
      return std::min(highest_equivalent(i), max_);
    }
  }
  return max_;
}

}  // namespace wimpu::loadgen
