// Redis backend from one process: pipelined W4 operations per second over one hiredis connection
// on one io_context (target: >= 100,000 registers/s), and Redis memory per binding (INFO memory
// before/after). Starts its own redis-server (optionally pinned) and stops it.
//   taskset -c 0 build/bench/registrar/bench_registrar_redis [bindings] [inflight] [aof] [redis-cpu]
//   aof: no | everysec | always
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "redis_server.hpp"
#include "sample.hpp"
#include "wimpu/registrar/redis_registrar.hpp"

namespace {

using namespace wimpu::registrar;
using namespace wimpu::registrar::bench;
using Clock = std::chrono::steady_clock;

enum class Kind { kAllocate, kRefresh, kIsRegistered, kLookup };

struct Run {
  Kind kind;
  std::uint64_t n;
  std::uint64_t next = 0;
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  int workers = 0;
  boost::asio::io_context* ioc;
};

boost::asio::awaitable<void> worker(W4* w4, Run* run) {
  while (run->next < run->n) {
    const std::uint64_t i = run->next++;
    bool ok = false;
    switch (run->kind) {
      case Kind::kAllocate:
      case Kind::kRefresh: {
        const std::uint32_t cseq = run->kind == Kind::kAllocate ? 1 : 2;
        // A named request: GCC 12 miscompiles braced literals inside a co_await expression.
        RegisterRequest req{"bench", sample_identity(i), {{sample_contact(i, cseq), 3600}}};
        auto r = co_await w4->register_contacts(std::move(req));
        ok = r.has_value();
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

double measure(boost::asio::io_context& ioc, W4& w4, Kind kind, std::uint64_t n, int inflight,
               std::uint64_t& failed) {
  Run run{kind, n, 0, 0, 0, inflight, &ioc};
  const auto t0 = Clock::now();
  for (int i = 0; i < inflight; ++i) {
    boost::asio::co_spawn(ioc, worker(&w4, &run), boost::asio::detached);
  }
  ioc.restart();
  ioc.run();
  failed = run.failed;
  return static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - t0).count();
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
  if (!redis_cpu.empty()) {
    so.wrapper = {"/usr/bin/taskset", "-c", redis_cpu};
  }
  testing::RedisServer server(so);

  boost::asio::io_context ioc;
  RedisOptions ro;
  ro.port = server.port();
  ro.op_timeout = std::chrono::seconds(10);
  auto w4 = std::make_unique<RedisRegistrar>(
      ioc.get_executor(), std::make_shared<const BlockSet>(std::vector<BlockConfig>{million_block()}),
      ro);
  std::uint64_t failed = 0;
  measure(ioc, *w4, Kind::kIsRegistered, 1, 1, failed);  // connect, load, configure
  const long long mem0 = server.used_memory();

  std::printf("redis-server %s, AOF %s, %llu bindings, %d commands in flight on one connection\n",
              server.command({"INFO", "server"}).find("redis_version:7") != std::string::npos
                  ? "7.x" : "?",
              aof.c_str(), static_cast<unsigned long long>(n), inflight);
  const double alloc = measure(ioc, *w4, Kind::kAllocate, n, inflight, failed);
  std::printf("register (allocating)   %9.0f /s  failed %llu\n", alloc,
              static_cast<unsigned long long>(failed));
  const long long mem1 = server.used_memory();
  const double refresh = measure(ioc, *w4, Kind::kRefresh, n, inflight, failed);
  std::printf("register (refresh)      %9.0f /s  failed %llu\n", refresh,
              static_cast<unsigned long long>(failed));
  const double isreg = measure(ioc, *w4, Kind::kIsRegistered, n, inflight, failed);
  std::printf("is_registered           %9.0f /s  failed %llu\n", isreg,
              static_cast<unsigned long long>(failed));
  const double lookup = measure(ioc, *w4, Kind::kLookup, n, inflight, failed);
  std::printf("lookup                  %9.0f /s  failed %llu\n", lookup,
              static_cast<unsigned long long>(failed));
  std::size_t strings = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    strings += contact_string_bytes(sample_contact(i)) + sample_identity(i).key().size();
  }
  std::printf("redis used_memory       %.1f MiB -> %.1f MiB: %.0f bytes per binding "
              "(its strings: %.0f bytes)\n",
              static_cast<double>(mem0) / 1048576.0, static_cast<double>(mem1) / 1048576.0,
              static_cast<double>(mem1 - mem0) / static_cast<double>(n),
              static_cast<double>(strings) / 1000.0);
  w4.reset();
  return 0;
}
