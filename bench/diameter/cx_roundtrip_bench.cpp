// Cx round trips through freeDiameter between two processes: this benchmark as the I-CSCF shard
// (one io_context thread) and wimpu-hss on a loopback port. Each iteration sends a batch of LIRs
// with `range(0)` of them in flight and waits for every answer. Includes encode, freeDiameter
// routing and TCP both ways, the HSS lookup, and decode.
#include <benchmark/benchmark.h>

#include <fstream>
#include <future>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "process.hpp"
#include "test_data.hpp"
#include "wimpu/diameter/node.hpp"

namespace {

using namespace std::chrono_literals;
using namespace wimpu::diameter;
namespace test = wimpu::hss::test;

struct Setup {
  Setup() {
    port = test::free_port();
    std::ofstream(dir.path() / "subscribers.toml") << test::subscribers_toml();
    std::ofstream(dir.path() / "hss.toml")
        << "[diameter]\nidentity = \"hss.example\"\nrealm = \"example\"\nport = " << port
        << "\naccept_peers = [\"*\"]\nstate_dir = \"hss-state\"\n"
        << "[hss]\nsubscribers = \"subscribers.toml\"\n";
    hss = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{WIMPU_HSS_BINARY, "--config", (dir.path() / "hss.toml").string()});
    if (!hss->wait_for_line("wimpu-hss: ready", 10s)) {
      throw std::runtime_error("wimpu-hss did not start");
    }
    NodeConfig config;
    config.identity = "icscf.example";
    config.realm = "example";
    config.peers.push_back(PeerConfig{"hss.example", "127.0.0.1", port, false, "example"});
    config.state_dir = dir.path() / "client-state";
    node = DiameterNode::start(config);
    if (!node->wait_for_peer("hss.example", 10s)) {
      throw std::runtime_error("no connection to wimpu-hss");
    }
    thread = std::thread([this] { io.run(); });
    client = node->make_cx_client(io.get_executor(), CxClientOptions{"example", "", 10s});
  }
  ~Setup() {
    client.reset();
    node.reset();
    hss->stop(SIGTERM, 10s);
    work.reset();
    thread.join();
  }

  test::TempDir dir;
  std::uint16_t port = 0;
  std::unique_ptr<test::ChildProcess> hss;
  std::unique_ptr<DiameterNode> node;
  boost::asio::io_context io{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  std::unique_ptr<CxClient> client;
};

Setup& setup() {
  static Setup s;  // one freeDiameter node per process
  return s;
}

// Keeps `in_flight` LIRs outstanding until `total` have completed; returns the number of errors.
// The batch state lives on the shard (only touched there).
struct Batch {
  Setup* s = nullptr;
  int total = 0;
  int sent = 0;
  int completed = 0;
  int errors = 0;
  std::promise<int> done;

  void send_one(const std::shared_ptr<Batch>& self) {
    ++sent;
    LocationInfoRequest lir;
    lir.public_identity = "sip:+15550001234@block.example";
    s->client->request(std::move(lir), [self](CxResult<LocationInfoAnswer> r) {
      self->errors += r ? 0 : 1;
      if (++self->completed == self->total) {
        self->done.set_value(self->errors);
      } else if (self->sent < self->total) {
        self->send_one(self);
      }
    });
  }
};

int run_batch(Setup& s, int in_flight, int total) {
  auto batch = std::make_shared<Batch>();
  batch->s = &s;
  batch->total = total;
  auto result = batch->done.get_future();
  boost::asio::post(s.io, [batch, in_flight] {
    for (int i = 0; i < in_flight && batch->sent < batch->total; ++i) {
      batch->send_one(batch);
    }
  });
  return result.get();
}

void BM_LirRoundTrip(benchmark::State& state) {
  Setup& s = setup();
  const int in_flight = static_cast<int>(state.range(0));
  constexpr int kBatch = 1000;
  for (auto _ : state) {
    if (run_batch(s, in_flight, kBatch) != 0) {
      state.SkipWithError("Cx errors");
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_LirRoundTrip)->Arg(1)->Arg(16)->Arg(128)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
