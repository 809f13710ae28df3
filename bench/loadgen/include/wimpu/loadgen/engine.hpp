#pragma once
// The load engine: N worker threads, one io_context each, each holding its share of the
// WebSocket SIP connections. Every connection carries `ua_per_connection` virtual WICs (UAs);
// each UA has its own identity (instance, Call-ID, token) and at most one REGISTER outstanding.
//
// Modes (issue 8 "Load tools"):
//  - kRegister: REGISTER load, closed loop (each UA sends its next REGISTER when the previous one
//    got its final answer) or fixed rate (open loop at `rate` REGISTER/s overall; latency is
//    measured from the intended send time, so a stalled server cannot hide behind a slowed-down
//    client: coordinated omission).
//  - kIdle: open the connections, register each UA once, hold them (answering server pings,
//    optionally re-registering before expiry) until the duration ends or stop is requested.
//  - kAnswer: like kIdle, and answer incoming INVITEs as a WIC would: 180, then 200 with SDP;
//    ACK absorbed, BYE -> 200, CANCEL -> 200 + 487.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "wimpu/loadgen/stats.hpp"
#include "wimpu/loadgen/system.hpp"
#include "wimpu/loadgen/token_source.hpp"
#include "wimpu/loadgen/ws_client.hpp"

namespace wimpu::loadgen {

enum class Mode : std::uint8_t { kRegister, kIdle, kAnswer };
/// "register", "idle", "answer".
std::string_view name(Mode mode) noexcept;

/// Bearer token policy.
struct TokenOptions {
  /// Produces tokens (one minter per worker). Null: no Authorization header (unless digest).
  TokenMinterFactory minter;
  /// Mint a token for every REGISTER (the signature-check path of the server). Otherwise one token
  /// per UA per connection, re-used for its re-registrations (the server's cache-hit path).
  bool fresh_per_request = false;
  /// The JWT `sub` per request ("<prefix><ua>-<n>": a new web identity each time, so a new IMPU
  /// allocation) instead of per UA ("<prefix><ua>").
  bool subject_per_request = false;
  std::string subject_prefix = "loadgen-";
  /// `Bearer access_token="..."` (TS 24.371 Annex A) instead of `Bearer <token>` (RFC 8898).
  bool access_token_form = false;
};

/// auth_ephemeral digest answers to 401/407 (the Kamailio reference runs).
struct DigestOptions {
  std::string secret;  ///< shared secret; empty disables digest answers
  /// Digest user name; "{n}" is replaced by the UA index. Empty: the AOR's user part.
  std::string user;
  std::chrono::seconds ttl{3600};  ///< expiry = now + ttl in the ephemeral username
  /// After a first challenge, send later REGISTERs of the UA with credentials for the same nonce
  /// (nc incremented), as SIP UAs do; the server answers them without a new 401 while the nonce
  /// is valid. Off: every REGISTER goes out bare and is challenged.
  bool reuse_nonce = false;
};

/// Everything a run needs. Defaults are what the CLI documents.
struct EngineOptions {
  Mode mode = Mode::kRegister;
  WsClientConfig ws;                                  ///< URL, Origin, TLS (shared, immutable)
  std::vector<boost::asio::ip::address> local_addresses;  ///< round-robin source addresses
  unsigned threads = 1;
  std::uint64_t connections = 1;                      ///< total, split across threads
  unsigned ua_per_connection = 1;                     ///< C: UAs (outstanding REGISTERs) per flow
  double connect_rate = 0;                            ///< new connections/s overall; 0: no limit
  unsigned connect_concurrency = 256;                 ///< connects in progress per process
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds transaction_timeout{5000};
  bool reconnect = true;                              ///< re-open connections the server closed
  std::chrono::milliseconds reconnect_delay{1000};

  // SIP
  std::string domain;                                 ///< Request-URI host; empty: the URL host
  std::string aor;         ///< placeholder To/From URI, "{n}" -> UA index; empty: sip:wic@<domain>
  std::uint32_t expires = 600;
  std::string user_agent = "wimpu-loadgen";           ///< SIP User-Agent; empty: none

  // register mode
  double rate = 0;                     ///< REGISTER/s overall (fixed rate); 0: closed loop
  std::uint64_t count = 0;             ///< stop after this many REGISTERs issued+ended; 0: no limit
  /// Close the flow after this many completed registrations and open a new one with new UAs
  /// (new connection per registration when 1); 0: keep re-registering on the same flow.
  std::uint64_t requests_per_connection = 0;
  std::size_t max_backlog = 1'000'000;  ///< fixed rate: due sends waiting for a free UA
  /// Fixed rate: the send loop sleeps at least this long between batches (bounds wake-ups; the
  /// latency still counts from each request's own intended time).
  std::chrono::microseconds rate_tick{100};
  /// Busy-poll this long for new events before a worker blocks (0: block at once). On loopback a
  /// sleeping tool makes the server pay a wake-up (an IPI) in every send; spinning removes that
  /// cost from the server under test. The spin is reported apart (Stats::idle_spin_ns).
  std::chrono::microseconds spin{0};

  /// Run length after warm-up (0: until count reached or stop requested).
  std::chrono::milliseconds duration{0};
  /// Figures are reset after this (connections, registrations ramp up first).
  std::chrono::milliseconds warmup{0};

  // idle / answer
  bool reregister = false;  ///< re-register before expiry (half the granted time, TS 24.229)
  std::chrono::milliseconds ring_time{0};  ///< answer: delay between 180 and the final response
  int answer_status = 200;                 ///< answer: final status for INVITEs (200, 486, ...)

  TokenOptions token;
  DigestOptions digest;
  std::uint64_t index_base = 0;  ///< first UA index (distinct per process when run side by side)
  std::uint64_t seed = 0;        ///< 0: random
  std::chrono::milliseconds report_interval{1000};  ///< progress callback period; 0: none
};

/// The outcome of a run.
struct RunReport {
  Mode mode = Mode::kRegister;
  std::string url;
  unsigned processes = 1;                   ///< load-tool processes merged into this report
  unsigned threads = 0;                     ///< worker threads (all processes)
  std::uint64_t connections = 0;
  unsigned ua_per_connection = 0;
  double target_rate = 0;                   ///< 0 for closed loop
  double measured_seconds = 0;              ///< the window the figures cover (after warm-up)
  Stats stats;                              ///< merged over workers, measurement window only
  Gauges gauges;                            ///< connection gauges at the end of the window
  /// This process (sum over the processes of a multi-process run; max_rss_kib is the largest
  /// process's), measurement window only.
  CpuUsage cpu;
  std::uint64_t nofile_limit = 0;           ///< RLIMIT_NOFILE soft limit during the run
  std::string stop_reason;                  ///< "duration", "count", "stopped"
};

/// Periodic progress: seconds since start, gauges summed over workers.
using ProgressCallback = std::function<void(double elapsed_seconds, const Gauges& gauges)>;

/// Runs a load. Construction validates the options (throws std::invalid_argument: startup);
/// run() blocks until the run ends.
///
/// Threading: run() is called once, from one thread; request_stop() and gauges() are safe from any
/// thread (request_stop() also from a signal handler: it only stores to an atomic).
class Engine {
public:
  explicit Engine(EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Starts the workers, waits for the end (duration, count, stop), stops the workers, merges
  /// their figures. Throws std::runtime_error at startup (resolve failure, token minter failure).
  RunReport run(const ProgressCallback& progress = {});
  /// Ends the run soon (the main loop polls it every few ms). Async-signal-safe.
  void request_stop() noexcept { stop_.store(true, std::memory_order_relaxed); }
  /// Gauges summed over workers (updated by each worker every 50 ms); zero before run() started
  /// the workers and after it returned.
  Gauges gauges() const;

  /// The options in force.
  const EngineOptions& options() const noexcept { return options_; }

private:
  class Worker;
  EngineOptions options_;
  std::atomic<bool> stop_{false};
  mutable std::mutex workers_mu_;  // guards workers_ (the vector) against gauges() callers
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace wimpu::loadgen
