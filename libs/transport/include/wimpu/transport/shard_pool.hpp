#pragma once
// Shards (STYLE.md "Threading", Seastar shard-per-core): N io_contexts, one thread each, created
// with concurrency hint 1 so Asio skips its internal locking. State bound to a shard (connections,
// flow tables, transaction tables, timers) is touched only by that shard's thread; other threads
// reach it by posting a function to the owner (Seastar invoke_on, Envoy Dispatcher::post).
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "wimpu/transport/types.hpp"

namespace wimpu::transport {

/// A fixed set of shards. Create it at start-up, before everything that lives on the shards.
///
/// Lifecycle: construct -> start() -> ... -> stop() -> join() -> destroy. Objects whose handlers
/// run on the shards (NetTransport, transaction layers) must be stopped before stop() and may be
/// destroyed only after join() (or if start() was never called): pending handlers refer to them.
///
/// Threading: size(), context(), executor(), post(), post_all(), current() and on_shard() are
/// safe from any thread. start(), stop(), stop_now() and join() belong to the owning (main)
/// thread and must not be called from a shard thread.
class ShardPool {
public:
  /// Creates `shards` io_contexts (at least 1); no thread runs yet.
  explicit ShardPool(std::size_t shards);
  /// Calls stop_now() and join() if the pool is still running.
  ~ShardPool();
  ShardPool(const ShardPool&) = delete;
  ShardPool& operator=(const ShardPool&) = delete;

  /// Number of shards.
  std::size_t size() const { return shards_.size(); }

  /// The io_context of shard `s` (s < size()). Owned by the pool; valid until it is destroyed.
  boost::asio::io_context& context(ShardId s) { return *shards_.at(s).context; }

  /// The executor of shard `s`, for co_spawn and I/O objects bound to that shard.
  boost::asio::io_context::executor_type executor(ShardId s) {
    return shards_.at(s).context->get_executor();
  }

  /// Queues `fn` (a move-only callable taking no argument is fine) to run on shard `s`, never
  /// inline, even when called from shard `s` itself. Handlers run in FIFO order per shard.
  /// A handler posted after join() is destroyed with the pool without running.
  template <class F>
  void post(ShardId s, F&& fn) {
    boost::asio::post(*shards_.at(s).context, std::forward<F>(fn));
  }

  /// Posts a copy of `fn` to every shard (Envoy runOnAllThreads), e.g. to push an immutable
  /// config snapshot `std::shared_ptr<const T>` to each shard.
  template <class F>
  void post_all(const F& fn) {
    for (ShardId s = 0; s < shards_.size(); ++s) {
      post(s, F(fn));
    }
  }

  /// The shard whose thread is calling, or nullopt on any other thread (including threads of
  /// another ShardPool).
  std::optional<ShardId> current() const;

  /// True when the calling thread is shard `s` of this pool.
  bool on_shard(ShardId s) const;

  /// Starts one thread per shard. Each keeps running (idle) until stop(). Call once.
  void start();

  /// True between start() and join().
  bool running() const { return started_ && !joined_; }

  /// Orderly stop: lets each shard run until it has no more work (pending handlers, timers and
  /// I/O), then its thread exits. Stop the transport (which closes every socket and timer) first,
  /// or the threads keep running.
  void stop();

  /// Abrupt stop: every io_context stops at once; queued handlers are destroyed, not run, when
  /// the pool is destroyed. For fatal paths and tests.
  void stop_now();

  /// Waits for every shard thread to exit. Call after stop() or stop_now().
  void join();

private:
  struct Shard {
    std::unique_ptr<boost::asio::io_context> context;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
    std::thread thread;
  };
  void run_shard(ShardId s);

  std::vector<Shard> shards_;
  bool started_ = false;
  bool joined_ = false;
};

}  // namespace wimpu::transport
