#pragma once
// Process resources the load tool reports or adjusts: open-files limit, CPU time, peak memory.
#include <cstdint>

namespace wimpu::loadgen {

/// Raises the RLIMIT_NOFILE soft limit to the hard limit (each connection is one descriptor;
/// the hard limit here is 20,000 per process). Returns the soft limit in force afterwards.
std::uint64_t raise_nofile_limit() noexcept;

/// CPU time of this process (getrusage RUSAGE_SELF, all threads).
struct CpuUsage {
  double user_seconds = 0;
  double system_seconds = 0;
  double wall_seconds = 0;         ///< wall time the CPU figures cover
  std::uint64_t max_rss_kib = 0;   ///< peak resident set size (ru_maxrss) at the end

  double total_seconds() const noexcept { return user_seconds + system_seconds; }
  /// CPU seconds per wall second (1.0 = one core busy).
  double cores_used() const noexcept {
    return wall_seconds > 0 ? total_seconds() / wall_seconds : 0;
  }
};

/// Snapshot of getrusage(RUSAGE_SELF) with wall_seconds = the monotonic clock now.
CpuUsage cpu_now() noexcept;
/// end - start (times), max_rss_kib from `end`.
CpuUsage cpu_between(const CpuUsage& start, const CpuUsage& end) noexcept;

}  // namespace wimpu::loadgen
