#pragma once
// One trusted issuer's verification keys, with rotation by kid (issue 4, RFC 7517 §4.5).
//
// Readers (the shards' Verifiers) never block: the current KeySet is an immutable
// shared_ptr<const KeySet> swapped atomically, and a generation counter lets a shard keep its own
// copy of the pointer and only reload it when the generation moves (one relaxed-cost atomic load
// per verification instead of a shared_ptr copy).
//
// Writers: all refresh bookkeeping (rate limit, in-flight fetch, waiters, periodic timer) lives on
// one control executor (the main thread's io_context), reached by posting; shards never take a
// lock. An unknown kid triggers at most one refresh per `min_refresh_interval`; requests that arrive
// while a fetch is running join it instead of starting another.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "wimpu/common/clock.hpp"
#include "wimpu/common/expected.hpp"
#include "wimpu/token/algorithm.hpp"
#include "wimpu/token/jwks_fetcher.hpp"
#include "wimpu/token/key_set.hpp"

namespace wimpu::token {

/// Configuration of one trusted issuer's key store.
struct KeyStoreOptions {
  std::string issuer;                      ///< the exact `iss` value whose tokens these keys verify
  Algorithm algorithm = Algorithm::kEdDSA; ///< pinned: the only `alg` accepted from this issuer
  /// Minimum time between two fetches triggered by unknown kids (monotonic, from the Clock).
  common::Duration min_refresh_interval = std::chrono::seconds(30);
  /// Period of the background refresh started by start(); zero disables it.
  std::chrono::milliseconds refresh_interval = std::chrono::minutes(5);
};

/// Result of a refresh, as reported to whoever asked for it.
enum class RefreshOutcome : std::uint8_t {
  kUpdated,      ///< a new key set is in force
  kUnchanged,    ///< fetched, same keys
  kRateLimited,  ///< refused: the last fetch started less than min_refresh_interval ago
  kFailed,       ///< fetch or parse failed; the previous key set stays in force
};

/// Stable short name of a RefreshOutcome. Thread-safe.
std::string_view name(RefreshOutcome o) noexcept;

class KeyStore;
using KeyStorePtr = std::shared_ptr<KeyStore>;

/// Thread-safe as documented per method. Create with create(); share the pointer with every shard.
class KeyStore : public std::enable_shared_from_this<KeyStore> {
public:
  using RefreshCallback = std::function<void(RefreshOutcome)>;

  /// `fetcher` may be null (keys only via install(): no refresh ever happens, unknown kids are
  /// reported kRateLimited). `executor` is the control executor running the refresh bookkeeping,
  /// the fetch callbacks and the periodic timer. `clock` drives the rate limit.
  /// Throws std::invalid_argument on an empty issuer (configuration time).
  static KeyStorePtr create(KeyStoreOptions options, JwksFetcherPtr fetcher,
                            common::ClockPtr clock, boost::asio::any_io_executor executor);

  /// The issuer (`iss`) these keys belong to.
  const std::string& issuer() const noexcept { return options_.issuer; }
  /// The pinned algorithm.
  Algorithm algorithm() const noexcept { return options_.algorithm; }

  /// Parses `jwks` and, if valid, puts it in force (start-up, file sources, tests). A refused
  /// document leaves the current set in force. Thread-safe.
  Expected<RefreshOutcome, JwksError> install(std::string_view jwks);

  /// Puts an already built set in force (must use the pinned algorithm). Thread-safe.
  RefreshOutcome install(KeySetPtr keys);

  /// The key set in force, or null before the first successful install/fetch. Thread-safe
  /// (atomic load; copies a shared_ptr, so shards prefer generation() to poll).
  KeySetPtr snapshot() const noexcept;

  /// Bumped each time a different key set is put in force. Thread-safe, lock-free.
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }

  /// Asks for a refresh because a token named an unknown kid. Thread-safe, never blocks: the
  /// request is posted to the control executor. `done` (optional) is called there exactly once:
  /// with kRateLimited when the last fetch started less than min_refresh_interval ago (or there is
  /// no fetcher), otherwise with the outcome of the fetch it started or joined.
  void request_refresh(RefreshCallback done = {});

  /// Starts the background refresh: one fetch now, then one every refresh_interval (and after
  /// min_refresh_interval when a fetch fails). Thread-safe; idempotent. The store keeps itself
  /// alive while the timer runs: call stop() before dropping the last reference.
  void start();

  /// Stops the periodic refresh (a fetch in flight still completes). Thread-safe.
  void stop();

  /// Fetches started so far (metrics, tests). Thread-safe.
  std::uint64_t fetches_started() const noexcept {
    return fetches_.load(std::memory_order_relaxed);
  }

  /// Text of the last fetch/parse failure, empty if none (logs, admin). Thread-safe.
  std::string last_error() const;

private:
  KeyStore(KeyStoreOptions options, JwksFetcherPtr fetcher, common::ClockPtr clock,
           boost::asio::any_io_executor executor);

  // Control-executor only.
  void on_request(RefreshCallback done);
  void start_fetch();
  void on_fetched(FetchResult result);
  void arm_timer(std::chrono::milliseconds after);
  void set_error(std::string text);

  const KeyStoreOptions options_;
  const JwksFetcherPtr fetcher_;
  const common::ClockPtr clock_;
  const boost::asio::any_io_executor executor_;

  std::atomic<KeySetPtr> current_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::uint64_t> fetches_{0};

  // Control-executor state.
  bool in_flight_ = false;
  bool started_ = false;
  bool stopped_ = false;
  std::optional<common::TimePoint> last_fetch_;
  std::vector<RefreshCallback> waiters_;
  boost::asio::steady_timer timer_;

  mutable std::mutex error_mutex_;  // cold: written on failures, read by the admin
  std::string last_error_;
};

}  // namespace wimpu::token
