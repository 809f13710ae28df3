// Lossless report exchange between the processes of a multi-process run.
#include <nlohmann/json.hpp>

#include "wimpu/loadgen/report.hpp"

namespace wimpu::loadgen {
namespace {

using nlohmann::json;

json hist_to_json(const Histogram& h) {
  const Histogram::Snapshot s = h.snapshot();
  json b = json::array();
  for (const auto& [i, c] : s.buckets) {
    b.push_back({i, c});
  }
  return {{"b", b}, {"min", s.min}, {"max", s.max}, {"sum", s.sum}};
}

void hist_from_json(const json& j, Histogram& h) {
  Histogram::Snapshot s;
  for (const auto& e : j.at("b")) {
    s.buckets.emplace_back(e.at(0).get<std::uint32_t>(), e.at(1).get<std::uint64_t>());
  }
  s.min = j.at("min").get<std::uint64_t>();
  s.max = j.at("max").get<std::uint64_t>();
  s.sum = j.at("sum").get<double>();
  h.reset();
  h.merge(s);
}

// Every scalar counter of Stats, by name (one list so to_wire and from_wire cannot disagree).
// S is Stats or const Stats.
template <class S, class F>
void for_each_counter(S& s, F&& f) {
  f("requests_sent", s.requests_sent);
  f("transactions_done", s.transactions_done);
  f("transactions_ok", s.transactions_ok);
  f("challenges_answered", s.challenges_answered);
  f("connections_opened", s.connections_opened);
  f("connections_closed", s.connections_closed);
  f("tokens_minted", s.tokens_minted);
  f("invites_received", s.invites_received);
  f("acks_received", s.acks_received);
  f("byes_received", s.byes_received);
  f("cancels_received", s.cancels_received);
  f("other_requests_received", s.other_requests_received);
  f("calls_answered", s.calls_answered);
  f("calls_cancelled", s.calls_cancelled);
  f("ack_timeouts", s.ack_timeouts);
  f("idle_spin_ns", s.idle_spin_ns);
  f("ws_writes", s.ws_io.writes);
  f("ws_frames_out", s.ws_io.frames_out);
  f("ws_reads", s.ws_io.reads);
  f("ws_frames_in", s.ws_io.frames_in);
}

template <class G, class F>
void for_each_gauge(G& g, F&& f) {
  f("established", g.established);
  f("registered", g.registered);
  f("connecting", g.connecting);
  f("outstanding", g.outstanding);
  f("backlog", g.backlog);
  f("transactions_done", g.transactions_done);
  f("transactions_ok", g.transactions_ok);
  f("errors", g.errors);
}

}  // namespace

std::string to_wire(const RunReport& r) {
  json j;
  j["mode"] = static_cast<int>(r.mode);
  j["url"] = r.url;
  j["processes"] = r.processes;
  j["threads"] = r.threads;
  j["connections"] = r.connections;
  j["ua_per_connection"] = r.ua_per_connection;
  j["target_rate"] = r.target_rate;
  j["measured_seconds"] = r.measured_seconds;
  j["nofile_limit"] = r.nofile_limit;
  j["stop_reason"] = r.stop_reason;
  const Stats& s = r.stats;
  json counters;
  for_each_counter(s, [&](const char* name, const std::uint64_t& v) { counters[name] = v; });
  j["counters"] = counters;
  json status = json::array();
  for (int code = 0; code < Stats::kMaxStatus; ++code) {
    if (s.responses_by_status[code] != 0) {
      status.push_back({code, s.responses_by_status[code]});
    }
  }
  j["status"] = status;
  j["errors"] = s.errors;
  j["latency"] = hist_to_json(s.latency);
  j["service_latency"] = hist_to_json(s.service_latency);
  j["connect_latency"] = hist_to_json(s.connect_latency);
  json gauges;
  for_each_gauge(r.gauges, [&](const char* name, const std::uint64_t& v) { gauges[name] = v; });
  j["gauges"] = gauges;
  j["cpu"] = {r.cpu.user_seconds, r.cpu.system_seconds, r.cpu.wall_seconds, r.cpu.max_rss_kib};
  return j.dump();
}

Expected<RunReport, Error> from_wire(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Error("report is not JSON");
  }
  try {
    RunReport r;
    r.mode = static_cast<Mode>(j.at("mode").get<int>());
    r.url = j.at("url").get<std::string>();
    r.processes = j.at("processes").get<unsigned>();
    r.threads = j.at("threads").get<unsigned>();
    r.connections = j.at("connections").get<std::uint64_t>();
    r.ua_per_connection = j.at("ua_per_connection").get<unsigned>();
    r.target_rate = j.at("target_rate").get<double>();
    r.measured_seconds = j.at("measured_seconds").get<double>();
    r.nofile_limit = j.at("nofile_limit").get<std::uint64_t>();
    r.stop_reason = j.at("stop_reason").get<std::string>();
    const json& counters = j.at("counters");
    for_each_counter(r.stats, [&](const char* name, std::uint64_t& v) {
      v = counters.at(name).get<std::uint64_t>();
    });
    for (const auto& e : j.at("status")) {
      const int code = e.at(0).get<int>();
      if (code >= 0 && code < Stats::kMaxStatus) {
        r.stats.responses_by_status[code] = e.at(1).get<std::uint64_t>();
      }
    }
    const auto errors = j.at("errors").get<std::vector<std::uint64_t>>();
    for (std::size_t k = 0; k < errors.size() && k < r.stats.errors.size(); ++k) {
      r.stats.errors[k] = errors[k];
    }
    hist_from_json(j.at("latency"), r.stats.latency);
    hist_from_json(j.at("service_latency"), r.stats.service_latency);
    hist_from_json(j.at("connect_latency"), r.stats.connect_latency);
    const json& gauges = j.at("gauges");
    for_each_gauge(r.gauges, [&](const char* name, std::uint64_t& v) {
      v = gauges.at(name).get<std::uint64_t>();
    });
    const json& cpu = j.at("cpu");
    r.cpu.user_seconds = cpu.at(0).get<double>();
    r.cpu.system_seconds = cpu.at(1).get<double>();
    r.cpu.wall_seconds = cpu.at(2).get<double>();
    r.cpu.max_rss_kib = cpu.at(3).get<std::uint64_t>();
    return r;
  } catch (const json::exception& ex) {
    return Error(std::string("bad report: ") + ex.what());
  }
}

void merge_into(RunReport& total, const RunReport& part) {
  const bool first = total.processes == 0;
  if (first) {
    total.mode = part.mode;
    total.url = part.url;
    total.ua_per_connection = part.ua_per_connection;
    total.nofile_limit = part.nofile_limit;
    total.stop_reason = part.stop_reason;
  }
  total.processes += part.processes;
  total.threads += part.threads;
  total.connections += part.connections;
  total.target_rate += part.target_rate;
  total.measured_seconds = std::max(total.measured_seconds, part.measured_seconds);
  total.stats.merge(part.stats);
  total.gauges.add(part.gauges);
  total.cpu.user_seconds += part.cpu.user_seconds;
  total.cpu.system_seconds += part.cpu.system_seconds;
  total.cpu.wall_seconds = std::max(total.cpu.wall_seconds, part.cpu.wall_seconds);
  total.cpu.max_rss_kib = std::max(total.cpu.max_rss_kib, part.cpu.max_rss_kib);
}

}  // namespace wimpu::loadgen
