#pragma once
// Runs the same W4 tests against both backends. A Harness owns a backend plus the means to move
// its time forward: a FakeClock for memory; for redis, the block's test-only time offset
// (FCALL w4_test_advance_time, added to Redis TIME by the functions), so quarantines of 60 s are
// tested without waiting. Real Redis expiry with real time is tested separately (redis_test.cpp).
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "redis_server.hpp"
#include "wimpu/common/clock.hpp"
#include "wimpu/registrar/memory_registrar.hpp"
#include "wimpu/registrar/redis_registrar.hpp"

namespace wimpu::registrar::test {

/// Runs `aw` on `ioc` until it completes and returns its value.
template <class T>
T run(boost::asio::io_context& ioc, boost::asio::awaitable<T> aw) {
  std::optional<T> out;
  std::exception_ptr error;
  boost::asio::co_spawn(ioc, std::move(aw), [&](std::exception_ptr e, T v) {
    error = e;
    out.emplace(std::move(v));
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!out) {
    if (ioc.run_one_for(std::chrono::milliseconds(100)) == 0 && ioc.stopped()) {
      ioc.restart();
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("W4 operation did not complete");
    }
  }
  if (error) {
    std::rethrow_exception(error);
  }
  return std::move(*out);
}

/// The blocks every conformance test runs with.
inline std::vector<BlockConfig> test_blocks() {
  BlockConfig b1;
  b1.id = "b1";
  b1.domains = {"block.example", "alias.example"};
  b1.range_first = "+15550000000";
  b1.range_last = "+15550000009";
  b1.render_tel = true;
  b1.epcscf = "ep-1";
  b1.max_contacts = 4;
  BlockConfig b2;
  b2.id = "b2";
  b2.domains = {"other.example"};
  b2.range_first = "+4930000000";
  b2.range_last = "+4930000001";
  b2.quarantine = std::chrono::seconds(5);
  BlockConfig tiny;
  tiny.id = "tiny";
  tiny.domains = {"tiny.example"};
  tiny.range_first = "+19990000000";
  tiny.range_last = "+19990000000";
  BlockConfig list;
  list.id = "list";
  list.impus = {"sip:alice@corp.example", "sip:bob@corp.example", "tel:+4930999"};
  return {b1, b2, tiny, list};
}

class Harness {
public:
  virtual ~Harness() = default;
  virtual W4& w4() = 0;
  /// A second, independent client of the same registrar state (another shard or process).
  virtual std::unique_ptr<W4> another_client(boost::asio::io_context& ioc) = 0;
  virtual void advance(std::chrono::milliseconds d) = 0;
  virtual const char* name() const = 0;
  boost::asio::io_context& ioc() { return ioc_; }

protected:
  boost::asio::io_context ioc_;
};

class MemoryHarness final : public Harness {
public:
  explicit MemoryHarness(std::vector<BlockConfig> blocks = test_blocks())
      : clock_(std::make_shared<common::FakeClock>()),
        registrar_(std::make_shared<MemoryRegistrar>(
            std::make_shared<const BlockSet>(std::move(blocks)), clock_)) {}
  W4& w4() override { return *registrar_; }
  std::unique_ptr<W4> another_client(boost::asio::io_context&) override {
    // The memory backend is one object shared by every shard: hand out a non-owning view.
    return std::make_unique<SharedView>(registrar_);
  }
  void advance(std::chrono::milliseconds d) override { clock_->advance(d); }
  const char* name() const override { return "memory"; }
  MemoryRegistrar& memory() { return *registrar_; }

private:
  // Forwards to the shared registrar.
  class SharedView final : public W4 {
  public:
    explicit SharedView(std::shared_ptr<MemoryRegistrar> r) : r_(std::move(r)) {}
    const BlockSet& blocks() const override { return r_->blocks(); }
    W4Task<RegisterResult> register_contacts(RegisterRequest q) override {
      return r_->register_contacts(std::move(q));
    }
    std::optional<W4Result<void>> try_register_now(const RegisterRequest& q,
                                                   RegisterResult& out) override {
      return r_->try_register_now(q, out);
    }
    W4Task<RemoveResult> remove_contact(std::string i, ContactKey k) override {
      return r_->remove_contact(std::move(i), std::move(k));
    }
    W4Task<RemoveResult> remove_all(std::string i, std::optional<CallIdGuard> g) override {
      return r_->remove_all(std::move(i), std::move(g));
    }
    W4Task<std::uint32_t> remove_flow(std::string f) override {
      return r_->remove_flow(std::move(f));
    }
    W4Task<Binding> lookup(std::string i) override { return r_->lookup(std::move(i)); }
    W4Task<Binding> lookup_reusing(std::string i, Binding b) override {
      return r_->lookup_reusing(std::move(i), std::move(b));
    }
    W4Task<bool> is_registered(std::string i) override { return r_->is_registered(std::move(i)); }
    W4Task<Binding> lookup_identity(std::string b, WebIdentity id) override {
      return r_->lookup_identity(std::move(b), std::move(id));
    }
    W4Task<BlockUsage> usage(std::string b) override { return r_->usage(std::move(b)); }
    W4Task<ListPage> list(std::string b, std::uint64_t c, std::uint32_t l) override {
      return r_->list(std::move(b), c, l);
    }
    W4Task<void> ping() override { return r_->ping(); }

  private:
    std::shared_ptr<MemoryRegistrar> r_;
  };

  std::shared_ptr<common::FakeClock> clock_;
  std::shared_ptr<MemoryRegistrar> registrar_;
};

/// One redis-server per test process, emptied before each test.
inline testing::RedisServer& shared_redis() {
  static testing::RedisServer server;
  return server;
}

class RedisHarness final : public Harness {
public:
  explicit RedisHarness(std::vector<BlockConfig> blocks = test_blocks(), RedisOptions options = {},
                        testing::RedisServer* server = nullptr)
      : server_(server != nullptr ? *server : shared_redis()),
        blocks_(std::make_shared<const BlockSet>(std::move(blocks))) {
    if (server == nullptr) {
      server_.command({"FLUSHALL"});
    }
    options_ = std::move(options);
    options_.port = server_.port();
    options_.load_test_functions = true;  // advance() below
    registrar_ = std::make_unique<RedisRegistrar>(ioc_.get_executor(), blocks_, options_);
    const auto ok = run(ioc_, registrar_->ping());
    if (!ok) {
      throw std::runtime_error("redis backend not ready");
    }
  }
  ~RedisHarness() override { registrar_.reset(); }
  W4& w4() override { return *registrar_; }
  std::unique_ptr<W4> another_client(boost::asio::io_context& ioc) override {
    return std::make_unique<RedisRegistrar>(ioc.get_executor(), blocks_, options_);
  }
  void advance(std::chrono::milliseconds d) override {
    for (const auto& b : blocks_->blocks()) {
      server_.command({"FCALL", "w4_test_advance_time", "1", b->redis_tag() + ":cfg",
                       std::to_string(d.count())});
    }
  }
  const char* name() const override { return "redis"; }
  testing::RedisServer& server() { return server_; }

private:
  testing::RedisServer& server_;
  BlockSetPtr blocks_;
  RedisOptions options_;
  std::unique_ptr<RedisRegistrar> registrar_;
};

}  // namespace wimpu::registrar::test
