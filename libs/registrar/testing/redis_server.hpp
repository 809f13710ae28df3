#pragma once
// Test and benchmark support: a real redis-server (/usr/bin/redis-server) started on a free
// 127.0.0.1 port in its own temporary directory, stopped by PID. Not part of the product.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace wimpu::registrar::testing {

class RedisServer {
public:
  struct Options {
    bool appendonly = true;     ///< AOF on (bindings survive a restart).
    bool fsync_always = true;   ///< appendfsync always: an acknowledged write is on disk.
    std::string binary = "/usr/bin/redis-server";
  };

  /// Starts the server and waits until it answers PING. Throws std::runtime_error on failure.
  RedisServer();
  explicit RedisServer(Options options);
  /// Stops the server (SIGTERM, then waits for it) and removes its directory.
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  /// SIGKILL and reap: a crash, nothing flushed beyond what fsync already wrote.
  void kill_hard();
  /// Starts again on the same port and directory (AOF replayed) and waits for PING.
  void restart();
  /// SIGSTOP / SIGCONT: a hung server that keeps its connections open.
  void pause();
  void resume();

  /// Runs one command on a short-lived blocking connection (test setup and inspection only) and
  /// returns the reply as text (integers in decimal, arrays joined by '\n'). Throws on an error
  /// reply or a connection failure.
  std::string command(const std::vector<std::string>& argv) const;
  /// `used_memory` from INFO memory, in bytes.
  long long used_memory() const;

private:
  void spawn();
  void wait_ready();
  void stop();

  Options options_;
  std::string dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace wimpu::registrar::testing
