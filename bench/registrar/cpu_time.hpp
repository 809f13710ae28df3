#pragma once
// CPU time for the redis benchmarks: rates are given per CPU-second of this process and of
// redis-server, so a run on a shared machine still compares like with like.
#include <cstring>
#include <ctime>
#include <string>

#include "redis_server.hpp"

namespace wimpu::registrar::bench {

/// CPU seconds this process has used (CLOCK_PROCESS_CPUTIME_ID).
inline double cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// used_cpu_user + used_cpu_sys of the server (INFO cpu).
inline double redis_cpu_s(const testing::RedisServer& server) {
  const std::string info = server.command({"INFO", "cpu"});
  double total = 0;
  for (const char* key : {"used_cpu_sys:", "used_cpu_user:"}) {
    const auto pos = info.find(key);
    total += std::stod(info.substr(pos + std::strlen(key)));
  }
  return total;
}

}  // namespace wimpu::registrar::bench
