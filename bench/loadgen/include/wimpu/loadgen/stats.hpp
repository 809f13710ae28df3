#pragma once
// What one worker counts while it runs, and how the workers' figures add up. Each worker owns one
// Stats and touches it only from its own thread; the engine merges them when the run ends.
#include <array>
#include <cstdint>
#include <string_view>

#include "wimpu/loadgen/histogram.hpp"

namespace wimpu::loadgen {

/// Kinds of failure the load tool tells apart in its report.
enum class ErrorKind : std::uint8_t {
  kConnect,           ///< TCP connect refused/unreachable, or local bind failure
  kTls,               ///< TLS handshake failed (certificate, protocol)
  kHandshake,         ///< WebSocket upgrade refused (non-101, no `sip` subprotocol, bad accept)
  kConnectTimeout,    ///< connect + TLS + WebSocket handshake not done within the connect timeout
  kTimeout,           ///< no final response to a request within the transaction timeout
  kParse,             ///< a received WebSocket message is not a valid SIP message
  kClosed,            ///< the server closed or reset an established connection
  kUnmatched,         ///< a response whose Via branch matches no outstanding request
  kToken,             ///< the token source could not produce a token
  kAuth,              ///< a 401/407 the tool cannot answer (no credentials, or challenged twice)
  kBacklog,           ///< fixed-rate mode: a send was dropped because the backlog was full
  kRegisterFailed,    ///< idle/answer mode: the connection's REGISTER got a non-2xx final answer
  kCount_,            ///< number of kinds; not an error
};

/// Stable snake_case name of `kind` ("connect", "handshake", ...), used in text and JSON reports.
std::string_view name(ErrorKind kind) noexcept;

/// Socket-level counts of the WebSocket connections: frames per write and per read tell how
/// much the tool coalesced (several REGISTERs of one flow in one socket write).
struct WsIoCounts {
  std::uint64_t writes = 0;      ///< socket writes (after the upgrade)
  std::uint64_t frames_out = 0;  ///< WebSocket frames in those writes
  std::uint64_t reads = 0;       ///< socket reads that returned data (after the upgrade)
  std::uint64_t frames_in = 0;   ///< WebSocket frames decoded from them
};

/// Figures of one worker (or, after merge(), of the whole process).
///
/// Threading: plain data, owned by one thread at a time.
struct Stats {
  static constexpr int kMaxStatus = 700;

  /// Responses received, by status code (100..699); [0] counts codes outside that range.
  std::array<std::uint64_t, kMaxStatus> responses_by_status{};
  /// Errors by kind.
  std::array<std::uint64_t, static_cast<std::size_t>(ErrorKind::kCount_)> errors{};

  std::uint64_t requests_sent = 0;        ///< SIP requests written (REGISTERs and their retries)
  std::uint64_t transactions_done = 0;    ///< registrations ended by a final response we do not answer
  std::uint64_t transactions_ok = 0;      ///< ... of which 2xx
  std::uint64_t challenges_answered = 0;  ///< 401s answered with digest credentials
  std::uint64_t connections_opened = 0;   ///< WebSocket handshakes completed
  std::uint64_t connections_closed = 0;   ///< established connections that ended (either side)
  std::uint64_t tokens_minted = 0;        ///< tokens produced by the minter during the run

  // Answer mode (the tool as a UAS).
  std::uint64_t invites_received = 0;
  std::uint64_t acks_received = 0;
  std::uint64_t byes_received = 0;
  std::uint64_t cancels_received = 0;
  std::uint64_t other_requests_received = 0;
  std::uint64_t calls_answered = 0;       ///< final 2xx sent to an INVITE
  std::uint64_t calls_cancelled = 0;      ///< 487 sent after a CANCEL
  std::uint64_t ack_timeouts = 0;         ///< 2xx sent but no ACK within the transaction timeout

  WsIoCounts ws_io;                       ///< socket writes/reads and the frames they carried
  std::uint64_t idle_spin_ns = 0;         ///< --spin-us: time spent polling without finding work

  /// Request latency (ns): REGISTER sent (closed loop) or due (fixed rate: the intended send time,
  /// so a stalled server or tool shows up as latency; coordinated omission) to its final response.
  /// A digest challenge round trip is inside the measured time.
  Histogram latency;
  /// Fixed rate only: from the actual write to the final response (the service time alone).
  Histogram service_latency;
  /// Connection set-up (ns): TCP connect start to WebSocket handshake done.
  Histogram connect_latency;

  /// Adds `other` into this.
  void merge(const Stats& other) noexcept;
  /// Zeroes every figure (start of the measurement window after warm-up).
  void reset() noexcept;

  std::uint64_t& error(ErrorKind k) noexcept { return errors[static_cast<std::size_t>(k)]; }
  std::uint64_t error(ErrorKind k) const noexcept { return errors[static_cast<std::size_t>(k)]; }
  /// Sum of every error kind.
  std::uint64_t total_errors() const noexcept;
  /// Sum of responses_by_status.
  std::uint64_t total_responses() const noexcept;
  /// Counts `status` in responses_by_status.
  void count_status(int status) noexcept {
    ++responses_by_status[status >= 100 && status < kMaxStatus ? status : 0];
  }
};

/// Live figures a worker publishes for the periodic progress line and the idle-mode gauges.
/// Plain counters copied on the worker's thread (no histograms: cheap to copy every second).
struct Gauges {
  std::uint64_t established = 0;  ///< WebSocket connections open now
  std::uint64_t registered = 0;   ///< of which with a successful registration
  std::uint64_t connecting = 0;   ///< connect/handshake in progress
  std::uint64_t outstanding = 0;  ///< requests awaiting a final response
  std::uint64_t backlog = 0;      ///< fixed rate: due sends waiting for a free UA
  std::uint64_t transactions_done = 0;
  std::uint64_t transactions_ok = 0;
  std::uint64_t errors = 0;

  void add(const Gauges& o) noexcept;
};

}  // namespace wimpu::loadgen
