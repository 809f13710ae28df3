// Redis backend from one process: pipelined W4 operations per second over one hiredis connection
// on one io_context (target: >= 100,000 registers/s), and Redis memory per binding (INFO memory
// before/after). Starts its own redis-server (optionally pinned) and stops it.
//   taskset -c 0 build/bench/registrar/bench_registrar_redis [bindings] [inflight] [aof]
//   [redis-cpu] aof: no | everysec | always
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>
#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "redis_bench.hpp"
#include "redis_server.hpp"
#include "sample.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/registrar/redis_registrar.hpp"

namespace {

using namespace wimpu::registrar;
using namespace wimpu::registrar::bench;

enum class Kind { kAllocate, kRefresh, kRefreshNoHint, kIsRegistered, kLookup };

struct Run {
  Kind kind;
  std::uint64_t n;
  std::uint64_t next = 0;
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  int workers = 0;
  boost::asio::io_context* ioc;
  // The IMPU each WIC got when it allocated: a refresh passes it as RegisterRequest::impu_hint,
  // as an eP-CSCF that kept its registration state does.
  std::vector<std::string>* impus;
};

boost::asio::awaitable<void> worker(W4* w4, Run* run) {
  while (run->next < run->n) {
    const std::uint64_t i = run->next++;
    bool ok = false;
    switch (run->kind) {
      case Kind::kAllocate:
      case Kind::kRefresh:
      case Kind::kRefreshNoHint: {
        const std::uint32_t cseq = run->kind == Kind::kAllocate ? 1
                                   : run->kind == Kind::kRefresh ? 2
                                                                 : 3;
        // A named request: GCC 12 miscompiles braced literals inside a co_await expression.
        RegisterRequest req{"bench", sample_identity(i), {{sample_contact(i, cseq), 3600}}};
        if (run->kind == Kind::kRefresh) {
          req.impu_hint = (*run->impus)[i];
        }
        auto r = co_await w4->register_contacts(std::move(req));
        ok = r.has_value();
        if (ok && run->kind == Kind::kAllocate) {
          (*run->impus)[i] = std::move(r->impu);
        }
        if (!ok && run->failed == 0) {
          std::fprintf(stderr, "first failure (WIC %llu): %s\n", static_cast<unsigned long long>(i),
                       std::string(to_string(r.error())).c_str());
        }
        break;
      }
      case Kind::kIsRegistered: {
        auto r = co_await w4->is_registered(w4->blocks().find("bench")->render(i));
        ok = r && *r;
        break;
      }
      case Kind::kLookup: {
        auto r = co_await w4->lookup(w4->blocks().find("bench")->render(i));
        ok = r && r->contacts.size() == 1;
        break;
      }
    }
    ++(ok ? run->done : run->failed);
  }
  if (--run->workers == 0) {
    run->ioc->stop();
  }
}

Rates measure(boost::asio::io_context& ioc, W4& w4, const testing::RedisServer& server, Kind kind,
              std::uint64_t n, int inflight, std::uint64_t& failed) {
  static std::vector<std::string> impus;
  impus.resize(std::max<std::uint64_t>(impus.size(), n));
  Run run{kind, n, 0, 0, 0, inflight, &ioc, &impus};
  const Rates rates = timed_run(ioc, server, n, inflight, [&] { return worker(&w4, &run); });
  failed = run.failed;
  return rates;
}

void print(const char* what, const Rates& r, std::uint64_t failed) {
  std::printf("%-22s %9.0f /s wall  %9.0f per redis CPU-s  %9.0f per client CPU-s  failed %llu\n",
              what, r.wall, r.redis_cpu, r.client_cpu, static_cast<unsigned long long>(failed));
  // Group commit: how many REGISTERs shared each w4_register_records call so far.
  static auto& calls = wimpu::common::counter("w4.redis.batch.calls");
  static auto& requests = wimpu::common::counter("w4.redis.batch.requests");
  static std::uint64_t calls0 = 0, requests0 = 0;
  if (calls.value() != calls0) {
    std::printf("%-22s %9.1f REGISTERs per FCALL w4_register_records\n", "",
                static_cast<double>(requests.value() - requests0) /
                    static_cast<double>(calls.value() - calls0));
    calls0 = calls.value();
    requests0 = requests.value();
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200'000;
  const int inflight = argc > 2 ? std::atoi(argv[2]) : 256;
  const std::string aof = argc > 3 ? argv[3] : "no";
  const std::string redis_cpu = argc > 4 ? argv[4] : "";

  testing::RedisServer::Options so;
  so.appendonly = aof != "no";
  so.fsync_always = aof == "always";
  testing::RedisServer server(pinned(so, redis_cpu));

  boost::asio::io_context ioc;
  auto w4 = bench_registrar(ioc, server);
  std::uint64_t failed = 0;
  measure(ioc, *w4, server, Kind::kIsRegistered, 1, 1, failed);  // connect, load, configure
  const long long mem0 = server.used_memory();

  std::printf("redis-server 7.x, AOF %s, %llu bindings, %d commands in flight on one connection\n",
              aof.c_str(), static_cast<unsigned long long>(n), inflight);
  // (Each rate is taken before printing: the argument order of print() is unspecified.)
  Rates r = measure(ioc, *w4, server, Kind::kAllocate, n, inflight, failed);
  print("register (allocating)", r, failed);
  const long long mem1 = server.used_memory();
  r = measure(ioc, *w4, server, Kind::kRefresh, n, inflight, failed);
  print("register (refresh)", r, failed);
  r = measure(ioc, *w4, server, Kind::kRefreshNoHint, n, inflight, failed);
  print("refresh without hint", r, failed);
  r = measure(ioc, *w4, server, Kind::kIsRegistered, n, inflight, failed);
  print("is_registered", r, failed);
  r = measure(ioc, *w4, server, Kind::kLookup, n, inflight, failed);
  print("lookup", r, failed);
  std::size_t strings = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    strings += contact_string_bytes(sample_contact(i)) + sample_identity(i).key().size();
  }
  std::printf(
      "redis used_memory       %.1f MiB -> %.1f MiB: %.0f bytes per binding "
      "(its strings: %.0f bytes)\n",
      static_cast<double>(mem0) / 1048576.0, static_cast<double>(mem1) / 1048576.0,
      static_cast<double>(mem1 - mem0) / static_cast<double>(n),
      static_cast<double>(strings) / 1000.0);
  w4.reset();
  return 0;
}
