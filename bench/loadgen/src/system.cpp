#include "wimpu/loadgen/system.hpp"

#include <sys/resource.h>

#include <chrono>

namespace wimpu::loadgen {
namespace {

double seconds(const timeval& tv) noexcept {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace

std::uint64_t raise_nofile_limit() noexcept {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return 0;
  }
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      lim = raised;
    }
  }
  return static_cast<std::uint64_t>(lim.rlim_cur);
}

CpuUsage cpu_now() noexcept {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  CpuUsage c;
  c.user_seconds = seconds(ru.ru_utime);
  c.system_seconds = seconds(ru.ru_stime);
  c.wall_seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count();
  c.max_rss_kib = static_cast<std::uint64_t>(ru.ru_maxrss);
  return c;
}

CpuUsage cpu_between(const CpuUsage& start, const CpuUsage& end) noexcept {
  CpuUsage d;
  d.user_seconds = end.user_seconds - start.user_seconds;
  d.system_seconds = end.system_seconds - start.system_seconds;
  d.wall_seconds = end.wall_seconds - start.wall_seconds;
  d.max_rss_kib = end.max_rss_kib;
  return d;
}

}  // namespace wimpu::loadgen
