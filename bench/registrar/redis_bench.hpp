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

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
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

/// Operations per second of wall time, per CPU-second of this process and of redis-server.
struct Rates {
  double wall;
  double client_cpu;
  double redis_cpu;
};

/// Spawns `inflight` coroutines `make_worker()` on `ioc`, runs it until they are done, and gives
/// the rates of the `n` operations they did between them.
template <class MakeWorker>
Rates timed_run(boost::asio::io_context& ioc, const testing::RedisServer& server, std::uint64_t n,
                int inflight, MakeWorker make_worker) {
  const double r0 = redis_cpu_s(server);
  const double c0 = cpu_s();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < inflight; ++i) {
    boost::asio::co_spawn(ioc, make_worker(), boost::asio::detached);
  }
  ioc.restart();
  ioc.run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double dn = static_cast<double>(n);
  return {dn / wall, dn / (cpu_s() - c0), dn / (redis_cpu_s(server) - r0)};
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
