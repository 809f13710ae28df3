#include "wimpu/transport/shard_pool.hpp"

#include "wimpu/common/assert.hpp"

namespace wimpu::transport {
namespace {
// Which pool and shard the calling thread runs (null/0 on non-shard threads). Two pools in one
// process (tests) are told apart by the pool pointer.
thread_local const ShardPool* tl_pool = nullptr;
thread_local ShardId tl_shard = 0;
}  // namespace

ShardPool::ShardPool(std::size_t shards) {
  WIMPU_RELEASE_ASSERT(shards >= 1 && shards <= 4096);
  shards_.resize(shards);
  for (auto& s : shards_) {
    // Concurrency hint 1: exactly one thread runs each context, so Asio may skip its locks.
    s.context = std::make_unique<boost::asio::io_context>(1);
  }
}

ShardPool::~ShardPool() {
  if (running()) {
    stop_now();
    join();
  }
}

std::optional<ShardId> ShardPool::current() const {
  if (tl_pool == this) {
    return tl_shard;
  }
  return std::nullopt;
}

bool ShardPool::on_shard(ShardId s) const { return tl_pool == this && tl_shard == s; }

void ShardPool::start() {
  WIMPU_RELEASE_ASSERT(!started_);
  WIMPU_RELEASE_ASSERT(tl_pool == nullptr);
  started_ = true;
  for (ShardId s = 0; s < shards_.size(); ++s) {
    shards_[s].guard.emplace(shards_[s].context->get_executor());
    shards_[s].thread = std::thread([this, s] { run_shard(s); });
  }
}

void ShardPool::run_shard(ShardId s) {
  tl_pool = this;
  tl_shard = s;
  // Handlers never throw on the data plane; an exception escaping one is a bug, and letting it
  // terminate the process beats running on with a half-updated shard.
  shards_[s].context->run();
  tl_pool = nullptr;
}

void ShardPool::stop() {
  WIMPU_RELEASE_ASSERT(tl_pool != this);
  for (auto& s : shards_) {
    s.guard.reset();
  }
}

void ShardPool::stop_now() {
  WIMPU_RELEASE_ASSERT(tl_pool != this);
  for (auto& s : shards_) {
    s.guard.reset();
    s.context->stop();
  }
}

void ShardPool::join() {
  WIMPU_RELEASE_ASSERT(tl_pool != this);
  for (auto& s : shards_) {
    if (s.thread.joinable()) {
      s.thread.join();
    }
  }
  joined_ = true;
}

}  // namespace wimpu::transport
