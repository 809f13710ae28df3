#pragma once
// One load worker: an io_context on its own thread holding a share of the connections (Links).
// Private to the engine.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "wimpu/loadgen/digest.hpp"
#include "wimpu/loadgen/engine.hpp"
#include "wimpu/loadgen/response_scan.hpp"
#include "wimpu/loadgen/rng.hpp"
#include "wimpu/loadgen/wic_messages.hpp"
#include "wimpu/sip/message.hpp"

namespace wimpu::loadgen::detail {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

/// Read-only run settings shared by the workers.
struct Shared {
  const EngineOptions* options = nullptr;
  std::shared_ptr<const WsClientConfig> ws;
  boost::asio::ip::tcp::endpoint remote;
  std::string request_uri;  ///< "sip:<domain>"
};

/// The REGISTER a UA has outstanding (at most one).
struct Pending {
  bool active = false;
  std::uint8_t challenges = 0;  ///< 401/407 answered for this registration
  std::uint32_t seq = 0;        ///< in the branch; tells a stale response from the current one
  TimePoint intended{};         ///< fixed rate: when it was due; closed loop: == sent
  TimePoint sent{};             ///< first write
  TimePoint deadline{};
};

/// One virtual WIC on a flow.
struct Ua {
  std::uint32_t slot = 0;
  std::uint64_t index = 0;  ///< global UA index ({n}, token subject)
  std::string aor;
  std::string digest_user;
  WicIdentity id;
  RegisterTemplate tmpl;      ///< this identity's REGISTER text (prepared per flow)
  std::string authorization;  ///< cached "Bearer ..." (token re-used)
  DigestCredentials creds;
  std::optional<DigestChallenge> challenge;
  bool challenge_proxy = false;  ///< the challenge came in a 407 (Proxy-Authorization)
  Pending pending;
  bool registered = false;
  std::uint64_t requests = 0;  ///< REGISTERs started by this UA (per-request subjects)
  TimePoint rereg_at = TimePoint::max();
};

/// An INVITE server transaction / dialog of the answer mode.
struct Call {
  enum class State : std::uint8_t { kRinging, kAnswered, kRejected, kConfirmed };
  std::string call_id;
  sip::Message invite;
  std::string to_tag;
  State state = State::kRinging;
  TimePoint ack_deadline = TimePoint::max();
  std::unique_ptr<boost::asio::steady_timer> ring_timer;
};

class Worker;

/// One connection slot: opens a flow, runs its UAs, re-opens after a close when asked.
class Link final : public WsSipHandler {
public:
  enum class State : std::uint8_t { kDown, kConnecting, kOpen, kClosing };

  Link(Worker& worker, std::size_t local_index, std::uint64_t first_ua_index);
  ~Link() override;
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  void launch(TimePoint now);
  void tick(TimePoint now);
  /// Starts a registration of `ua` due at `intended`.
  void issue(Ua& ua, TimePoint intended, TimePoint now);
  /// End of run: close (open) or abort (connecting).
  void shutdown();

  State state() const noexcept { return state_; }
  std::uint64_t generation() const noexcept { return generation_; }
  std::vector<Ua>& uas() noexcept { return uas_; }
  std::size_t local_index() const noexcept { return local_index_; }
  std::size_t calls() const noexcept { return calls_.size(); }

  void on_open(WsSipConnection& c) override;
  void on_message(WsSipConnection& c, std::string_view message) override;
  void on_failed(WsSipConnection& c, ErrorKind kind, boost::system::error_code ec) override;
  void on_closed(WsSipConnection& c, bool by_us, boost::system::error_code ec) override;

private:
  void new_identities();
  void send_register(Ua& ua, std::string_view auth_header, std::string_view auth_value);
  /// `msg`: the fully parsed response, or null when the scan's fields sufficed.
  void handle_response(const ResponseHead& head, const sip::Message* msg, TimePoint now);
  bool answer_challenge(Ua& ua, const sip::Message& msg);
  void complete(Ua& ua, int status, const sip::Message* msg, TimePoint now);
  bool needs_full_parse(const ResponseHead& head) const noexcept;
  void ended(Ua& ua, TimePoint now);
  void after_transaction(Ua& ua, TimePoint now);
  void note_registration(Ua& ua, int status, const sip::Message* msg, TimePoint now);
  void retry_later(Ua& ua, TimePoint now);
  void drop_flow_state();

  // UAS side (uas.cpp)
  void handle_request(const sip::Message& msg, TimePoint now);
  void respond(const sip::Message& request, int status, std::string_view to_tag,
               std::string_view sdp = {});
  void answer_call(Call& call, TimePoint now);
  void ring_timer_fired(const std::string& call_id, std::uint64_t generation);
  Call* find_call(std::string_view call_id);
  void erase_call(std::string_view call_id);

  Worker& w_;
  std::size_t local_index_;
  WsSipConnectionPtr conn_;
  State state_ = State::kDown;
  bool churn_ = false;  // closing to open a fresh flow (requests_per_connection)
  std::uint64_t generation_ = 0;
  TimePoint connect_started_{};
  TimePoint connect_deadline_{};  // also bounds a graceful close (kClosing)
  bool first_attempt_done_ = false;
  std::uint64_t issued_on_flow_ = 0;
  std::uint64_t completed_on_flow_ = 0;
  std::vector<Ua> uas_;
  std::vector<std::unique_ptr<Call>> calls_;
  std::string contact_uri_;  // UAS Contact (the first UA's identity)
};

/// A worker thread with its io_context and links.
class Worker {
public:
  struct Share {
    unsigned index = 0;
    std::uint64_t links = 0;
    std::uint64_t first_ua_index = 0;
    bool limited = false;     // register mode with --count
    std::uint64_t count = 0;  // REGISTERs to issue when limited
    double rate = 0;
    double connect_rate = 0;
    unsigned connect_concurrency = 1;
    std::uint64_t seed = 0;
  };

  Worker(const Shared& shared, const Share& share, TokenMinterPtr minter);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // ---- called from the engine's thread ----
  void start();
  /// Zeroes the figures (warm-up over). Asynchronous.
  void post_reset();
  /// Freezes the figures and closes everything; the thread ends soon after. Asynchronous.
  void post_finish();
  void join();
  bool done() const noexcept { return done_.load(std::memory_order_acquire); }
  bool finished() const noexcept { return finished_.load(std::memory_order_acquire); }
  Gauges gauges() const;
  /// The figures frozen by post_finish(); read after join().
  const Stats& final_stats() const noexcept { return final_stats_; }
  const Gauges& final_gauges() const noexcept { return final_gauges_; }

  // ---- used by the links, on the worker thread ----
  const EngineOptions& opt() const noexcept { return *shared_.options; }
  const Shared& shared() const noexcept { return shared_; }
  boost::asio::io_context& io() noexcept { return io_; }
  Stats& stats() noexcept { return stats_; }
  Rng& rng() noexcept { return rng_; }
  sip::Message& scratch_message() noexcept { return msg_; }
  std::string& out() noexcept { return out_; }
  std::string& auth() noexcept { return auth_; }
  std::string& branch() noexcept { return branch_; }
  bool stopping() const noexcept { return stopping_; }
  bool rate_mode() const noexcept { return share_.rate > 0; }
  std::uint32_t next_seq() noexcept { return ++seq_; }
  std::uint64_t next_generation() noexcept { return (std::uint64_t{share_.index} << 40) | ++gen_; }
  std::optional<boost::asio::ip::address> next_local_address();

  /// Mints a token for `subject` (counted); empty on failure (counted as kToken).
  std::string mint(std::string_view subject);
  bool has_minter() const noexcept { return minter_ != nullptr; }

  /// Closed loop: issues the UA's next REGISTER if the count allows.
  void try_issue(Link& link, Ua& ua, TimePoint now);
  /// Fixed rate: the UA can take the next due REGISTER.
  void ua_free(Link& link, Ua& ua, TimePoint now);
  /// A REGISTER ended (final answer, timeout or lost with its flow).
  void transaction_ended();
  /// A link's first connection attempt ended (opened or failed).
  void first_attempt_done() noexcept { ++first_attempts_; }
  void schedule_launch(std::size_t link, TimePoint at);
  void pump_launch(TimePoint now);
  /// Fixed rate: starts the send clock once the first connection round is done.
  void maybe_start_rate(TimePoint now);
  /// Closed loop: whether the UAs of an opened link wait for the first connection round.
  bool holding_closed_loop() const noexcept { return !rate_mode() && !closed_loop_started_; }
  /// Closed loop: once every link's first connect ended, every waiting UA issues its REGISTER.
  void maybe_start_closed_loop(TimePoint now);

  // gauges kept by the links
  std::uint64_t connecting = 0;
  std::uint64_t established = 0;
  std::uint64_t registered = 0;
  std::uint64_t outstanding = 0;

  void connection_ended();  // for the stop sequence

private:
  struct UaRef {
    std::size_t link;
    std::uint32_t slot;
    std::uint64_t generation;
  };

  void run();
  void on_start();
  void arm_tick();
  void on_tick();
  void arm_rate(TimePoint now);
  void on_rate();
  void dispatch(TimePoint intended, TimePoint now);
  struct FreeUa {
    Link* link;
    Ua* ua;
  };
  /// The next UA of free_ still on its flow and without a pending REGISTER (stale ones dropped).
  std::optional<FreeUa> take_free_ua();
  bool may_issue() const noexcept;
  void publish_gauges();
  void finish();

  const Shared& shared_;
  Share share_;
  boost::asio::io_context io_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
  std::thread thread_;
  TokenMinterPtr minter_;
  Rng rng_;
  sip::Message msg_;
  std::string out_;
  std::string auth_;
  std::string branch_;
  std::uint32_t seq_ = 0;
  std::uint64_t gen_ = 0;
  std::size_t local_rr_ = 0;

  std::vector<std::unique_ptr<Link>> links_;
  Stats stats_;
  Stats final_stats_;
  Gauges final_gauges_;

  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer rate_timer_;
  boost::asio::steady_timer grace_timer_;

  // connection launcher
  using LaunchItem = std::pair<TimePoint, std::size_t>;
  std::priority_queue<LaunchItem, std::vector<LaunchItem>, std::greater<>> launch_;
  double connect_tokens_ = 0;
  TimePoint tokens_at_{};

  std::size_t first_attempts_ = 0;  // links whose first connect ended

  // fixed rate
  bool rate_started_ = false;
  // Closed loop starts after the first connection round: a server must not have to finish
  // WebSocket handshakes under the full load of the links already open (Kamailio's single TCP
  // worker then let some handshakes pass the connect timeout, and the run carried on with fewer
  // connections than asked: bench/RESULTS.md, Run 8).
  bool closed_loop_started_ = false;
  TimePoint rate_start_{};
  std::uint64_t rate_k_ = 0;
  double interval_ns_ = 0;
  std::deque<UaRef> free_;
  std::deque<TimePoint> backlog_;

  // count
  std::uint64_t issued_ = 0;
  std::uint64_t ended_ = 0;

  bool stopping_ = false;
  std::atomic<bool> done_{false};
  std::atomic<bool> finished_{false};
  mutable std::mutex gauges_mu_;
  Gauges gauges_;
};

}  // namespace wimpu::loadgen::detail
