// Token benchmarks (issue 4 "Performance"). Each figure is items/s on one thread:
//   BM_VerifyFresh/<alg>   a distinct token per call, cache disabled: parse + claims + signature
//   BM_VerifyCacheHit      the per-shard cache answering a re-REGISTER's token
//   BM_Issue/<alg>         TokenIssuer::issue (claims JSON, jti from the CSPRNG, sign, encode)
//   BM_RawVerify/<alg>     bare EVP verification of the same signing input with a reused context
//                          (what `openssl speed` measures), to split signature cost from overhead
//   BM_RawSign/<alg>       bare EVP signing, same idea
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <boost/asio/io_context.hpp>

#include <array>
#include <string>
#include <vector>

#include "wimpu/common/clock.hpp"
#include "wimpu/token/base64url.hpp"
#include "wimpu/token/issuer.hpp"
#include "wimpu/token/key_store.hpp"
#include "wimpu/token/verifier.hpp"

namespace {

using namespace wimpu;
using namespace wimpu::token;

constexpr std::string_view kIssuerName = "https://wwsf.example";
constexpr std::string_view kAudience = "epcscf.example";
constexpr std::string_view kBlock = "block.example";
constexpr std::size_t kTokens = 512;

struct Fixture {
  explicit Fixture(Algorithm alg, std::size_t cache) {
    key = *SigningKey::generate(alg);
    IssuerOptions io_opts;
    io_opts.issuer = kIssuerName;
    io_opts.audience = kAudience;
    io_opts.lifetime = std::chrono::hours(1);
    issuer = std::make_unique<TokenIssuer>(io_opts, key, clock);
    KeyStoreOptions so;
    so.issuer = kIssuerName;
    so.algorithm = alg;
    store = KeyStore::create(so, nullptr, clock, io.get_executor());
    store->install(jwks_document({key->public_key()}));
    VerifierOptions vo;
    vo.audience = kAudience;
    vo.cache_capacity = cache;
    verifier = std::make_unique<Verifier>(vo, std::vector<KeyStorePtr>{store}, clock,
                                          io.get_executor());
    for (std::size_t i = 0; i < kTokens; ++i) {
      tokens.push_back(*issuer->issue("user" + std::to_string(i) + "@web.example", kBlock));
    }
  }

  boost::asio::io_context io;
  common::ClockPtr clock = common::SystemClock::instance();
  SigningKeyPtr key;
  std::unique_ptr<TokenIssuer> issuer;
  KeyStorePtr store;
  std::unique_ptr<Verifier> verifier;
  std::vector<std::string> tokens;
};

Algorithm alg_of(const benchmark::State& state) {
  return state.range(0) == 0 ? Algorithm::kEdDSA : Algorithm::kES256;
}

void BM_VerifyFresh(benchmark::State& state) {
  Fixture f(alg_of(state), 0);
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = f.verifier->verify(f.tokens[i++ % kTokens], kBlock);
    if (!r) {
      state.SkipWithError("verification failed");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(std::string(jose_name(alg_of(state))) + " token " +
                 std::to_string(f.tokens[0].size()) + " B");
}

void BM_VerifyCacheHit(benchmark::State& state) {
  // 512 live tokens in a 8192-slot 4-way cache: a bucket overflow (an eviction, then a signature
  // check on every lap) is rare; the hit ratio is reported so a miss cannot hide in the figure.
  Fixture f(Algorithm::kEdDSA, 8192);
  for (const auto& t : f.tokens) {
    f.verifier->verify(t, kBlock);
  }
  const auto hits = f.verifier->cache_hits();
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = f.verifier->verify(f.tokens[i++ % kTokens], kBlock);
    benchmark::DoNotOptimize(r);
  }
  state.counters["hit_ratio"] =
      static_cast<double>(f.verifier->cache_hits() - hits) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_Issue(benchmark::State& state) {
  Fixture f(alg_of(state), 0);
  for (auto _ : state) {
    auto t = f.issuer->issue("alice@web.example", kBlock);
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(std::string(jose_name(alg_of(state))));
}

void BM_RawVerify(benchmark::State& state) {
  Fixture f(alg_of(state), 0);
  const std::string& tok = f.tokens[0];
  const std::string input = tok.substr(0, tok.rfind('.'));
  const std::string sig = *base64url::decode(tok.substr(tok.rfind('.') + 1));
  EVP_PKEY* pkey = f.key->public_key()->native();
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  std::array<unsigned char, 80> der{};
  std::size_t der_len = 0;
  std::array<unsigned char, 32> digest{};
  unsigned int dlen = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &dlen, EVP_sha256(), nullptr);
  if (alg_of(state) == Algorithm::kEdDSA) {
    EVP_DigestVerifyInit(md, nullptr, nullptr, nullptr, pkey);
  } else {
    // Re-sign the digest to get a DER signature (the bare EVP API does not take JOSE r||s).
    EVP_PKEY_CTX* sctx = EVP_PKEY_CTX_new_from_pkey(nullptr, f.key->native(), nullptr);
    EVP_PKEY_sign_init(sctx);
    der_len = der.size();
    EVP_PKEY_sign(sctx, der.data(), &der_len, digest.data(), digest.size());
    EVP_PKEY_CTX_free(sctx);
    EVP_PKEY_verify_init(pctx);
  }
  for (auto _ : state) {
    int ok = 0;
    if (alg_of(state) == Algorithm::kEdDSA) {
      ok = EVP_DigestVerify(md, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                            reinterpret_cast<const unsigned char*>(input.data()), input.size());
    } else {
      ok = EVP_PKEY_verify(pctx, der.data(), der_len, digest.data(), digest.size());
    }
    if (ok != 1) {
      state.SkipWithError("raw verify failed");
      break;
    }
  }
  EVP_MD_CTX_free(md);
  EVP_PKEY_CTX_free(pctx);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(std::string(jose_name(alg_of(state))));
}

void BM_RawSign(benchmark::State& state) {
  Fixture f(alg_of(state), 0);
  const std::string input = f.tokens[0].substr(0, f.tokens[0].rfind('.'));
  EVP_PKEY* pkey = f.key->native();
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  std::array<unsigned char, 32> digest{};
  unsigned int dlen = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &dlen, EVP_sha256(), nullptr);
  if (alg_of(state) == Algorithm::kEdDSA) {
    EVP_DigestSignInit(md, nullptr, nullptr, nullptr, pkey);
  } else {
    EVP_PKEY_sign_init(pctx);
  }
  std::array<unsigned char, 80> sig{};
  for (auto _ : state) {
    std::size_t len = sig.size();
    if (alg_of(state) == Algorithm::kEdDSA) {
      EVP_DigestSign(md, sig.data(), &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size());
    } else {
      EVP_PKEY_sign(pctx, sig.data(), &len, digest.data(), digest.size());
    }
    benchmark::DoNotOptimize(sig);
  }
  EVP_MD_CTX_free(md);
  EVP_PKEY_CTX_free(pctx);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(std::string(jose_name(alg_of(state))));
}

// Argument 0 = EdDSA, 1 = ES256.
BENCHMARK(BM_VerifyFresh)->Arg(0)->Arg(1);
BENCHMARK(BM_VerifyCacheHit);
BENCHMARK(BM_Issue)->Arg(0)->Arg(1);
BENCHMARK(BM_RawVerify)->Arg(0)->Arg(1);
BENCHMARK(BM_RawSign)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
