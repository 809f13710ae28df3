#include "wimpu/loadgen/processes.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "wimpu/common/fd_io.hpp"
#include "wimpu/loadgen/report.hpp"

namespace wimpu::loadgen {
namespace {

std::uint64_t share_of(std::uint64_t total, unsigned parts, unsigned i) {
  return total / parts + (i < total % parts ? 1 : 0);
}

// Signal forwarding in the parent: kill() is async-signal-safe; the pid table is written before
// the handler is installed and not changed while it is.
constexpr unsigned kMaxProcesses = 256;
pid_t g_children[kMaxProcesses];
std::atomic<unsigned> g_child_count{0};

extern "C" void forward_signal(int sig) {
  const unsigned n = g_child_count.load();
  for (unsigned i = 0; i < n; ++i) {
    if (g_children[i] > 0) {
      ::kill(g_children[i], sig);
    }
  }
}

Engine* g_child_engine = nullptr;

extern "C" void child_stop(int) {
  if (g_child_engine != nullptr) {
    g_child_engine->request_stop();
  }
}

std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    if (n == 0) {
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

[[noreturn]] void run_child(const EngineOptions& options, unsigned index, int fd,
                            const std::function<void(unsigned, double, const Gauges&)>& progress) {
  int code = 0;
  try {
    Engine engine(options);
    g_child_engine = &engine;
    std::signal(SIGINT, child_stop);
    std::signal(SIGTERM, child_stop);
    ProgressCallback cb;
    if (progress) {
      cb = [&](double t, const Gauges& g) { progress(index, t, g); };
    }
    RunReport report = engine.run(cb);
    g_child_engine = nullptr;
    code = common::write_all(fd, to_wire(report)) ? 0 : 3;
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "wimpu-loadgen[%u]: %s\n", index, ex.what());
    code = 2;
  }
  ::close(fd);
  std::fflush(stdout);
  std::fflush(stderr);
  ::_exit(code);
}

}  // namespace

EngineOptions split_options(const EngineOptions& all, unsigned count, unsigned index) {
  EngineOptions o = all;
  std::uint64_t before = 0;
  for (unsigned i = 0; i < index; ++i) {
    before += share_of(all.connections, count, i);
  }
  o.connections = share_of(all.connections, count, index);
  o.index_base = all.index_base + before * std::max(1u, all.ua_per_connection);
  o.count = share_of(all.count, count, index);
  o.rate = all.rate / count;
  o.connect_rate = all.connect_rate / count;
  o.connect_concurrency =
      static_cast<unsigned>(std::max<std::uint64_t>(1, share_of(all.connect_concurrency, count, index)));
  if (all.local_addresses.size() >= count) {
    o.local_addresses.clear();
    for (std::size_t i = index; i < all.local_addresses.size(); i += count) {
      o.local_addresses.push_back(all.local_addresses[i]);
    }
  }
  if (all.seed != 0) {
    o.seed = all.seed + 0x9e3779b97f4a7c15ULL * (index + 1);
  }
  return o;
}

Expected<RunReport, Error> run_processes(
    const EngineOptions& all, unsigned count,
    std::function<void(unsigned, double, const Gauges&)> child_progress) {
  if (count == 0 || count > kMaxProcesses) {
    return Error("process count must be 1.." + std::to_string(kMaxProcesses));
  }
  if (all.mode == Mode::kRegister && all.count > 0 && all.count < count) {
    return Error("--count is smaller than the number of processes");
  }
  std::vector<int> fds;
  std::vector<pid_t> pids;
  std::fflush(stdout);
  std::fflush(stderr);
  for (unsigned i = 0; i < count; ++i) {
    int p[2];
    if (::pipe(p) != 0) {
      forward_signal(SIGTERM);
      return Error("pipe failed");
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
      forward_signal(SIGTERM);
      return Error("fork failed");
    }
    if (pid == 0) {
      ::close(p[0]);
      for (int fd : fds) {
        ::close(fd);  // the earlier children's pipes belong to the parent
      }
      run_child(split_options(all, count, i), i, p[1], child_progress);
    }
    ::close(p[1]);
    fds.push_back(p[0]);
    pids.push_back(pid);
    g_children[i] = pid;
    g_child_count.store(i + 1);
  }
  auto old_int = std::signal(SIGINT, forward_signal);
  auto old_term = std::signal(SIGTERM, forward_signal);

  RunReport total;
  total.processes = 0;
  std::string failure;
  for (unsigned i = 0; i < count; ++i) {
    const std::string text = read_all(fds[i]);
    ::close(fds[i]);
    int status = 0;
    while (::waitpid(pids[i], &status, 0) < 0 && errno == EINTR) {
    }
    auto part = from_wire(text);
    if (!part) {
      failure += "process " + std::to_string(i) + " gave no report (exit status " +
                 std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + "); ";
      continue;
    }
    merge_into(total, *part);
  }
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  g_child_count.store(0);
  if (!failure.empty()) {
    return Error(failure);
  }
  return total;
}

}  // namespace wimpu::loadgen
