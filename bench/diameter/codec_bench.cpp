// Cx codec cost per message: what each LIR/LIA costs the I-CSCF shard besides freeDiameter.
#include <benchmark/benchmark.h>

#include "wimpu/diameter/cx_codec.hpp"

namespace {

using namespace wimpu::diameter;

LocationInfoRequest make_lir() {
  LocationInfoRequest lir;
  lir.envelope = Envelope{"icscf.example;1795474393;42", "icscf.example", "example", "",
                          "example", {}};
  lir.public_identity = "sip:+15550001234@block.example";
  return lir;
}

LocationInfoAnswer make_lia() {
  LocationInfoAnswer lia;
  lia.envelope = Envelope{"icscf.example;1795474393;42", "hss.example", "example", "", "", {}};
  lia.result = results::kSuccess;
  lia.server_name = "sip:scscf.example:5060";
  lia.wildcarded_public_identity = "sip:+1555000!.*!@block.example";
  return lia;
}

void BM_EncodeLir(benchmark::State& state) {
  const CxRequest lir = make_lir();
  for (auto _ : state) {
    benchmark::DoNotOptimize(encode_request(lir, MessageIds{1, 2}));
  }
}
BENCHMARK(BM_EncodeLir);

void BM_DecodeLir(benchmark::State& state) {
  const auto bytes = encode_request(make_lir(), MessageIds{1, 2});
  for (auto _ : state) {
    benchmark::DoNotOptimize(decode_request(bytes));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_DecodeLir);

void BM_EncodeLia(benchmark::State& state) {
  const CxAnswer lia = make_lia();
  for (auto _ : state) {
    benchmark::DoNotOptimize(encode_answer(lia, MessageIds{1, 2}));
  }
}
BENCHMARK(BM_EncodeLia);

void BM_DecodeLia(benchmark::State& state) {
  const auto bytes = encode_answer(make_lia(), MessageIds{1, 2});
  for (auto _ : state) {
    benchmark::DoNotOptimize(decode_answer(bytes));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_DecodeLia);

void BM_DecodeMaa(benchmark::State& state) {
  MultimediaAuthAnswer maa;
  maa.envelope = Envelope{"scscf.example;1;7", "hss.example", "example", "", "", {}};
  maa.result = results::kSuccess;
  maa.user_name = "alice@example";
  maa.public_identity = "sip:alice@example";
  maa.number_auth_items = 1;
  SipAuthDataItem item;
  item.scheme = std::string(kSipDigestScheme);
  item.digest = SipDigestAuthenticate{"example", "auth", "939e7578ed9e3c518a452acee763bce9", "MD5"};
  maa.auth_data.push_back(item);
  const auto bytes = encode_answer(maa, MessageIds{1, 2});
  for (auto _ : state) {
    benchmark::DoNotOptimize(decode_answer(bytes));
  }
}
BENCHMARK(BM_DecodeMaa);

}  // namespace
