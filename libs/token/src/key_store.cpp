#include "wimpu/token/key_store.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <stdexcept>

#include "wimpu/common/counter.hpp"

namespace wimpu::token {
namespace {

common::Counter& outcome_counter(RefreshOutcome o) {
  static common::Counter* const counters[] = {
      &common::counter("token.jwks.refresh.updated"),
      &common::counter("token.jwks.refresh.unchanged"),
      &common::counter("token.jwks.refresh.rate_limited"),
      &common::counter("token.jwks.refresh.failed"),
  };
  return *counters[static_cast<std::size_t>(o)];
}

}  // namespace

std::string_view name(RefreshOutcome o) noexcept {
  switch (o) {
    case RefreshOutcome::kUpdated:
      return "updated";
    case RefreshOutcome::kUnchanged:
      return "unchanged";
    case RefreshOutcome::kRateLimited:
      return "rate_limited";
    case RefreshOutcome::kFailed:
      return "failed";
  }
  return "unknown";
}

KeyStorePtr KeyStore::create(KeyStoreOptions options, JwksFetcherPtr fetcher,
                             common::ClockPtr clock, boost::asio::any_io_executor executor) {
  if (options.issuer.empty()) {
    throw std::invalid_argument("token key store: empty issuer");
  }
  if (!clock) {
    throw std::invalid_argument("token key store: no clock");
  }
  return KeyStorePtr(
      new KeyStore(std::move(options), std::move(fetcher), std::move(clock), std::move(executor)));
}

KeyStore::KeyStore(KeyStoreOptions options, JwksFetcherPtr fetcher, common::ClockPtr clock,
                   boost::asio::any_io_executor executor)
    : options_(std::move(options)),
      fetcher_(std::move(fetcher)),
      clock_(std::move(clock)),
      executor_(std::move(executor)),
      timer_(executor_) {}

Expected<RefreshOutcome, JwksError> KeyStore::install(std::string_view jwks) {
  auto set = KeySet::parse(jwks, options_.algorithm);
  if (!set) {
    set_error("JWKS refused: " + std::string(name(set.error())));
    return set.error();
  }
  return install(std::move(*set));
}

RefreshOutcome KeyStore::install(KeySetPtr keys) {
  if (!keys || keys->algorithm() != options_.algorithm) {
    return RefreshOutcome::kFailed;
  }
  const KeySetPtr old = current_.load(std::memory_order_acquire);
  if (old && old->same_keys(*keys)) {
    return RefreshOutcome::kUnchanged;
  }
  // Publish the set before the generation: a reader that sees the new generation then loads a
  // set at least that new.
  current_.store(std::move(keys), std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return RefreshOutcome::kUpdated;
}

KeySetPtr KeyStore::snapshot() const noexcept { return current_.load(std::memory_order_acquire); }

void KeyStore::request_refresh(RefreshCallback done) {
  boost::asio::post(executor_, [self = shared_from_this(), done = std::move(done)]() mutable {
    self->on_request(std::move(done));
  });
}

void KeyStore::on_request(RefreshCallback done) {
  if (in_flight_) {
    if (done) {
      waiters_.push_back(std::move(done));  // join the running fetch
    }
    return;
  }
  const auto now = clock_->now();
  if (!fetcher_ || (last_fetch_ && now - *last_fetch_ < options_.min_refresh_interval)) {
    outcome_counter(RefreshOutcome::kRateLimited).inc();
    if (done) {
      done(RefreshOutcome::kRateLimited);
    }
    return;
  }
  if (done) {
    waiters_.push_back(std::move(done));
  }
  start_fetch();
}

void KeyStore::start_fetch() {
  in_flight_ = true;
  last_fetch_ = clock_->now();
  fetches_.fetch_add(1, std::memory_order_relaxed);
  common::counter("token.jwks.fetch").inc();
  fetcher_->async_fetch([self = shared_from_this()](FetchResult r) mutable {
    // The fetcher may complete on its own executor; the bookkeeping lives on ours.
    boost::asio::dispatch(self->executor_, [self, r = std::move(r)]() mutable {
      self->on_fetched(std::move(r));
    });
  });
}

void KeyStore::on_fetched(FetchResult result) {
  in_flight_ = false;
  RefreshOutcome outcome = RefreshOutcome::kFailed;
  if (!result) {
    set_error(fetcher_->describe() + ": " + result.error().message());
  } else if (auto installed = install(*result); installed) {
    outcome = *installed;
  }
  outcome_counter(outcome).inc();
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) {
    w(outcome);
  }
  if (started_ && !stopped_) {
    arm_timer(outcome == RefreshOutcome::kFailed
                  ? std::chrono::duration_cast<std::chrono::milliseconds>(
                        options_.min_refresh_interval)
                  : options_.refresh_interval);
  }
}

void KeyStore::start() {
  boost::asio::post(executor_, [self = shared_from_this()] {
    if (self->started_ || self->stopped_ || !self->fetcher_) {
      return;
    }
    self->started_ = true;
    if (!self->in_flight_) {
      self->start_fetch();
    }
  });
}

void KeyStore::stop() {
  boost::asio::post(executor_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
  });
}

void KeyStore::arm_timer(std::chrono::milliseconds after) {
  if (after.count() <= 0) {
    return;
  }
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopped_ || self->in_flight_) {
      return;
    }
    self->start_fetch();
  });
}

void KeyStore::set_error(std::string text) {
  std::lock_guard lock(error_mutex_);
  last_error_ = std::move(text);
}

std::string KeyStore::last_error() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

}  // namespace wimpu::token
