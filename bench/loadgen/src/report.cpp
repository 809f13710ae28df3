#include "wimpu/loadgen/report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include <cstdio>
#include <string_view>

namespace wimpu::loadgen {
namespace {

// The tool's CPU (user + system) per 1,000 transactions ended, in milliseconds: its own cost per
// REGISTER, comparable between runs at different rates.
double cpu_ms_per_1000(const RunReport& r) {
  const auto n = r.stats.transactions_done;
  return n == 0 ? 0.0 : 1e6 * r.cpu.total_seconds() / static_cast<double>(n);
}

// The CPU without the --spin-us polling that found nothing (equal to the CPU without a spin).
double busy_seconds(const RunReport& r) {
  return std::max(0.0, r.cpu.total_seconds() - 1e-9 * static_cast<double>(r.stats.idle_spin_ns));
}
double busy_cores(const RunReport& r) {
  return r.cpu.wall_seconds > 0 ? busy_seconds(r) / r.cpu.wall_seconds : 0;
}
double busy_ms_per_1000(const RunReport& r) {
  const auto n = r.stats.transactions_done;
  return n == 0 ? 0.0 : 1e6 * busy_seconds(r) / static_cast<double>(n);
}

constexpr double kQuantiles[] = {0.5, 0.9, 0.99, 0.999, 0.9999};
constexpr std::string_view kQuantileNames[] = {"p50", "p90", "p99", "p99.9", "p99.99"};

double per_second(std::uint64_t n, double s) { return s > 0 ? static_cast<double>(n) / s : 0; }

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

// "1.234 ms" / "567 us" for a nanosecond value.
std::string human_ns(std::uint64_t ns) {
  if (ns >= 1'000'000) {
    return fmt("%.3f ms", static_cast<double>(ns) / 1e6);
  }
  return fmt("%.1f us", static_cast<double>(ns) / 1e3);
}

void text_histogram(std::string& out, std::string_view title, const Histogram& h) {
  if (h.count() == 0) {
    return;
  }
  out.append(title).append(" (n=").append(std::to_string(h.count())).append("):");
  for (std::size_t i = 0; i < std::size(kQuantiles); ++i) {
    out.append(" ").append(kQuantileNames[i]).append(" ").append(
        human_ns(h.value_at_quantile(kQuantiles[i])));
  }
  out.append("  max ").append(human_ns(h.max()));
  out.append("  mean ").append(human_ns(static_cast<std::uint64_t>(h.mean()))).append("\n");
}

nlohmann::json json_histogram(const Histogram& h) {
  nlohmann::json j;
  j["count"] = h.count();
  for (std::size_t i = 0; i < std::size(kQuantiles); ++i) {
    j[std::string(kQuantileNames[i]) + "_us"] = us(h.value_at_quantile(kQuantiles[i]));
  }
  j["min_us"] = us(h.min());
  j["max_us"] = us(h.max());
  j["mean_us"] = h.mean() / 1000.0;
  return j;
}

}  // namespace

std::string format_text(const RunReport& r) {
  const Stats& s = r.stats;
  const double t = r.measured_seconds;
  std::string out;
  out.append("wimpu-loadgen ").append(name(r.mode)).append(" ").append(r.url).append("\n");
  out.append("  ");
  if (r.processes > 1) {
    out.append("processes ").append(std::to_string(r.processes)).append(", ");
  }
  out.append("threads ").append(std::to_string(r.threads));
  out.append(", connections ").append(std::to_string(r.connections));
  out.append(", UAs/connection ").append(std::to_string(r.ua_per_connection));
  if (r.mode == Mode::kRegister) {
    out.append(r.target_rate > 0 ? ", fixed rate " + fmt("%.0f/s", r.target_rate)
                                 : std::string(", closed loop"));
  }
  out.append(", window ").append(fmt("%.2f s", t)).append(" (end: ").append(r.stop_reason);
  out.append(")\n");
  out.append("requests sent      ").append(std::to_string(s.requests_sent));
  out.append(fmt("  (%.1f/s)", per_second(s.requests_sent, t))).append("\n");
  out.append("transactions done  ").append(std::to_string(s.transactions_done));
  out.append(fmt("  (%.1f/s)", per_second(s.transactions_done, t)));
  out.append(", 2xx ").append(std::to_string(s.transactions_ok));
  out.append(fmt("  (%.1f/s)", per_second(s.transactions_ok, t)));
  if (s.challenges_answered > 0) {
    out.append(", digest challenges answered ").append(std::to_string(s.challenges_answered));
  }
  out.append("\n");
  out.append("responses by status:");
  bool any = false;
  for (int code = 0; code < Stats::kMaxStatus; ++code) {
    if (s.responses_by_status[code] > 0) {
      out.append(" ").append(code == 0 ? "other" : std::to_string(code)).append("=");
      out.append(std::to_string(s.responses_by_status[code]));
      any = true;
    }
  }
  out.append(any ? "\n" : " none\n");
  out.append("errors:");
  if (s.total_errors() == 0) {
    out.append(" none");
  }
  for (std::size_t k = 0; k < s.errors.size(); ++k) {
    if (s.errors[k] > 0) {
      out.append(" ").append(name(static_cast<ErrorKind>(k))).append("=");
      out.append(std::to_string(s.errors[k]));
    }
  }
  out.append("\n");
  text_histogram(out,
                 r.target_rate > 0 ? "latency from intended send" : "latency",
                 s.latency);
  text_histogram(out, "service time (from actual send)", s.service_latency);
  text_histogram(out, "connect+handshake", s.connect_latency);
  out.append("connections: opened ").append(std::to_string(s.connections_opened));
  out.append(", closed ").append(std::to_string(s.connections_closed));
  out.append("; at end: established ").append(std::to_string(r.gauges.established));
  out.append(", registered UAs ").append(std::to_string(r.gauges.registered));
  out.append(", connecting ").append(std::to_string(r.gauges.connecting)).append("\n");
  if (s.tokens_minted > 0) {
    out.append("tokens minted ").append(std::to_string(s.tokens_minted)).append("\n");
  }
  if (r.mode == Mode::kAnswer || s.invites_received > 0) {
    out.append("calls: INVITE ").append(std::to_string(s.invites_received));
    out.append(", answered ").append(std::to_string(s.calls_answered));
    out.append(", ACK ").append(std::to_string(s.acks_received));
    out.append(", BYE ").append(std::to_string(s.byes_received));
    out.append(", CANCEL ").append(std::to_string(s.cancels_received));
    out.append(" (487 sent ").append(std::to_string(s.calls_cancelled)).append(")");
    out.append(", ACK timeouts ").append(std::to_string(s.ack_timeouts));
    out.append(", other requests ").append(std::to_string(s.other_requests_received));
    out.append("\n");
  }
  if (s.ws_io.writes > 0 || s.ws_io.reads > 0) {
    const auto per = [](std::uint64_t a, std::uint64_t b) {
      return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
    };
    out.append("websocket: ").append(std::to_string(s.ws_io.frames_out)).append(" frames in ");
    out.append(std::to_string(s.ws_io.writes)).append(" writes (");
    out.append(fmt("%.2f", per(s.ws_io.frames_out, s.ws_io.writes))).append(" per write), ");
    out.append(std::to_string(s.ws_io.frames_in)).append(" frames from ");
    out.append(std::to_string(s.ws_io.reads)).append(" reads (");
    out.append(fmt("%.2f", per(s.ws_io.frames_in, s.ws_io.reads))).append(" per read)\n");
  }
  out.append("tool cpu: user ").append(fmt("%.2f s", r.cpu.user_seconds));
  out.append(" + sys ").append(fmt("%.2f s", r.cpu.system_seconds));
  out.append(" = ").append(fmt("%.0f%%", 100.0 * r.cpu.cores_used())).append(" of one core");
  if (s.transactions_done > 0) {
    out.append(", ").append(fmt("%.2f", cpu_ms_per_1000(r))).append(" CPU-ms per 1,000 transactions");
  }
  if (s.idle_spin_ns > 0) {
    out.append(" (busy-poll idle ").append(fmt("%.2f s", 1e-9 * static_cast<double>(s.idle_spin_ns)));
    out.append(": busy ").append(fmt("%.0f%%", 100.0 * busy_cores(r)));
    out.append(", ").append(fmt("%.2f", busy_ms_per_1000(r))).append(" ms per 1,000)");
  }
  out.append(" (").append(std::to_string(r.threads)).append(" worker threads");
  if (r.processes > 1) {
    out.append(" in ").append(std::to_string(r.processes)).append(" processes");
  }
  out.append(")");
  out.append(r.processes > 1 ? ", max RSS of a process " : ", max RSS ").append(fmt("%.1f MiB", static_cast<double>(r.cpu.max_rss_kib) / 1024));
  out.append(", open-files limit ").append(std::to_string(r.nofile_limit)).append("\n");
  return out;
}

std::string format_json(const RunReport& r) {
  const Stats& s = r.stats;
  const double t = r.measured_seconds;
  nlohmann::json j;
  j["mode"] = std::string(name(r.mode));
  j["url"] = r.url;
  j["processes"] = r.processes;
  j["threads"] = r.threads;
  j["connections"] = r.connections;
  j["ua_per_connection"] = r.ua_per_connection;
  j["target_rate"] = r.target_rate;
  j["seconds"] = t;
  j["stop_reason"] = r.stop_reason;
  j["requests_sent"] = s.requests_sent;
  j["transactions"] = s.transactions_done;
  j["transactions_ok"] = s.transactions_ok;
  j["rate"] = per_second(s.transactions_done, t);
  j["rate_ok"] = per_second(s.transactions_ok, t);
  j["challenges_answered"] = s.challenges_answered;
  nlohmann::json statuses = nlohmann::json::object();
  for (int code = 0; code < Stats::kMaxStatus; ++code) {
    if (s.responses_by_status[code] > 0) {
      statuses[code == 0 ? "other" : std::to_string(code)] = s.responses_by_status[code];
    }
  }
  j["responses_by_status"] = statuses;
  nlohmann::json errors = nlohmann::json::object();
  for (std::size_t k = 0; k < s.errors.size(); ++k) {
    errors[std::string(name(static_cast<ErrorKind>(k)))] = s.errors[k];
  }
  j["errors"] = errors;
  j["errors_total"] = s.total_errors();
  j["latency"] = json_histogram(s.latency);
  j["latency_from_intended_send"] = r.target_rate > 0;
  j["service_latency"] = json_histogram(s.service_latency);
  j["connect_latency"] = json_histogram(s.connect_latency);
  j["connections_opened"] = s.connections_opened;
  j["connections_closed"] = s.connections_closed;
  j["established"] = r.gauges.established;
  j["registered"] = r.gauges.registered;
  j["connecting"] = r.gauges.connecting;
  j["tokens_minted"] = s.tokens_minted;
  j["ws_io"] = {{"writes", s.ws_io.writes},
                {"frames_out", s.ws_io.frames_out},
                {"reads", s.ws_io.reads},
                {"frames_in", s.ws_io.frames_in}};
  j["calls"] = {{"invites", s.invites_received}, {"answered", s.calls_answered},
                {"acks", s.acks_received},       {"byes", s.byes_received},
                {"cancels", s.cancels_received}, {"cancelled_487", s.calls_cancelled},
                {"ack_timeouts", s.ack_timeouts}, {"other_requests", s.other_requests_received}};
  j["cpu"] = {{"user_s", r.cpu.user_seconds},
              {"system_s", r.cpu.system_seconds},
              {"cores_used", r.cpu.cores_used()},
              {"ms_per_1000", cpu_ms_per_1000(r)},
              {"idle_spin_s", 1e-9 * static_cast<double>(r.stats.idle_spin_ns)},
              {"cores_busy", busy_cores(r)},
              {"busy_ms_per_1000", busy_ms_per_1000(r)},
              {"max_rss_kib", r.cpu.max_rss_kib}};
  j["nofile_limit"] = r.nofile_limit;
  return j.dump(2);
}

std::string format_progress(double elapsed_s, const Gauges& g, std::uint64_t previous_done,
                            double interval_s) {
  std::string out = fmt("t=%.1fs", elapsed_s);
  out.append(" established=").append(std::to_string(g.established));
  out.append(" registered=").append(std::to_string(g.registered));
  out.append(" connecting=").append(std::to_string(g.connecting));
  out.append(" outstanding=").append(std::to_string(g.outstanding));
  if (g.backlog > 0) {
    out.append(" backlog=").append(std::to_string(g.backlog));
  }
  out.append(" done=").append(std::to_string(g.transactions_done));
  const std::uint64_t delta =
      g.transactions_done >= previous_done ? g.transactions_done - previous_done : 0;
  out.append(fmt(" (%.0f/s)", per_second(delta, interval_s)));
  out.append(" errors=").append(std::to_string(g.errors));
  return out;
}

}  // namespace wimpu::loadgen
