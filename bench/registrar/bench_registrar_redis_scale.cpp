// Issue 8 figure 5 on Redis: 1,000,000 bindings loaded into a real redis-server (started here,
// stopped by PID), then lookups of random IMPUs through the W4 redis backend from one process:
// latency percentiles of single lookups (one in flight: the round trip a terminating request
// waits for), the pipelined rate, and Redis memory per binding (INFO used_memory delta / n).
//   chrt -r 50 taskset -c 1 build/bench/registrar/bench_registrar_redis_scale
//       [bindings] [latency-samples] [redis-cpu]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "redis_bench.hpp"
#include "redis_server.hpp"
#include "sample.hpp"
#include "wimpu/registrar/redis_registrar.hpp"

namespace {

using namespace wimpu::registrar;
using namespace wimpu::registrar::bench;
using Clock = std::chrono::steady_clock;

enum class Kind { kLoad, kLookup, kIsRegistered };

struct Run {
  Kind kind;
  std::uint64_t n;           // operations
  std::uint64_t bindings;    // IMPUs loaded (lookups pick among them)
  std::uint64_t next = 0;
  std::uint64_t failed = 0;
  int workers = 0;
  boost::asio::io_context* ioc;
  std::vector<std::int64_t>* latency_ns = nullptr;  // one entry per op when set
};

boost::asio::awaitable<void> worker(W4* w4, Run* run) {
  const Block& block = *w4->blocks().find("bench");
  while (run->next < run->n) {
    const std::uint64_t k = run->next++;
    bool ok = false;
    const auto t0 = Clock::now();
    if (run->kind == Kind::kLoad) {
      // A named request: GCC 12 miscompiles braced literals inside a co_await expression.
      RegisterRequest req{"bench", sample_identity(k), {{sample_contact(k), 3600}}};
      auto r = co_await w4->register_contacts(std::move(req));
      ok = r.has_value();
    } else {
      // Random IMPUs over the whole loaded range (the index of WIC i is i: loaded in order).
      std::string impu = block.render(mix(k + 1234567) % run->bindings);
      if (run->kind == Kind::kLookup) {
        auto r = co_await w4->lookup(std::move(impu));
        ok = r && r->contacts.size() == 1;
      } else {
        auto r = co_await w4->is_registered(std::move(impu));
        ok = r && *r;
      }
    }
    if (run->latency_ns != nullptr) {
      run->latency_ns->push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
    }
    run->failed += ok ? 0 : 1;
  }
  if (--run->workers == 0) {
    run->ioc->stop();
  }
}

struct Counted : Rates {
  std::uint64_t failed;
};

Counted measure(boost::asio::io_context& ioc, W4& w4, const testing::RedisServer& server, Kind kind,
              std::uint64_t n, std::uint64_t bindings, int inflight,
              std::vector<std::int64_t>* latency = nullptr) {
  Run run{kind, n, bindings, 0, 0, inflight, &ioc, latency};
  const Rates rates = timed_run(ioc, server, n, inflight, [&] { return worker(&w4, &run); });
  return {rates, run.failed};
}

void print_rate(const char* what, const Counted& r) {
  std::printf("%-34s %9.0f /s wall  %9.0f per redis CPU-s  %9.0f per client CPU-s  failed %llu\n",
              what, r.wall, r.redis_cpu, r.client_cpu, static_cast<unsigned long long>(r.failed));
}

void print_latency(const char* what, std::vector<std::int64_t>& ns) {
  std::sort(ns.begin(), ns.end());
  const auto at = [&](double q) {
    return static_cast<double>(ns[std::min(
               ns.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ns.size())))]) /
           1000.0;
  };
  std::printf("%-34s p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f us (%zu samples)\n", what,
              at(0.50), at(0.90), at(0.99), at(0.999), static_cast<double>(ns.back()) / 1000.0,
              ns.size());
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : kMillion;
  const std::uint64_t samples = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100'000;
  const std::string redis_cpu = argc > 3 ? argv[3] : "";
  if (n == 0 || n > kMillion || samples == 0) {
    std::fprintf(stderr, "bindings must be 1..1000000, samples >= 1\n");
    return 2;
  }

  testing::RedisServer::Options so;
  so.appendonly = false;  // the scale figure; durability costs are in bench_registrar_redis
  testing::RedisServer server(pinned(so, redis_cpu));

  boost::asio::io_context ioc;
  auto w4 = bench_registrar(ioc, server);
  measure(ioc, *w4, server, Kind::kIsRegistered, 1, 1, 1);  // connect, load library, configure
  const long long mem0 = server.used_memory();

  std::printf("redis-server (AOF off), %llu bindings, pid %d\n",
              static_cast<unsigned long long>(n), static_cast<int>(server.pid()));
  // Group commit: 512 REGISTERs in flight, so each w4_register_records carries up to 128.
  Counted r = measure(ioc, *w4, server, Kind::kLoad, n, n, 512);
  print_rate("load (allocating REGISTERs)", r);
  const long long mem1 = server.used_memory();
  std::size_t strings = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    strings += contact_string_bytes(sample_contact(i)) + sample_identity(i).key().size();
  }
  std::printf("redis used_memory %.1f MiB -> %.1f MiB: %.0f bytes per binding (strings %.0f)\n",
              static_cast<double>(mem0) / 1048576.0, static_cast<double>(mem1) / 1048576.0,
              static_cast<double>(mem1 - mem0) / static_cast<double>(n),
              static_cast<double>(strings) / 1000.0);

  std::vector<std::int64_t> ns;
  ns.reserve(samples);
  r = measure(ioc, *w4, server, Kind::kLookup, samples, n, 1, &ns);
  print_rate("lookup, one in flight", r);
  print_latency("lookup latency (one in flight)", ns);
  ns.clear();
  r = measure(ioc, *w4, server, Kind::kIsRegistered, samples, n, 1, &ns);
  print_rate("is_registered, one in flight", r);
  print_latency("is_registered latency", ns);
  r = measure(ioc, *w4, server, Kind::kLookup, 2 * samples, n, 256);
  print_rate("lookup, 256 in flight", r);
  r = measure(ioc, *w4, server, Kind::kIsRegistered, 2 * samples, n, 256);
  print_rate("is_registered, 256 in flight", r);
  w4.reset();
  return 0;
}
