#include "wimpu/admin/prometheus.hpp"

#include <map>
#include <mutex>

#include <cstdio>
#include <cstdlib>

#include "wimpu/common/counter.hpp"

namespace wimpu::admin {
namespace {

// Shortest text that reads back as the same double ("0.0005", "2.5", "1e-05").
std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  for (int precision = 1; precision < 17; ++precision) {
    char shorter[32];
    std::snprintf(shorter, sizeof shorter, "%.*g", precision, v);
    if (std::strtod(shorter, nullptr) == v) {
      return shorter;
    }
  }
  return buf;
}

}  // namespace

std::string metric_name(std::string_view dotted) {
  std::string out = "wimpu_";
  for (char c : dotted) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_';
    out.push_back(ok ? c : '_');
  }
  return out;
}

std::string render_prometheus(const std::map<std::string, std::uint64_t>& counters,
                              const std::map<std::string, common::HistogramSnapshot>& histograms) {
  std::string out;
  out.reserve(64 * (counters.size() + 16 * histograms.size()));
  for (const auto& [name, value] : counters) {
    const std::string m = metric_name(name) + "_total";
    out += "# TYPE " + m + " counter\n";
    out += m + " " + std::to_string(value) + "\n";
  }
  for (const auto& [name, h] : histograms) {
    const std::string m = metric_name(name) + "_seconds";
    out += "# TYPE " + m + " histogram\n";
    for (std::size_t i = 0; i < h.bounds.size() && i < h.cumulative.size(); ++i) {
      out += m + "_bucket{le=\"" + number(h.bounds[i]) + "\"} " + std::to_string(h.cumulative[i]) +
             "\n";
    }
    out += m + "_bucket{le=\"+Inf\"} " + std::to_string(h.count) + "\n";
    out += m + "_sum " + number(h.sum_seconds) + "\n";
    out += m + "_count " + std::to_string(h.count) + "\n";
  }
  return out;
}

namespace {

struct Sources {
  std::mutex mutex;
  std::map<std::string, MetricsSource> by_name;
};

Sources& sources() {
  static Sources s;
  return s;
}

}  // namespace

void set_metrics_source(const std::string& name, MetricsSource source) {
  std::lock_guard lock(sources().mutex);
  sources().by_name[name] = std::move(source);
}

void clear_metrics_source(const std::string& name) {
  std::lock_guard lock(sources().mutex);
  sources().by_name.erase(name);
}

std::string render_process_metrics() {
  std::string out = render_prometheus(common::CounterRegistry::global().snapshot(),
                                      common::HistogramRegistry::global().snapshot());
  // Under the lock: clear_metrics_source() must not return while a source still runs.
  std::lock_guard lock(sources().mutex);
  for (const auto& [name, source] : sources().by_name) {
    out += source();
  }
  return out;
}

}  // namespace wimpu::admin
