#pragma once
// Test helpers for real processes (BRIEF: real components, free ports, stopped by PID, temp dirs).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace wimpu::hss::test {

/// A TCP port free on 127.0.0.1 right now (bind to port 0, read it, close). The caller binds it
/// right after; a collision with another process in between is possible but unlikely.
inline std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("free_port failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// mkdtemp under TMPDIR (or /tmp), removed with its content on destruction.
class TempDir {
public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/wimpu-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

/// Runs a command to completion (stdout and stderr inherited); returns its exit code, -1 if it
/// could not start or was killed.
inline int run_command(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) {
    return -1;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// A child process with its stdout on a pipe read line by line; stderr is inherited (shows in test
/// logs) or appended to `stderr_file`. Killed by PID (SIGKILL) and reaped on destruction if still
/// running, and killed by the kernel if the test process dies first (PR_SET_PDEATHSIG). Waits
/// use poll and a pidfd, never sleeps.
class ChildProcess {
public:
  explicit ChildProcess(const std::vector<std::string>& argv, const std::string& stderr_file = {}) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe failed");
    }
    // Everything the child needs is built before fork(): after it, only async-signal-safe
    // calls (the parent may have other threads, e.g. freeDiameter's).
    std::vector<char*> args;
    for (const std::string& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      // A test killed by ctest's timeout must not leave its servers behind (posix_spawn could
      // not ask for this): die with the parent. PDEATHSIG follows the forking thread, which
      // in these tests is the test body's thread, alive for the child's whole life.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) {
        ::_exit(127);  // the parent died before prctl took effect
      }
      if (::dup2(fds[1], 1) < 0) {
        ::_exit(127);
      }
      if (!stderr_file.empty()) {
        const int err = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (err < 0 || ::dup2(err, 2) < 0) {
          ::_exit(127);
        }
      }
      ::execv(args[0], args.data());  // the pipe's ends are O_CLOEXEC; stdout is the dup
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
    if (pid_ < 0) {
      ::close(out_);
      pid_ = -1;
      throw std::runtime_error("fork for " + argv[0] + " failed");
    }
  }
  ~ChildProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// The next stdout line, or nullopt at EOF or after `timeout`.
  std::optional<std::string> line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string l = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return l;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd pfd{out_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
        return std::nullopt;
      }
      char buf[512];
      const ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) {
        return std::nullopt;
      }
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

  /// Reads stdout until a line starting with `prefix` (true) or EOF/timeout (false).
  bool wait_for_line(const std::string& prefix, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (auto l = line(std::chrono::duration_cast<std::chrono::milliseconds>(
               deadline - std::chrono::steady_clock::now()))) {
      if (l->rfind(prefix, 0) == 0) {
        return true;
      }
    }
    return false;
  }

  void signal(int sig) const { ::kill(pid_, sig); }

  /// Sends `sig` and reaps the process; SIGKILL if it has not exited within `grace`.
  /// Returns the wait status.
  int stop(int sig, std::chrono::milliseconds grace) {
    bool exited = false;
    return reap(sig, grace, exited);
  }

  /// Waits up to `timeout` for the exit (after `sig` unless 0); SIGKILL after that. Returns the
  /// exit code, or -1 if it had to be killed or died of a signal.
  int wait_exit(std::chrono::milliseconds timeout, int sig = 0) {
    bool exited = false;
    const int status = reap(sig, timeout, exited);
    return exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  pid_t pid() const { return pid_; }

private:
  // Sends `sig` (unless 0), waits up to `timeout` for the exit, SIGKILL after that; reaps and
  // returns the wait status. A pidfd becomes readable when the process exits (Linux >= 5.3).
  int reap(int sig, std::chrono::milliseconds timeout, bool& exited) {
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (sig != 0) {
      ::kill(pid_, sig);
    }
    exited = false;
    if (pidfd >= 0) {
      pollfd pfd{pidfd, POLLIN, 0};
      exited = ::poll(&pfd, 1, static_cast<int>(timeout.count())) == 1;
      ::close(pidfd);
    }
    if (!exited) {
      ::kill(pid_, SIGKILL);
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

}  // namespace wimpu::hss::test
