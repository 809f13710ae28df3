#include "wimpu/common/counter.hpp"

#include <memory>
#include <mutex>

namespace wimpu::common {

struct CounterRegistry::Impl {
  mutable std::mutex mutex;
  // std::map keeps node addresses stable, so references handed out stay valid.
  std::map<std::string, std::unique_ptr<Counter>, std::less<>> counters;
};

CounterRegistry& CounterRegistry::global() {
  static CounterRegistry registry;
  return registry;
}

CounterRegistry::Impl& CounterRegistry::impl() const {
  static Impl impl;
  return impl;
}

Counter& CounterRegistry::get(std::string_view name) {
  Impl& i = impl();
  std::lock_guard lock(i.mutex);
  auto it = i.counters.find(name);
  if (it == i.counters.end()) {
    it = i.counters.emplace(std::string(name), std::make_unique<Counter>()).first;
  }
  return *it->second;
}

std::map<std::string, std::uint64_t> CounterRegistry::snapshot() const {
  Impl& i = impl();
  std::lock_guard lock(i.mutex);
  std::map<std::string, std::uint64_t> out;
  for (const auto& [name, c] : i.counters) {
    out.emplace(name, c->value());
  }
  return out;
}

}  // namespace wimpu::common
