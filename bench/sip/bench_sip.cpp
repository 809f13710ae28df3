// bench_sip: libs/sip parse + validate of a typical INVITE into a reused Message, and the proxy
// edit path (add Via + Record-Route, pop Route, decrement Max-Forwards, serialize). The
// BM_Register* cases are the eP-CSCF's figure-2 path (issue 8): a WebRTC re-REGISTER with a
// bearer token parsed into a fresh Message, its Via pushed, and its 200 OK built.
//
// Heap allocations are counted by replacing the global operator new/delete of this binary; the
// "allocs_per_msg" counter is the number of allocations per iteration after warm-up (target 0).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>

#include "wimpu/sip/builder.hpp"
#include "wimpu/sip/editor.hpp"
#include "wimpu/sip/header_values.hpp"
#include "wimpu/sip/message.hpp"

namespace {
std::atomic<std::uint64_t> g_allocs{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace wimpu::sip;

// A typical INVITE between IMS nodes: 994 bytes, 15 header lines (2 Via, 2 Route values), SDP.
constexpr std::string_view kInvite =
    "INVITE sip:+15550001234@scscf.ims.example.com;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1.8f3e2a1b9c;rport\r\n"
    "Via: SIP/2.0/WSS abc123def.invalid;received=198.51.100.7;branch=z9hG4bK8812345\r\n"
    "Max-Forwards: 68\r\n"
    "Route: <sip:scscf.ims.example.com:5060;lr>, <sip:orig@scscf.ims.example.com;lr>\r\n"
    "Record-Route: <sip:epcscf.example.com;lr>\r\n"
    "From: \"Alice\" <sip:+15550000042@ims.example.com>;tag=q8dfsv6tr0\r\n"
    "To: <tel:+15550001234>\r\n"
    "Call-ID: 2m4u8mmtqk5bp3u2dv1k@192.0.2.10\r\n"
    "CSeq: 7103 INVITE\r\n"
    "Contact: <sip:+15550000042@192.0.2.10:5060;ob>;+sip.instance=\"<urn:uuid:1d0b3b6a-6e4d-4d55-"
    "9b8e-1b2c3d4e5f60>\"\r\n"
    "P-Asserted-Identity: <sip:+15550000042@ims.example.com>\r\n"
    "Supported: timer, outbound\r\n"
    "Allow: INVITE, ACK, BYE, CANCEL, UPDATE\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 197\r\n"
    "\r\n"
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 192.0.2.33\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.33\r\n"
    "t=0 0\r\n"
    "m=audio 54400 RTP/AVP 111 0 8\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=sendrecv\r\n";

void report(benchmark::State& state, std::uint64_t allocs_before) {
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["msgs_per_s"] =
      benchmark::Counter(iterations, benchmark::Counter::kIsRate);
  state.counters["allocs_per_msg"] =
      static_cast<double>(g_allocs.load() - allocs_before) / iterations;
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kInvite.size()));
}

// Parse + validate into a reused Message (the ingress path of every transport).
void BM_ParseInvite(benchmark::State& state) {
  Message msg;
  const ParseOptions options = ParseOptions::stream();
  if (!parse_into(msg, kInvite, options)) {  // warm-up: grows the buffers once
    state.SkipWithError("warm-up parse failed");
    return;
  }
  const std::uint64_t before = g_allocs.load();
  for (auto _ : state) {
    auto r = parse_into(msg, kInvite, options);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(msg.top_via().branch.data());
  }
  report(state, before);
}
BENCHMARK(BM_ParseInvite);

// The proxy path on an already parsed request: §16.6 edits and serialization into a reused buffer.
void BM_ProxyEdit(benchmark::State& state) {
  Message msg;
  if (!parse_into(msg, kInvite, ParseOptions::stream())) {
    state.SkipWithError("parse failed");
    return;
  }
  MessageEditor editor;
  std::string out;
  auto run = [&] {
    editor.reset(msg);
    (void)editor.pop_route();
    (void)editor.decrement_max_forwards();
    (void)editor.push_record_route("<sip:proxy.example.com;transport=udp;lr>");
    (void)editor.push_via("SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK0.0f3a9c2e41d7b85;rport");
    editor.serialize(out);
  };
  run();  // warm-up
  const std::uint64_t before = g_allocs.load();
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(out.data());
  }
  report(state, before);
}
BENCHMARK(BM_ProxyEdit);

// Both together: what a stateful proxy does per forwarded request (parse + edit + serialize).
void BM_ParseAndProxyEdit(benchmark::State& state) {
  Message msg;
  MessageEditor editor;
  std::string out;
  auto run = [&] {
    if (!parse_into(msg, kInvite, ParseOptions::stream())) {
      return false;
    }
    editor.reset(msg);
    (void)editor.pop_route();
    (void)editor.decrement_max_forwards();
    (void)editor.push_record_route("<sip:proxy.example.com;transport=udp;lr>");
    (void)editor.push_via("SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK0.0f3a9c2e41d7b85;rport");
    editor.serialize(out);
    return true;
  };
  if (!run()) {
    state.SkipWithError("parse failed");
    return;
  }
  const std::uint64_t before = g_allocs.load();
  for (auto _ : state) {
    benchmark::DoNotOptimize(run());
  }
  report(state, before);
}
BENCHMARK(BM_ParseAndProxyEdit);

// The figure-2 re-REGISTER as wimpu-loadgen sends it (bench/loadgen/src/wic_messages.cpp): a
// WebSocket Via, an outbound Contact (RFC 5626) and an EdDSA bearer token (RFC 8898): 792 bytes.
const std::string kRegister = [] {
  std::string s =
      "REGISTER sip:ims.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/WSS k3l9q2x7.invalid;branch=z9hG4bK.Lw8Ns2Qb7xVp\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:+15550000042@ims.example.com>;tag=3e8c1f70a5\r\n"
      "To: <sip:+15550000042@ims.example.com>\r\n"
      "Call-ID: 7f3b2c1d9e8a4b6c@k3l9q2x7.invalid\r\n"
      "CSeq: 17 REGISTER\r\n"
      "Contact: <sip:k3l9q2x7@k3l9q2x7.invalid;transport=ws;ob>;+sip.instance=\"<urn:uuid:"
      "1d0b3b6a-6e4d-4d55-9b8e-1b2c3d4e5f60>\";reg-id=1;expires=600\r\n"
      "Supported: path, outbound, gruu\r\n"
      "Authorization: Bearer ";
  // A compact JWS (header.payload.signature, base64url): what the eP-CSCF sees, not verified here.
  for (int i = 0; i < 400; ++i) {
    s.push_back("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[(i * 7 + 3) % 64]);
    if (i == 36 || i == 330) {
      s.push_back('.');
    }
  }
  s += "\r\nContent-Length: 0\r\n\r\n";
  return s;
}();

void report_register(benchmark::State& state, std::uint64_t allocs_before) {
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["msgs_per_s"] = benchmark::Counter(iterations, benchmark::Counter::kIsRate);
  state.counters["allocs_per_msg"] =
      static_cast<double>(g_allocs.load() - allocs_before) / iterations;
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kRegister.size()));
}

// The eP-CSCF's ingress (nf/cscf-node ShardStack::on_message): the transport hands over the
// string it received (one allocation, counted here too) and it is parsed into a fresh Message per
// request (the Message then moves into the transaction layer). Here the string is copied into the
// Message (parse_into(Message&, std::string_view, ...)).
void BM_RegisterParseFresh(benchmark::State& state) {
  const ParseOptions options = ParseOptions::websocket();
  const std::uint64_t before = g_allocs.load();
  for (auto _ : state) {
    std::string received(kRegister);
    Message msg;
    auto r = parse_into(msg, received, options);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(msg.top_via().branch.data());
  }
  report_register(state, before);
}
BENCHMARK(BM_RegisterParseFresh);

// BEGIN adopt (parse_into(Message&, std::string&&, ...), session 9)
// The same with the received string adopted as the Message's buffer: no copy.
void BM_RegisterParseFreshAdopt(benchmark::State& state) {
  const ParseOptions options = ParseOptions::websocket();
  const std::uint64_t before = g_allocs.load();
  for (auto _ : state) {
    std::string received(kRegister);
    Message msg;
    auto r = parse_into(msg, std::move(received), options);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(msg.top_via().branch.data());
  }
  report_register(state, before);
}
BENCHMARK(BM_RegisterParseFreshAdopt);
// END adopt

// The eP-CSCF's answer to a REGISTER it handles itself: push its Via (Proxy::handle_request does
// for every request), read the Contact parameters, and build the 200 OK (RFC 3261 §10.3 step 8)
// with the lines a registrar adds, into a fresh string (it is queued for sending).
void BM_Register200Ok(benchmark::State& state) {
  Message msg;
  if (!parse_into(msg, kRegister, ParseOptions::websocket())) {
    state.SkipWithError("parse failed");
    return;
  }
  MessageEditor editor;
  std::string params;
  const std::uint64_t before = g_allocs.load();
  for (auto _ : state) {
    editor.reset(msg);
    (void)editor.push_via("SIP/2.0/WSS 192.0.2.20:443;branch=z9hG4bK0.0f3a9c2e41d7b85");
    params.clear();
    const ContactParams cp = contact_params(msg.contacts()[0], &params);
    benchmark::DoNotOptimize(cp);
    ResponseBuilder b(msg, 200);
    b.to_tag("a6c85cf")
        .header("Contact",
                "<sip:k3l9q2x7@k3l9q2x7.invalid;transport=ws;ob>;+sip.instance=\"<urn:uuid:"
                "1d0b3b6a-6e4d-4d55-9b8e-1b2c3d4e5f60>\";reg-id=1;expires=600")
        .header("Path", "<sip:ep0.flow-3f2a@epcscf.example.com;lr;ob>")
        .header("Service-Route", "<sip:orig@scscf.ims.example.com;lr>")
        .header("P-Associated-URI", "<sip:+15550000042@ims.example.com>")
        .header("Supported", "path, outbound, gruu")
        .header("Date", "Tue, 24 Nov 2026 20:00:00 GMT");
    std::string out = b.build();
    benchmark::DoNotOptimize(out.data());
  }
  report_register(state, before);
}
BENCHMARK(BM_Register200Ok);

}  // namespace

BENCHMARK_MAIN();
