// Memory backend with 1,000,000 contacts: RSS per stored contact beyond its strings (target
// <= 256 bytes), lookup latency percentiles (target p99 < 5 µs), allocation rate.
//   taskset -c 1 build/bench/registrar/bench_registrar_load [contacts]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "sample.hpp"
#include "wimpu/registrar/memory_registrar.hpp"

namespace {

using namespace wimpu::registrar;
using namespace wimpu::registrar::bench;
using Clock = std::chrono::steady_clock;

// CPU time of this process: on a shared host, rates per CPU-second are the per-core figures.
double cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

long rss_bytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stol(line.substr(6)) * 1024;
    }
  }
  return -1;
}

struct Percentiles {
  double p50, p90, p99, p999, max;
};

Percentiles percentiles(std::vector<std::int64_t>& ns) {
  std::sort(ns.begin(), ns.end());
  const auto at = [&](double q) {
    return static_cast<double>(ns[std::min(
               ns.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ns.size())))]) /
           1000.0;
  };
  return {at(0.50), at(0.90), at(0.99), at(0.999), static_cast<double>(ns.back()) / 1000.0};
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : kMillion;
  // Measured before the registrar exists: what it allocates up front (the pre-sized identity
  // index) counts against the stored contacts too.
  const long rss0 = rss_bytes();
  auto registrar = std::make_shared<MemoryRegistrar>(
      std::make_shared<const BlockSet>(std::vector<BlockConfig>{million_block()}),
      wimpu::common::SystemClock::instance());
  const long rss_registrar = rss_bytes();

  std::size_t contact_strings = 0;
  std::size_t identity_strings = 0;
  std::vector<std::string> impus;
  impus.reserve(n);
  const long rss_impus = rss_bytes();  // the reserve above is the benchmark's own, not stored
  // Requests are built in batches outside the timed part (a parsed REGISTER is given).
  constexpr std::uint64_t kBatch = 10'000;
  double load_s = 0;
  double load_cpu = 0;
  std::vector<RegisterRequest> batch;
  for (std::uint64_t base = 0; base < n; base += kBatch) {
    batch.clear();
    for (std::uint64_t i = base; i < std::min(n, base + kBatch); ++i) {
      batch.push_back({"bench", sample_identity(i), {{sample_contact(i), 3600}}});
      contact_strings += contact_string_bytes(batch.back().contacts[0].contact);
      identity_strings += batch.back().identity.key().size();
    }
    const auto t0 = Clock::now();
    const double c0 = cpu_s();
    for (const auto& req : batch) {
      auto r = registrar->register_now(req);
      if (!r) {
        std::fprintf(stderr, "register failed: %s\n", std::string(to_string(r.error())).c_str());
        return 1;
      }
      impus.push_back(std::move(r->impu));
    }
    load_cpu += cpu_s() - c0;
    load_s += std::chrono::duration<double>(Clock::now() - t0).count();
  }
  batch = {};
  const long rss1 = rss_bytes();
  // The benchmark's own IMPU strings (kept for the lookups) are not registrar memory.
  std::size_t impu_bytes = 0;
  for (const auto& s : impus) {
    impu_bytes += s.capacity() + 1 > 16 ? s.capacity() + 1 + 16 : 0;  // heap block + malloc header
  }
  const double stored = static_cast<double>(rss1 - rss_impus + rss_registrar - rss0) -
                        static_cast<double>(impu_bytes);
  const double dn = static_cast<double>(n);
  std::printf("contacts loaded            %llu (1 per IMPU, 1 IMPU per web identity)\n",
              static_cast<unsigned long long>(n));
  std::printf("allocating REGISTERs       %.0f /s wall (%.2f s); %.0f per CPU-second\n",
              dn / load_s, load_s, dn / load_cpu);
  std::printf("RSS before / after         %.1f MiB / %.1f MiB\n",
              static_cast<double>(rss0) / 1048576.0, static_cast<double>(rss1) / 1048576.0);
  std::printf("registrar RSS per contact  %.1f bytes\n", stored / dn);
  std::printf("  contact strings          %.1f bytes\n", static_cast<double>(contact_strings) / dn);
  std::printf("  identity strings         %.1f bytes\n",
              static_cast<double>(identity_strings) / dn);
  std::printf("  beyond contact strings   %.1f bytes\n",
              (stored - static_cast<double>(contact_strings)) / dn);
  std::printf("  beyond all strings       %.1f bytes (target <= 256)\n",
              (stored - static_cast<double>(contact_strings + identity_strings)) / dn);

  // Latency: each call timed alone, random IMPUs over the whole block.
  const std::size_t samples = std::min<std::uint64_t>(n, kMillion);
  std::vector<std::int64_t> ns(samples);
  std::vector<std::uint32_t> order(samples);
  for (std::size_t i = 0; i < samples; ++i) {
    order[i] = static_cast<std::uint32_t>(mix(i + 5) % n);
  }
  for (const char* what : {"lookup", "is_registered"}) {
    const bool full = what[0] == 'l';
    std::size_t found = 0;
    const auto start = Clock::now();
    const double cstart = cpu_s();
    for (std::size_t i = 0; i < samples; ++i) {
      const auto a = Clock::now();
      if (full) {
        auto r = registrar->lookup_now(impus[order[i]]);
        found += r && !r->contacts.empty() ? 1 : 0;
      } else {
        auto r = registrar->is_registered_now(impus[order[i]]);
        found += r && *r ? 1 : 0;
      }
      ns[i] = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - a).count();
    }
    const double total_s = std::chrono::duration<double>(Clock::now() - start).count();
    const double total_cpu = cpu_s() - cstart;
    const auto p = percentiles(ns);
    std::printf(
        "%-14s latency µs  p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.1f  "
        "(%.0f /s wall, %.0f per CPU-second, incl. timing; %zu/%zu found)\n",
        what, p.p50, p.p90, p.p99, p.p999, p.max, static_cast<double>(samples) / total_s,
        static_cast<double>(samples) / total_cpu, found, samples);
  }
  return 0;
}
