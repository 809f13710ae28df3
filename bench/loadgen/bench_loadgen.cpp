// Per-operation cost of the load tool's own hot path, so a run can tell how much CPU the tool
// spends per REGISTER besides the kernel's socket work:
//   build a REGISTER (wimpu::sip::RequestBuilder; since session 5 the engine appends a prebuilt
//   template and frames it in place), parse its 200 (wimpu::sip::parse_into; the engine now scans
//   it with scan_response), record a latency, answer a digest challenge (auth_ephemeral).
// Run: build/bench/loadgen/bench_loadgen
#include <benchmark/benchmark.h>

#include <cstdio>
#include <unistd.h>

#include "wimpu/loadgen/digest.hpp"
#include "wimpu/loadgen/histogram.hpp"
#include "wimpu/loadgen/response_scan.hpp"
#include "wimpu/loadgen/token_source.hpp"
#include "wimpu/loadgen/wic_messages.hpp"
#include "wimpu/loadgen/ws_frame.hpp"
#include "wimpu/sip/message.hpp"
#include "wimpu/token/signing_key.hpp"

namespace {

using namespace wimpu::loadgen;

const std::string kToken(220, 'x');  // about the size of an EdDSA JWT

void BM_BuildRegister(benchmark::State& state) {
  Rng rng(1);
  WicIdentity id = WicIdentity::random(rng);
  const std::string auth = bearer_authorization(kToken);
  std::string branch;
  std::string out;
  std::uint32_t seq = 0;
  for (auto _ : state) {
    make_branch(BranchFields{0x10000001, 0, ++seq}, branch);
    RegisterParams p;
    p.request_uri = "sip:ims.example";
    p.aor = "sip:wic@wwsf.example";
    p.branch = branch;
    p.from_tag = "abcdefghij";
    p.authorization = auth;
    p.user_agent = "wimpu-loadgen";
    build_register(id, p, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildRegister);

// What the engine does per REGISTER since session 5: the prebuilt template appended with the
// per-request fields, then framed and masked in the write buffer (ws_frame.hpp).
void BM_TemplateRegisterFramed(benchmark::State& state) {
  Rng rng(1);
  WicIdentity id = WicIdentity::random(rng);
  const std::string auth = bearer_authorization(kToken);
  RegisterParams p;
  p.request_uri = "sip:ims.example";
  p.aor = "sip:wic@wwsf.example";
  p.user_agent = "wimpu-loadgen";
  RegisterTemplate t;
  t.prepare(id, p);
  std::string branch;
  std::string out;
  std::uint32_t seq = 0;
  for (auto _ : state) {
    out.clear();
    make_branch(BranchFields{0x10000001, 0, ++seq}, branch);
    const std::size_t start = ws_begin_frame(out);
    t.append(out, branch, "abcdefghij", seq, "Authorization", auth);
    ws_end_frame(out, start, WsOpcode::kText, seq * 2654435761u);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TemplateRegisterFramed);

const std::string& register_ok() {
  static const std::string ok =
      "SIP/2.0 200 OK\r\n"
      "Via: SIP/2.0/WSS abcdefghijkl.invalid;branch=z9hG4bK10000001.0.77;received=127.0.0.1;"
      "rport=40000\r\n"
      "From: <sip:wic@wwsf.example>;tag=abcdefghij\r\n"
      "To: <sip:wic@wwsf.example>;tag=srv1\r\n"
      "Call-ID: abcdefghijklmnopqrstuv\r\n"
      "CSeq: 77 REGISTER\r\n"
      "Contact: <sip:abcdefgh@abcdefghijkl.invalid;transport=ws>;expires=600;"
      "+sip.instance=\"<urn:uuid:0f8b4c2a-1234-4567-89ab-0123456789ab>\";reg-id=1\r\n"
      "P-Associated-URI: <sip:+15550001234@ims.example>\r\n"
      "Require: outbound\r\n"
      "Service-Route: <sip:orig@pcscf.example;lr>\r\n"
      "Content-Length: 0\r\n\r\n";
  return ok;
}

void BM_ParseRegisterOk(benchmark::State& state) {
  const std::string& ok = register_ok();
  wimpu::sip::Message msg;
  BranchFields f;
  for (auto _ : state) {
    auto r = wimpu::sip::parse_into(msg, ok, wimpu::sip::ParseOptions::websocket());
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(parse_branch(msg.top_via().branch, f));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseRegisterOk);

// The engine's matching of a plain 200 since session 5: scan_response instead of parse_into.
void BM_ScanRegisterOk(benchmark::State& state) {
  const std::string& ok = register_ok();
  ResponseHead h;
  BranchFields f;
  for (auto _ : state) {
    benchmark::DoNotOptimize(scan_response(ok, h));
    benchmark::DoNotOptimize(parse_branch(h.branch, f));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScanRegisterOk);

void BM_HistogramRecord(benchmark::State& state) {
  Histogram h;
  std::uint64_t v = 123456;
  for (auto _ : state) {
    h.record(v);
    v = v * 6364136223846793005ULL + 1442695040888963407ULL;
    v >>= 40;  // values up to ~16 ms in ns
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

void BM_DigestEphemeralAnswer(benchmark::State& state) {
  DigestChallenge c;
  c.realm = "kam.test";
  c.nonce = "Y2FmZWJhYmVkZWFkYmVlZg";
  c.algorithm = "MD5";
  c.qop_auth = true;
  DigestCredentials creds;
  creds.cnonce = "0123456789abcdef";
  std::string out;
  for (auto _ : state) {
    creds.username = ephemeral_username(1700000000, "user42");
    creds.password = ephemeral_password("s3cret", creds.username);
    build_digest_authorization(creds, c, "REGISTER", "sip:kam.test", out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DigestEphemeralAnswer);

// --token-fresh: one TokenIssuer signature per REGISTER. Arg 0 = EdDSA, 1 = ES256.
void BM_MintToken(benchmark::State& state) {
  const auto alg = state.range(0) == 0 ? wimpu::token::Algorithm::kEdDSA
                                       : wimpu::token::Algorithm::kES256;
  const std::string key = "/tmp/bench_loadgen_key_" + std::to_string(::getpid()) + ".pem";
  std::remove(key.c_str());
  if (!wimpu::token::generate_key_file(alg, key)) {
    state.SkipWithError("cannot write a key file");
    return;
  }
  IssuerMinterOptions o;
  o.key_file = key;
  o.issuer = "https://wwsf.example";
  o.audience = "ims.example";
  o.block = "wimpu.example";
  auto factory = issuer_minter_factory(o);
  std::remove(key.c_str());
  if (!factory) {
    state.SkipWithError("no minter");
    return;
  }
  auto minter = (*factory)();
  std::uint64_t n = 0;
  for (auto _ : state) {
    auto t = (*minter)->mint("loadgen-" + std::to_string(++n));
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MintToken)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
