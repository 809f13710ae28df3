// The worker loop: connection launcher, tick (timeouts, re-registrations, gauges), fixed-rate
// sender, and the stop sequence.
#include "worker.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cmath>

namespace wimpu::loadgen::detail {
namespace asio = boost::asio;

namespace {
constexpr auto kTick = std::chrono::milliseconds(50);
constexpr auto kCloseGrace = std::chrono::seconds(2);
}  // namespace

Worker::Worker(const Shared& shared, const Share& share, TokenMinterPtr minter)
    : shared_(shared),
      share_(share),
      minter_(std::move(minter)),
      rng_(share.seed),
      tick_timer_(io_),
      rate_timer_(io_),
      grace_timer_(io_) {
  const unsigned c = std::max(1u, opt().ua_per_connection);
  links_.reserve(share.links);
  for (std::uint64_t i = 0; i < share.links; ++i) {
    links_.push_back(std::make_unique<Link>(*this, i, share.first_ua_index + i * c));
  }
  if (share_.rate > 0) {
    interval_ns_ = 1e9 / share_.rate;
  }
}

Worker::~Worker() {
  join();
  links_.clear();  // before io_: links detach from their connections
}

void Worker::start() {
  guard_.emplace(io_.get_executor());
  asio::post(io_, [this] { on_start(); });
  thread_ = std::thread([this] { run(); });
}

void Worker::run() {
  const auto spin = opt().spin;
  if (spin.count() <= 0) {
    io_.run();
  } else {
    // Busy-poll: after the last ready handler, keep polling (non-blocking epoll_wait) for up
    // to `spin` before blocking, so the server's next send finds us awake (no wake-up IPI on
    // its CPU). Polls that find nothing are counted as idle spin.
    while (!io_.stopped()) {
      if (io_.poll() > 0) {
        continue;
      }
      const TimePoint t0 = SteadyClock::now();
      TimePoint t = t0;
      bool found = false;
      while (!io_.stopped() && t - t0 < spin) {
        const TimePoint before = t;
        if (io_.poll() > 0) {
          stats_.idle_spin_ns += static_cast<std::uint64_t>(
              std::chrono::duration_cast<std::chrono::nanoseconds>(before - t0).count());
          found = true;
          break;
        }
        t = SteadyClock::now();
      }
      if (!found) {
        stats_.idle_spin_ns += static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(t - t0).count());
        if (!io_.stopped()) {
          io_.run_one();
        }
      }
    }
  }
  finished_.store(true, std::memory_order_release);
}

void Worker::join() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Worker::on_start() {
  const TimePoint now = SteadyClock::now();
  tokens_at_ = now;
  connect_tokens_ = 1;
  for (std::size_t i = 0; i < links_.size(); ++i) {
    launch_.emplace(now, i);
  }
  pump_launch(now);
  maybe_start_rate(now);
  if (share_.limited && share_.count == 0) {
    done_.store(true, std::memory_order_release);
  }
  arm_tick();
}

void Worker::post_reset() {
  asio::post(io_, [this] { stats_.reset(); });
}

void Worker::post_finish() {
  asio::post(io_, [this] { finish(); });
}

void Worker::finish() {
  if (stopping_) {
    return;
  }
  final_stats_ = stats_;
  publish_gauges();
  final_gauges_ = gauges();
  stopping_ = true;
  tick_timer_.cancel();
  rate_timer_.cancel();
  for (auto& link : links_) {
    link->shutdown();
  }
  guard_.reset();
  // Servers that do not answer the close handshake must not hold the run.
  grace_timer_.expires_after(kCloseGrace);
  grace_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) {
      io_.stop();
    }
  });
  connection_ended();  // nothing open: no need to wait
}

void Worker::connection_ended() {
  if (stopping_ && established == 0 && connecting == 0) {
    grace_timer_.cancel();
  }
}

Gauges Worker::gauges() const {
  std::lock_guard lock(gauges_mu_);
  return gauges_;
}

void Worker::publish_gauges() {
  Gauges g;
  g.established = established;
  g.registered = registered;
  g.connecting = connecting;
  g.outstanding = outstanding;
  g.backlog = backlog_.size();
  g.transactions_done = stats_.transactions_done;
  g.transactions_ok = stats_.transactions_ok;
  g.errors = stats_.total_errors();
  std::lock_guard lock(gauges_mu_);
  gauges_ = g;
}

std::optional<asio::ip::address> Worker::next_local_address() {
  const auto& locals = opt().local_addresses;
  if (locals.empty()) {
    return std::nullopt;
  }
  return locals[(local_rr_++ + share_.index) % locals.size()];
}

std::string Worker::mint(std::string_view subject) {
  if (!minter_) {
    return {};
  }
  auto token = minter_->mint(subject);
  if (!token) {
    ++stats_.error(ErrorKind::kToken);
    return {};
  }
  ++stats_.tokens_minted;
  return std::move(*token);
}

// ---- connection launcher: at most connect_concurrency handshakes in flight, connect_rate/s ----

void Worker::schedule_launch(std::size_t link, TimePoint at) {
  launch_.emplace(at, link);
}

void Worker::pump_launch(TimePoint now) {
  if (stopping_) {
    return;
  }
  if (share_.connect_rate > 0) {
    const double dt = std::chrono::duration<double>(now - tokens_at_).count();
    tokens_at_ = now;
    // Burst of at most one tick's worth, so a pause does not turn into a connection storm.
    const double cap = std::max(1.0, share_.connect_rate * 0.05);
    connect_tokens_ = std::min(cap, connect_tokens_ + dt * share_.connect_rate);
  }
  while (!launch_.empty() && launch_.top().first <= now &&
         connecting < share_.connect_concurrency &&
         (share_.connect_rate <= 0 || connect_tokens_ >= 1.0)) {
    const std::size_t i = launch_.top().second;
    launch_.pop();
    if (links_[i]->state() != Link::State::kDown) {
      continue;
    }
    if (share_.connect_rate > 0) {
      connect_tokens_ -= 1.0;
    }
    links_[i]->launch(now);
  }
}

// ---- tick ----

void Worker::arm_tick() {
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) {
      on_tick();
    }
  });
}

void Worker::on_tick() {
  if (stopping_) {
    return;
  }
  const TimePoint now = SteadyClock::now();
  for (auto& link : links_) {
    link->tick(now);
  }
  pump_launch(now);
  maybe_start_rate(now);
  maybe_start_closed_loop(now);
  publish_gauges();
  arm_tick();
}

// ---- closed loop and fixed rate ----

bool Worker::may_issue() const noexcept {
  return !stopping_ && (!share_.limited || issued_ < share_.count);
}

void Worker::try_issue(Link& link, Ua& ua, TimePoint now) {
  if (!may_issue()) {
    return;
  }
  ++issued_;
  link.issue(ua, now, now);
}

void Worker::transaction_ended() {
  ++ended_;
  if (share_.limited && ended_ >= share_.count) {
    done_.store(true, std::memory_order_release);
  }
}

void Worker::ua_free(Link& link, Ua& ua, TimePoint now) {
  if (stopping_) {
    return;
  }
  if (!backlog_.empty()) {
    const TimePoint intended = backlog_.front();
    backlog_.pop_front();
    link.issue(ua, intended, now);
    return;
  }
  free_.push_back(UaRef{link.local_index(), ua.slot, link.generation()});
}

void Worker::maybe_start_rate(TimePoint now) {
  // The clock starts once every link of this worker had its first connect attempt (opened or
  // failed), so the ramp-up does not count as latency (use --warmup to leave out more).
  if (!rate_mode() || rate_started_ || stopping_ || first_attempts_ < links_.size()) {
    return;
  }
  rate_started_ = true;
  rate_start_ = now;
  rate_k_ = 0;
  on_rate();
}

void Worker::maybe_start_closed_loop(TimePoint now) {
  if (!holding_closed_loop() || stopping_ || first_attempts_ < links_.size()) {
    return;
  }
  closed_loop_started_ = true;
  while (const std::optional<FreeUa> f = take_free_ua()) {
    try_issue(*f->link, *f->ua, now);
  }
}

std::optional<Worker::FreeUa> Worker::take_free_ua() {
  while (!free_.empty()) {
    const UaRef ref = free_.front();
    free_.pop_front();
    Link& link = *links_[ref.link];
    if (link.state() != Link::State::kOpen || link.generation() != ref.generation) {
      continue;  // the flow it belonged to is gone
    }
    Ua& ua = link.uas()[ref.slot];
    if (!ua.pending.active) {
      return FreeUa{&link, &ua};
    }
  }
  return std::nullopt;
}

void Worker::arm_rate(TimePoint now) {
  const TimePoint next_due =
      rate_start_ + std::chrono::nanoseconds(static_cast<std::int64_t>(
                        std::llround(static_cast<double>(rate_k_) * interval_ns_)));
  const auto tick = opt().rate_tick;
  rate_timer_.expires_at(std::max(next_due, now + tick));
  rate_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) {
      on_rate();
    }
  });
}

void Worker::on_rate() {
  if (stopping_) {
    return;
  }
  const TimePoint now = SteadyClock::now();
  while (may_issue()) {
    const TimePoint due =
        rate_start_ + std::chrono::nanoseconds(static_cast<std::int64_t>(
                          std::llround(static_cast<double>(rate_k_) * interval_ns_)));
    if (due > now) {
      break;
    }
    ++rate_k_;
    ++issued_;
    dispatch(due, now);
  }
  if (may_issue()) {
    arm_rate(now);
  }
}

void Worker::dispatch(TimePoint intended, TimePoint now) {
  if (const std::optional<FreeUa> f = take_free_ua()) {
    f->link->issue(*f->ua, intended, now);
    return;
  }
  if (backlog_.size() < opt().max_backlog) {
    backlog_.push_back(intended);
  } else {
    ++stats_.error(ErrorKind::kBacklog);
    transaction_ended();
  }
}

}  // namespace wimpu::loadgen::detail
