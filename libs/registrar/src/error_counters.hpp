#pragma once
// One named counter per W4 error and backend (STYLE.md habit 7): `w4.<backend>.error.<name>`.
// Counter references are looked up once (registration takes a lock) and then bumped lock-free.
#include <array>
#include <string>
#include <string_view>

#include "wimpu/common/counter.hpp"
#include "wimpu/registrar/types.hpp"

namespace wimpu::registrar::detail {

class ErrorCounters {
public:
  explicit ErrorCounters(std::string_view backend) {
    for (std::size_t i = 0; i < counters_.size(); ++i) {
      const auto e = static_cast<W4Error>(i + 1);
      counters_[i] = &common::counter("w4." + std::string(backend) + ".error." +
                                      std::string(to_string(e)));
    }
  }
  /// Counts `e` and returns it, so error paths read `return errors_.count(W4Error::kX);`.
  W4Error count(W4Error e) const {
    counters_[static_cast<std::size_t>(e) - 1]->inc();
    return e;
  }

private:
  std::array<common::Counter*, static_cast<std::size_t>(W4Error::kBackend)> counters_{};
};

}  // namespace wimpu::registrar::detail
