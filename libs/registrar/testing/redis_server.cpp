#include "redis_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace wimpu::registrar::testing {
namespace {

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    throw std::runtime_error("socket() failed");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

ContextPtr connect(std::uint16_t port) {
  const timeval tv{1, 0};
  ContextPtr c(redisConnectWithTimeout("127.0.0.1", port, tv));
  if (!c || c->err != 0) {
    return nullptr;
  }
  return c;
}

std::string text(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_INTEGER: return std::to_string(r.integer);
    case REDIS_REPLY_NIL: return "";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (std::size_t i = 0; i < r.elements; ++i) {
        out += (i == 0 ? "" : "\n") + text(*r.element[i]);
      }
      return out;
    }
    default: return std::string(r.str, r.len);
  }
}

}  // namespace

RedisServer::RedisServer() : RedisServer(Options{}) {}

RedisServer::RedisServer(Options options) : options_(std::move(options)) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "wimpu-redis-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  dir_ = tmpl;
  port_ = free_port();
  spawn();
  wait_ready();
}

RedisServer::~RedisServer() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void RedisServer::spawn() {
  const std::string port = std::to_string(port_);
  std::vector<std::string> args = {options_.binary,
                                   "--port", port,
                                   "--bind", "127.0.0.1",
                                   "--save", "",
                                   "--appendonly", options_.appendonly ? "yes" : "no",
                                   "--appendfsync", options_.fsync_always ? "always" : "everysec",
                                   "--dir", dir_,
                                   "--logfile", dir_ + "/redis.log",
                                   "--daemonize", "no"};
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  if (::posix_spawn(&pid_, options_.binary.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + options_.binary);
  }
}

// Polls until the server answers PONG (not -LOADING while it replays its AOF).
void RedisServer::wait_ready() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis-server exited at start; see " + dir_ + "/redis.log");
    }
    if (auto c = connect(port_)) {
      ReplyPtr r(static_cast<redisReply*>(redisCommand(c.get(), "PING")));
      if (r && r->type == REDIS_REPLY_STATUS && std::string(r->str, r->len) == "PONG") {
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw std::runtime_error("redis-server did not answer PING");
}

void RedisServer::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGCONT);  // in case a test left it stopped
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
}

void RedisServer::kill_hard() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
}

void RedisServer::restart() {
  stop();
  spawn();
  wait_ready();
}

void RedisServer::pause() { ::kill(pid_, SIGSTOP); }
void RedisServer::resume() { ::kill(pid_, SIGCONT); }

std::string RedisServer::command(const std::vector<std::string>& argv) const {
  auto c = connect(port_);
  if (!c) {
    throw std::runtime_error("cannot connect to redis-server");
  }
  std::vector<const char*> args;
  std::vector<std::size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  ReplyPtr r(static_cast<redisReply*>(
      redisCommandArgv(c.get(), static_cast<int>(args.size()), args.data(), lens.data())));
  if (!r) {
    throw std::runtime_error("redis command failed");
  }
  if (r->type == REDIS_REPLY_ERROR) {
    throw std::runtime_error("redis error: " + std::string(r->str, r->len));
  }
  return text(*r);
}

long long RedisServer::used_memory() const {
  const std::string info = command({"INFO", "memory"});
  const auto pos = info.find("used_memory:");
  if (pos == std::string::npos) {
    throw std::runtime_error("no used_memory in INFO");
  }
  return std::stoll(info.substr(pos + 12));
}

}  // namespace wimpu::registrar::testing
