#pragma once
// What the two redis benchmarks share: the redis-server (optionally pinned), the W4 client on a
// 1,000,000-IMPU block, and CPU time (rates are given per CPU-second of this process and of
// redis-server, so a run on a shared machine still compares like with like).
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "redis_server.hpp"
#include "sample.hpp"
#include "wimpu/registrar/redis_registrar.hpp"

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

/// `options` with redis-server run under `taskset -c redis_cpu` when redis_cpu is not empty.
inline testing::RedisServer::Options pinned(testing::RedisServer::Options options,
                                            const std::string& redis_cpu) {
  if (!redis_cpu.empty()) {
    options.wrapper = {"/usr/bin/taskset", "-c", redis_cpu};
  }
  return options;
}

/// The W4 redis client of the benchmarks: `server`, the million_block(), 10 s per operation.
inline std::unique_ptr<RedisRegistrar> bench_registrar(boost::asio::io_context& ioc,
                                                      const testing::RedisServer& server) {
  RedisOptions ro;
  ro.port = server.port();
  ro.op_timeout = std::chrono::seconds(10);
  return std::make_unique<RedisRegistrar>(
      ioc.get_executor(),
      std::make_shared<const BlockSet>(std::vector<BlockConfig>{million_block()}), ro);
}

}  // namespace wimpu::registrar::bench
