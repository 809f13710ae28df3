// Engine: splits the load over the workers, watches the clock and the stop conditions, and
// merges the figures.
#include "wimpu/loadgen/engine.hpp"

#include <stdexcept>
#include <thread>

#include "worker.hpp"

namespace wimpu::loadgen {

class Engine::Worker : public detail::Worker {
  using detail::Worker::Worker;
};

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPoll = std::chrono::milliseconds(5);

std::uint64_t share_of(std::uint64_t total, unsigned parts, unsigned i) {
  return total / parts + (i < total % parts ? 1 : 0);
}

}  // namespace

std::string_view name(Mode mode) noexcept {
  switch (mode) {
    case Mode::kRegister:
      return "register";
    case Mode::kIdle:
      return "idle";
    case Mode::kAnswer:
      return "answer";
  }
  return "unknown";
}

Engine::Engine(EngineOptions options) : options_(std::move(options)) {
  EngineOptions& o = options_;
  if (o.threads == 0) {
    throw std::invalid_argument("threads must be at least 1");
  }
  if (o.ua_per_connection == 0) {
    throw std::invalid_argument("UAs per connection must be at least 1");
  }
  if (o.ws.url.tls && !o.ws.tls) {
    throw std::invalid_argument("wss:// needs a TLS context");
  }
  if (o.rate < 0 || o.connect_rate < 0) {
    throw std::invalid_argument("rates must not be negative");
  }
  if (o.connect_concurrency == 0) {
    throw std::invalid_argument("connect concurrency must be at least 1");
  }
  if (o.answer_status < 200 || o.answer_status > 699) {
    throw std::invalid_argument("answer status must be a final status (200..699)");
  }
  if (o.domain.empty()) {
    o.domain = o.ws.url.host.find(':') != std::string::npos ? "[" + o.ws.url.host + "]"
                                                              : o.ws.url.host;
  }
  if (o.aor.empty()) {
    o.aor = "sip:wic@" + o.domain;
  }
  if (o.threads > o.connections && o.connections > 0) {
    o.threads = static_cast<unsigned>(o.connections);
  }
}

Engine::~Engine() {
  std::lock_guard lock(workers_mu_);
  for (auto& w : workers_) {
    w->post_finish();
  }
  workers_.clear();
}

Gauges Engine::gauges() const {
  Gauges g;
  std::lock_guard lock(workers_mu_);
  for (const auto& w : workers_) {
    g.add(w->gauges());
  }
  return g;
}

RunReport Engine::run(const ProgressCallback& progress) {
  const EngineOptions& o = options_;
  RunReport report;
  report.mode = o.mode;
  report.url = o.ws.url.to_string();
  report.processes = 1;
  report.threads = o.threads;
  report.connections = o.connections;
  report.ua_per_connection = o.ua_per_connection;
  report.target_rate = o.mode == Mode::kRegister ? o.rate : 0;
  report.nofile_limit = raise_nofile_limit();

  // One descriptor per connection, plus the process's own (epoll, timers, stdio, key files).
  constexpr std::uint64_t kSpareFds = 64;
  if (o.connections + kSpareFds > report.nofile_limit) {
    throw std::runtime_error("--connections " + std::to_string(o.connections) +
                             " needs more descriptors than the open-files limit (" +
                             std::to_string(report.nofile_limit) +
                             " incl. 64 spare): run several processes side by side");
  }
  auto remote = resolve(o.ws.url);
  if (!remote) {
    throw std::runtime_error(remote.error().message);
  }
  auto shared = std::make_unique<detail::Shared>();
  shared->options = &options_;
  shared->ws = std::make_shared<const WsClientConfig>(o.ws);
  shared->remote = *remote;
  shared->request_uri = "sip:" + o.domain;

  const std::uint64_t seed = o.seed != 0 ? o.seed : Rng::random_seed();
  const bool limited = o.mode == Mode::kRegister && o.count > 0;
  std::uint64_t first_link = 0;
  for (unsigned i = 0; i < o.threads; ++i) {
    detail::Worker::Share share;
    share.index = i;
    share.links = share_of(o.connections, o.threads, i);
    share.first_ua_index = o.index_base + first_link * o.ua_per_connection;
    share.limited = limited;
    share.count = limited ? share_of(o.count, o.threads, i) : 0;
    share.rate = o.mode == Mode::kRegister ? o.rate / o.threads : 0;
    share.connect_rate = o.connect_rate / o.threads;
    share.connect_concurrency =
        static_cast<unsigned>(std::max<std::uint64_t>(1, share_of(o.connect_concurrency, o.threads, i)));
    share.seed = seed + 0x9e3779b97f4a7c15ULL * (i + 1);
    first_link += share.links;
    TokenMinterPtr minter;
    if (o.token.minter) {
      auto m = o.token.minter();
      if (!m) {
        throw std::runtime_error("token minter: " + m.error().message);
      }
      minter = std::move(*m);
    }
    auto worker = std::make_unique<Worker>(*shared, share, std::move(minter));
    std::lock_guard lock(workers_mu_);
    workers_.push_back(std::move(worker));
  }

  const auto start = Clock::now();
  for (auto& w : workers_) {
    w->start();
  }
  CpuUsage cpu_start = cpu_now();
  auto measure_start = start;
  bool warm = o.warmup.count() == 0;
  auto next_report = start + o.report_interval;
  while (true) {
    std::this_thread::sleep_for(kPoll);
    const auto now = Clock::now();
    if (stop_.load(std::memory_order_relaxed)) {
      report.stop_reason = "stopped";
      break;
    }
    if (!warm && now - start >= o.warmup) {
      for (auto& w : workers_) {
        w->post_reset();
      }
      cpu_start = cpu_now();
      measure_start = now;
      warm = true;
    }
    if (warm && o.duration.count() > 0 && now - measure_start >= o.duration) {
      report.stop_reason = "duration";
      break;
    }
    if (limited) {
      bool all_done = true;
      for (auto& w : workers_) {
        all_done = all_done && w->done();
      }
      if (all_done) {
        report.stop_reason = "count";
        break;
      }
    }
    if (progress && o.report_interval.count() > 0 && now >= next_report) {
      next_report += o.report_interval;
      progress(std::chrono::duration<double>(now - start).count(), gauges());
    }
  }
  const auto end = Clock::now();
  for (auto& w : workers_) {
    w->post_finish();
  }
  const CpuUsage cpu_end = cpu_now();
  for (auto& w : workers_) {
    w->join();
  }
  report.measured_seconds = std::chrono::duration<double>(end - measure_start).count();
  report.cpu = cpu_between(cpu_start, cpu_end);
  for (auto& w : workers_) {
    report.stats.merge(w->final_stats());
    report.gauges.add(w->final_gauges());
  }
  std::lock_guard lock(workers_mu_);
  workers_.clear();
  return report;
}

}  // namespace wimpu::loadgen
