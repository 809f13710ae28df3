// Memory backend throughput, one thread, 1,000,000 bindings loaded (targets in issue 3:
// >= 2,000,000 lookups/s and >= 500,000 registers/s per core).
//   taskset -c 1 build/bench/registrar/bench_registrar_memory
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "sample.hpp"
#include "wimpu/registrar/memory_registrar.hpp"

namespace wimpu::registrar::bench {
namespace {

struct Loaded {
  std::shared_ptr<MemoryRegistrar> registrar;
  std::vector<std::uint32_t> cseq;   // next CSeq per WIC
  std::vector<std::uint32_t> order;  // random visiting order
  std::string impu = "sip:+15550000000@block.example";

  // The IMPU of index i, written into one reused buffer: like a Request-URI in a hot parse
  // buffer (a vector of 1M strings would add a cache miss of the benchmark's own per lookup).
  const std::string& impu_of(std::uint32_t i) {
    for (int d = 15; d >= 10; --d) {
      impu[static_cast<std::size_t>(d)] = static_cast<char>('0' + i % 10);
      i /= 10;
    }
    return impu;
  }
};

Loaded& loaded() {
  static Loaded l = [] {
    Loaded x;
    x.registrar = std::make_shared<MemoryRegistrar>(
        std::make_shared<const BlockSet>(std::vector<BlockConfig>{million_block()}),
        common::SystemClock::instance());
    for (std::uint64_t i = 0; i < kMillion; ++i) {
      auto r =
          x.registrar->register_now({"bench", sample_identity(i), {{sample_contact(i), 3600}}});
      if (!r) {
        std::abort();
      }
    }
    x.cseq.assign(kMillion, 2);
    for (std::uint64_t i = 0; i < kMillion; ++i) {
      x.order.push_back(static_cast<std::uint32_t>(mix(i + 77) % kMillion));
    }
    return x;
  }();
  return l;
}

void BM_Lookup(benchmark::State& state) {
  auto& l = loaded();
  std::size_t k = 0;
  for (auto _ : state) {
    auto r = l.registrar->lookup_now(l.impu_of(l.order[k++ % kMillion]));
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Lookup);

// The allocation-free form: the result is written into one Binding reused across lookups, as a
// shard keeps one per hot path (W4::lookup_reusing; MemoryRegistrar::lookup_now(impu, out)).
void BM_LookupReusing(benchmark::State& state) {
  auto& l = loaded();
  std::size_t k = 0;
  Binding out;
  for (auto _ : state) {
    auto r = l.registrar->lookup_now(l.impu_of(l.order[k++ % kMillion]), out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.contacts.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupReusing);

void BM_IsRegistered(benchmark::State& state) {
  auto& l = loaded();
  std::size_t k = 0;
  for (auto _ : state) {
    auto r = l.registrar->is_registered_now(l.impu_of(l.order[k++ % kMillion]));
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IsRegistered);

// The same on 256 IMPUs only: the working set stays in cache, so this is the CPU cost of a
// lookup without the DRAM misses of a random IMPU among 1,000,000.
void BM_LookupHot(benchmark::State& state) {
  auto& l = loaded();
  std::size_t k = 0;
  for (auto _ : state) {
    auto r = l.registrar->lookup_now(l.impu_of(l.order[k++ % 256]));
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupHot);

void BM_LookupReusingHot(benchmark::State& state) {
  auto& l = loaded();
  std::size_t k = 0;
  Binding out;
  for (auto _ : state) {
    auto r = l.registrar->lookup_now(l.impu_of(l.order[k++ % 256]), out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.contacts.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupReusingHot);

void BM_IsRegisteredHot(benchmark::State& state) {
  auto& l = loaded();
  std::size_t k = 0;
  for (auto _ : state) {
    auto r = l.registrar->is_registered_now(l.impu_of(l.order[k++ % 256]));
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IsRegisteredHot);

// Through the W4 coroutine interface, as a shard calls it (co_await, completes inline).
boost::asio::awaitable<void> lookup_loop(benchmark::State* state, W4* w4) {
  auto& l = loaded();
  std::size_t k = 0;
  for (auto _ : *state) {
    auto r = co_await w4->lookup(l.impu_of(l.order[k++ % kMillion]));
    benchmark::DoNotOptimize(r);
  }
}

void BM_LookupAwait(benchmark::State& state) {
  auto& l = loaded();
  boost::asio::io_context ioc;
  boost::asio::co_spawn(ioc, lookup_loop(&state, l.registrar.get()), boost::asio::detached);
  ioc.run();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupAwait);

// What a shard's terminating path does through W4: the IMPU copied out of the request into a
// std::string, one Binding handed to lookup_reusing() and taken back every time.
boost::asio::awaitable<void> lookup_reusing_loop(benchmark::State* state, W4* w4) {
  auto& l = loaded();
  std::size_t k = 0;
  Binding keep;
  for (auto _ : *state) {
    std::string impu = l.impu_of(l.order[k++ % kMillion]);
    auto r = co_await w4->lookup_reusing(std::move(impu), std::move(keep));
    if (!r) {
      state->SkipWithError("lookup failed");
      break;
    }
    keep = std::move(*r);
    benchmark::DoNotOptimize(keep.contacts.data());
  }
}

void BM_LookupReusingAwait(benchmark::State& state) {
  auto& l = loaded();
  boost::asio::io_context ioc;
  boost::asio::co_spawn(ioc, lookup_reusing_loop(&state, l.registrar.get()),
                        boost::asio::detached);
  ioc.run();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupReusingAwait);

// Re-REGISTER of an existing binding (the steady-state REGISTER load: refreshes).
void BM_RegisterRefresh(benchmark::State& state) {
  auto& l = loaded();
  std::size_t k = 0;
  std::vector<RegisterRequest> reqs;  // built outside the timed loop, like a parsed REGISTER
  for (std::size_t i = 0; i < 4096; ++i) {
    const std::uint64_t wic = (i * 244'141) % kMillion;  // 4096 distinct WICs, spread out
    reqs.push_back({"bench", sample_identity(wic), {{sample_contact(wic, l.cseq[wic]), 3600}}});
  }
  for (auto _ : state) {
    auto& req = reqs[k++ % reqs.size()];
    ++req.contacts[0].contact.cseq;  // same Call-ID, next CSeq (RFC 3261 §10.3)
    auto r = l.registrar->register_now(req);
    if (!r) {
      state.SkipWithError("register failed");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  for (const auto& req : reqs) {  // later runs continue from the stored CSeq
    const auto wic = std::stoull(req.identity.subject.substr(5));
    l.cseq[wic] = req.contacts[0].contact.cseq + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RegisterRefresh);

// First REGISTER of new identities: allocation from the block (fresh registrar when full).
void BM_RegisterAllocate(benchmark::State& state) {
  std::vector<RegisterRequest> reqs;
  for (std::size_t i = 0; i < 4096; ++i) {
    reqs.push_back({"bench", sample_identity(i), {{sample_contact(i), 3600}}});
  }
  auto make = [] {
    return std::make_unique<MemoryRegistrar>(
        std::make_shared<const BlockSet>(std::vector<BlockConfig>{million_block()}),
        common::SystemClock::instance());
  };
  auto reg = make();
  std::uint64_t n = 0;
  for (auto _ : state) {
    if (n == kMillion) {
      state.PauseTiming();
      reg = make();
      n = 0;
      state.ResumeTiming();
    }
    auto& req = reqs[n % reqs.size()];
    req.identity.subject = "user-" + std::to_string(n++);
    auto r = reg->register_now(req);
    if (!r) {
      state.SkipWithError("allocation failed");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RegisterAllocate);

}  // namespace
}  // namespace wimpu::registrar::bench

BENCHMARK_MAIN();
