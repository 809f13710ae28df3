#pragma once
// Several load-tool processes as one run: the open-files limit (20,000 here) is per process, so
// 100,000 idle connections need at least six processes. The parent forks the children, each runs
// an Engine on its share, sends its report back through a pipe (to_wire), and the parent merges
// the figures exactly (histograms bucket by bucket).
#include <functional>

#include "wimpu/common/expected.hpp"
#include "wimpu/loadgen/engine.hpp"
#include "wimpu/loadgen/error.hpp"

namespace wimpu::loadgen {

/// The options of process `index` of `count`: an even share of connections, count, rate,
/// connect rate and concurrency; its own UA index range (index_base + the connections before it
/// x ua_per_connection); every count-th local address starting at `index` when there are at
/// least `count`, else all of them; a seed of its own. Threads stay per process.
EngineOptions split_options(const EngineOptions& all, unsigned count, unsigned index);

/// Runs `count` processes (fork()) and merges their reports. Must be called before the calling
/// process starts any thread (fork copies only the calling thread). SIGINT/SIGTERM to the parent
/// are passed on to the children, which end their run as a single process would. `child_progress`
/// is installed in each child as its Engine progress callback (may be empty). Error: a fork or
/// pipe failure, or a child that died without a report.
Expected<RunReport, Error> run_processes(
    const EngineOptions& all, unsigned count,
    std::function<void(unsigned index, double elapsed_s, const Gauges&)> child_progress);

}  // namespace wimpu::loadgen
