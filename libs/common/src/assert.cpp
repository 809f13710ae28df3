#include "wimpu/common/assert.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace wimpu::common {
namespace {
std::atomic<std::uint64_t> g_bugs{0};
}

void assert_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "wimpu: assertion failed: %s at %s:%d\n", condition, file, line);
  std::abort();
}

void bug_reported(const char* what, const char* file, int line) {
  g_bugs.fetch_add(1, std::memory_order_relaxed);
  std::fprintf(stderr, "wimpu: BUG: %s at %s:%d\n", what, file, line);
#ifndef NDEBUG
  std::abort();
#endif
}

std::uint64_t bug_count() { return g_bugs.load(std::memory_order_relaxed); }

}  // namespace wimpu::common
