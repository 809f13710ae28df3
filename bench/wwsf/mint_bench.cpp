// bench_wwsf_mint: the signing part of token issuance alone (claims -> compact JWS), to split
// the HTTPS figure of bench_wwsf_token into crypto and the rest.
#include <benchmark/benchmark.h>

#include "wimpu/wwsf/interim_minter.hpp"

static void BM_MintEd25519(benchmark::State& state) {
  auto minter = wimpu::wwsf::make_ed25519_minter("");
  wimpu::wwsf::TokenClaims c;
  c.issuer = "https://wwsf.example";
  c.subject = "alice";
  c.audience = "epcscf.example";
  c.block = "blk.example";
  c.jwt_id = "0123456789abcdef0123456789abcdef";
  c.issued_at = 1'700'000'000;
  c.not_before = c.issued_at;
  c.expires_at = c.issued_at + 300;
  for (auto _ : state) {
    auto t = (*minter)->mint(c);
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MintEd25519);

BENCHMARK_MAIN();
