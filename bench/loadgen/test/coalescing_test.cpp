// Client-side write coalescing on real sockets: messages sent in one io_context turn leave in one
// socket write as separate frames, each with its own masking key, and independent peers (the
// Beast-based SipResponder, the NullRegistrar's own decoder) read every one of them.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <set>

#include "sip_responder.hpp"
#include "wimpu/loadgen/engine.hpp"
#include "wimpu/loadgen/null_registrar.hpp"
#include "wimpu/loadgen/response_scan.hpp"
#include "wimpu/loadgen/wic_messages.hpp"
#include "wimpu/loadgen/ws_client.hpp"

namespace wimpu::loadgen {
namespace {

using namespace std::chrono_literals;

// Sends `n` REGISTERs from on_open (one turn), counts the 200s, stops the loop when all came.
class Burst final : public WsSipHandler {
public:
  Burst(boost::asio::io_context& io, int n) : io_(io), n_(n) {}
  void on_open(WsSipConnection& c) override {
    Rng rng(5);
    std::string out;
    for (int i = 0; i < n_; ++i) {
      WicIdentity id = WicIdentity::random(rng);
      RegisterParams p;
      p.request_uri = "sip:ims.test";
      p.aor = "sip:wic@ims.test";
      const std::string branch = "z9hG4bK1." + std::to_string(i) + ".1";
      p.branch = branch;
      p.from_tag = "tag";
      p.authorization = "Bearer tok-1";
      build_register(id, p, out);
      c.send(out);
    }
    writes_after_open = c.socket_writes();
  }
  void on_message(WsSipConnection& c, std::string_view m) override {
    ResponseHead h;
    if (scan_response(m, h) && h.status == 200) {
      ++ok;
    }
    if (ok == n_) {
      c.close();
    }
  }
  void on_failed(WsSipConnection&, ErrorKind, boost::system::error_code) override { io_.stop(); }
  void on_closed(WsSipConnection&, bool, boost::system::error_code) override { io_.stop(); }

  int ok = 0;
  std::uint64_t writes_after_open = 0;

private:
  boost::asio::io_context& io_;
  int n_;
};

struct BurstResult {
  int ok = 0;
  std::uint64_t writes_after_open = 0;
  std::uint64_t writes = 0;
  std::uint64_t frames = 0;
  std::uint64_t frames_read = 0;
};

BurstResult burst(const std::string& url, int n) {
  boost::asio::io_context io;
  auto cfg = std::make_shared<WsClientConfig>();
  cfg->url = *parse_ws_url(url);
  cfg->origin = "https://wwsf.test";
  Burst h(io, n);
  auto conn = WsSipConnection::create(io, cfg, &h);
  conn->start(*resolve(cfg->url), std::nullopt);
  io.run_for(10s);  // a bound: the handler stops the loop when the close is done
  BurstResult r{h.ok, h.writes_after_open, conn->socket_writes(), conn->frames_written(),
                conn->frames_read()};
  conn->detach();
  return r;
}

TEST(Coalescing, OneTurnIsOneWriteOfSeparatelyMaskedFrames) {
  NullRegistrarOptions o;
  o.record_mask_keys = true;
  NullRegistrar peer(o);
  peer.start();
  const BurstResult r = burst(peer.url(), 20);
  EXPECT_EQ(r.ok, 20);
  EXPECT_EQ(r.writes_after_open, 0u) << "nothing written inside the turn";
  EXPECT_EQ(r.frames_read, 21u);  // 20 answers + the close
  // 20 REGISTERs in the first write, the close frame in a second one.
  EXPECT_EQ(r.writes, 2u);
  EXPECT_EQ(r.frames, 21u);
  peer.stop();
  const NullRegistrarCounts c = peer.counts();
  EXPECT_EQ(c.registers, 20u);
  EXPECT_EQ(c.frames_in, 20u);
  EXPECT_EQ(c.unmasked, 0u);
  EXPECT_EQ(c.bad, 0u);
  ASSERT_EQ(c.mask_keys.size(), 21u);  // 20 REGISTERs + the close
  // RFC 6455 §5.3: a fresh key per frame.
  EXPECT_EQ(std::set<std::uint32_t>(c.mask_keys.begin(), c.mask_keys.end()).size(), 21u);
}

TEST(Coalescing, BeastServerDecodesEveryCoalescedFrame) {
  test::SipResponder r(test::ResponderOptions{});
  const BurstResult b = burst(r.url(), 30);
  EXPECT_EQ(b.ok, 30);
  EXPECT_EQ(b.frames, 31u);
  EXPECT_LE(b.writes, 2u);
  const test::ResponderCounts c = r.counts();
  EXPECT_EQ(c.registers, 30u);
  EXPECT_EQ(c.text_frames, 30u);
  EXPECT_EQ(c.parse_errors, 0u);
}

EngineOptions engine_options(const std::string& url) {
  EngineOptions o;
  o.mode = Mode::kRegister;
  o.ws.url = *parse_ws_url(url);
  o.domain = "ims.test";
  o.report_interval = 0ms;
  o.seed = 1;
  o.transaction_timeout = 5s;
  o.duration = 20s;  // a safety net: the runs end on their count
  return o;
}

TEST(Coalescing, ClosedLoopAgainstTheNullRegistrar) {
  NullRegistrar peer;
  peer.start();
  EngineOptions o = engine_options(peer.url());
  o.connections = 2;
  o.ua_per_connection = 8;
  o.count = 4000;
  Engine engine(o);
  const RunReport rep = engine.run();
  EXPECT_EQ(rep.stats.transactions_ok, 4000u);
  EXPECT_EQ(rep.stats.total_errors(), 0u);
  peer.stop();
  EXPECT_EQ(peer.counts().registers, 4000u);
  EXPECT_EQ(peer.counts().bad, 0u);
}

TEST(Coalescing, BusyPollingWorkerRunsTheSameLoad) {
  NullRegistrar peer;
  peer.start();
  EngineOptions o = engine_options(peer.url());
  o.connections = 2;
  o.ua_per_connection = 2;
  o.count = 1000;
  o.spin = 50us;
  Engine engine(o);
  const RunReport rep = engine.run();
  EXPECT_EQ(rep.stats.transactions_ok, 1000u);
  EXPECT_EQ(rep.stats.total_errors(), 0u);
  EXPECT_EQ(rep.stop_reason, "count");
  peer.stop();
}

TEST(Coalescing, ResponsesWithAnotherCallIdOrCSeqAreUnmatched) {
  for (const std::string field : {"Call-ID: ", "CSeq: "}) {
    NullRegistrarOptions po;
    po.mangle = [field](std::string& r) {
      const std::size_t at = r.find(field);
      r.insert(at + field.size(), "9");  // "Call-ID: 9<id>" / "CSeq: 9<n>"
    };
    NullRegistrar peer(po);
    peer.start();
    EngineOptions o = engine_options(peer.url());
    o.connections = 1;
    o.ua_per_connection = 2;
    o.count = 4;
    o.transaction_timeout = 200ms;
    Engine engine(o);
    const RunReport rep = engine.run();
    const Stats& s = rep.stats;
    EXPECT_EQ(s.transactions_ok, 0u) << field;
    EXPECT_EQ(s.errors[static_cast<std::size_t>(ErrorKind::kUnmatched)], 4u) << field;
    EXPECT_EQ(s.errors[static_cast<std::size_t>(ErrorKind::kTimeout)], 4u) << field;
    EXPECT_EQ(s.responses_by_status[200], 4u) << field;
    peer.stop();
  }
}

}  // namespace
}  // namespace wimpu::loadgen
