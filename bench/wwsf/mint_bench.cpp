// bench_wwsf_mint: the signing part of token issuance alone (claims -> compact JWS), to split
// the HTTPS figure of bench_wwsf_token into crypto and the rest. Includes the jti and the clock.
#include <benchmark/benchmark.h>

#include "wimpu/wwsf/wwsf.hpp"

static void BM_MintEd25519(benchmark::State& state) {
  wimpu::wwsf::WwsfConfig cfg;
  cfg.issuer = "https://wwsf.example";
  cfg.audience = "epcscf.example";
  auto minter = wimpu::wwsf::make_minter(cfg);
  for (auto _ : state) {
    auto t = (*minter)->mint("alice", "blk.example");
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MintEd25519);

BENCHMARK_MAIN();
