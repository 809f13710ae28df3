#pragma once
// The Envoy assert triad: WIMPU_ASSERT (debug only), WIMPU_RELEASE_ASSERT (always fatal) and
// WIMPU_BUG (abort in debug; in release log and count, then carry on) for "cannot happen" paths
// where the process can still serve everyone else.
#include <cstdint>

namespace wimpu::common {

/// Aborts the process after logging file/line and the failed condition. Never returns.
[[noreturn]] void assert_failed(const char* condition, const char* file, int line);

/// Logs and counts a broken invariant in release builds; aborts in debug builds.
void bug_reported(const char* what, const char* file, int line);

/// Number of WIMPU_BUG hits since start (exposed as a metric; tests read it).
std::uint64_t bug_count();

}  // namespace wimpu::common

#define WIMPU_RELEASE_ASSERT(cond)                                        \
  do {                                                                    \
    if (!(cond)) [[unlikely]] {                                           \
      ::wimpu::common::assert_failed(#cond, __FILE__, __LINE__);          \
    }                                                                     \
  } while (false)

#ifdef NDEBUG
#define WIMPU_ASSERT(cond) \
  do {                     \
  } while (false)
#else
#define WIMPU_ASSERT(cond) WIMPU_RELEASE_ASSERT(cond)
#endif

#define WIMPU_BUG(what) ::wimpu::common::bug_reported(what, __FILE__, __LINE__)
