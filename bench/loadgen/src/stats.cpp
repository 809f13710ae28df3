#include "wimpu/loadgen/stats.hpp"

#include <numeric>

namespace wimpu::loadgen {

std::string_view name(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::kConnect:
      return "connect";
    case ErrorKind::kTls:
      return "tls";
    case ErrorKind::kHandshake:
      return "handshake";
    case ErrorKind::kConnectTimeout:
      return "connect_timeout";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kParse:
      return "parse";
    case ErrorKind::kClosed:
      return "closed";
    case ErrorKind::kUnmatched:
      return "unmatched";
    case ErrorKind::kToken:
      return "token";
    case ErrorKind::kAuth:
      return "auth";
    case ErrorKind::kBacklog:
      return "backlog";
    case ErrorKind::kRegisterFailed:
      return "register_failed";
    case ErrorKind::kCount_:
      break;
  }
  return "unknown";
}

void Stats::merge(const Stats& o) noexcept {
  for (std::size_t i = 0; i < responses_by_status.size(); ++i) {
    responses_by_status[i] += o.responses_by_status[i];
  }
  for (std::size_t i = 0; i < errors.size(); ++i) {
    errors[i] += o.errors[i];
  }
  requests_sent += o.requests_sent;
  transactions_done += o.transactions_done;
  transactions_ok += o.transactions_ok;
  challenges_answered += o.challenges_answered;
  connections_opened += o.connections_opened;
  connections_closed += o.connections_closed;
  tokens_minted += o.tokens_minted;
  invites_received += o.invites_received;
  acks_received += o.acks_received;
  byes_received += o.byes_received;
  cancels_received += o.cancels_received;
  other_requests_received += o.other_requests_received;
  calls_answered += o.calls_answered;
  calls_cancelled += o.calls_cancelled;
  ack_timeouts += o.ack_timeouts;
  idle_spin_ns += o.idle_spin_ns;
  ws_io.writes += o.ws_io.writes;
  ws_io.frames_out += o.ws_io.frames_out;
  ws_io.reads += o.ws_io.reads;
  ws_io.frames_in += o.ws_io.frames_in;
  latency.merge(o.latency);
  service_latency.merge(o.service_latency);
  connect_latency.merge(o.connect_latency);
}

void Stats::reset() noexcept {
  responses_by_status.fill(0);
  errors.fill(0);
  requests_sent = transactions_done = transactions_ok = challenges_answered = 0;
  connections_opened = connections_closed = tokens_minted = 0;
  invites_received = acks_received = byes_received = cancels_received = 0;
  other_requests_received = calls_answered = calls_cancelled = ack_timeouts = 0;
  ws_io = WsIoCounts{};
  idle_spin_ns = 0;
  latency.reset();  // keep the histograms' storage: reset runs on the worker's hot thread
  service_latency.reset();
  connect_latency.reset();
}

std::uint64_t Stats::total_errors() const noexcept {
  return std::accumulate(errors.begin(), errors.end(), std::uint64_t{0});
}

std::uint64_t Stats::total_responses() const noexcept {
  return std::accumulate(responses_by_status.begin(), responses_by_status.end(),
                         std::uint64_t{0});
}

void Gauges::add(const Gauges& o) noexcept {
  established += o.established;
  registered += o.registered;
  connecting += o.connecting;
  outstanding += o.outstanding;
  backlog += o.backlog;
  transactions_done += o.transactions_done;
  transactions_ok += o.transactions_ok;
  errors += o.errors;
}

}  // namespace wimpu::loadgen
