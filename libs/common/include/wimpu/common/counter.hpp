#pragma once
// Named counters: every error path increments one (STYLE.md habit 7). A counter is a relaxed atomic
// so shards can bump it without locks; the admin endpoint reads a snapshot of all of them.
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace wimpu::common {

/// A monotonically increasing counter. Thread-safe; increments are relaxed.
class Counter {
public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<std::uint64_t> value_{0};
};

/// Process-wide registry of counters by name. Registering is meant for start-up (it takes a lock);
/// the returned reference stays valid for the life of the process, so hot paths keep it.
class CounterRegistry {
public:
  /// The process registry.
  static CounterRegistry& global();
  /// Returns the counter called `name`, creating it at zero on first use. Thread-safe.
  Counter& get(std::string_view name);
  /// A copy of every counter's current value, sorted by name.
  std::map<std::string, std::uint64_t> snapshot() const;

private:
  struct Impl;
  Impl& impl() const;
};

/// Shorthand for CounterRegistry::global().get(name).
inline Counter& counter(std::string_view name) { return CounterRegistry::global().get(name); }

}  // namespace wimpu::common
