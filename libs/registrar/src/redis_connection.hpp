#pragma once
// One hiredis connection to Redis, owned by one executor (a shard): connects, loads the W4
// functions (setup commands) before any user command, pipelines commands, fails them fast with
// kUnavailable while Redis is unreachable, reconnects with exponential back-off, and treats a
// command unanswered for op_timeout as a dead link (hiredis 0.14 has no timeouts of its own).
//
// Threading: every member function runs on executor() (a single-threaded io_context executor or
// a strand). async_command() may be called from any thread: it dispatches to executor() and
// posts the reply to the caller's executor.
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "wimpu/registrar/redis_registrar.hpp"
#include "wimpu/registrar/types.hpp"

struct redisAsyncContext;
struct redisReply;

namespace wimpu::registrar::detail {

/// An owned copy of a Redis reply (hiredis frees its own after the callback).
struct RedisValue {
  enum class Type : std::uint8_t { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  long long integer = 0;
  std::string str;
  std::vector<RedisValue> elements;

  static RedisValue from(const redisReply& r);
};

using RedisReply = W4Result<RedisValue>;

/// A command waiting for its reply.
class RedisOp {
public:
  virtual ~RedisOp() = default;
  /// Delivers the reply. Called once, on the connection's executor.
  virtual void complete(RedisReply reply) = 0;

  std::vector<std::string> argv;
  std::chrono::steady_clock::time_point deadline;
};

/// A Redis Functions library the connection keeps loaded, never replacing a newer one: during a
/// rolling upgrade an old client reconnecting must not remove functions a newer one needs.
/// On each new connection: `WATCH <version_key>`, `FCALL_RO <version_function> 0` (the installed
/// version; "function not found" = none); if it is older than `version` (or equal and
/// `replace_same`), `MULTI`, `FUNCTION LOAD REPLACE <text>`, `SET <version_key> <version>`,
/// `EXEC`, else `UNWATCH`. A concurrent loader's SET aborts the EXEC and the check runs again, so
/// two clients of different versions never leave the older library installed.
struct FunctionLibrary {
  std::string text;              ///< FUNCTION LOAD's argument.
  long long version = 0;         ///< What version_function returns once `text` is loaded.
  std::string version_function;  ///< A read-only function without keys returning the version.
  std::string version_key;       ///< WATCHed and SET by every load (serialises loaders).
  bool replace_same = false;     ///< Also reload over the same version (test variant of it).
};

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
public:
  /// On every new connection, before any user command: `library` is loaded unless the same or
  /// a newer version is there (see FunctionLibrary), then `setup` is sent in order; the
  /// connection becomes ready when all of it succeeded (a failure drops the link and retries
  /// later).
  RedisConnection(boost::asio::any_io_executor ex, RedisOptions options, FunctionLibrary library,
                  std::vector<std::vector<std::string>> setup);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  const boost::asio::any_io_executor& executor() const { return ex_; }

  /// Starts connecting. On executor().
  void start();
  /// Fails every pending command with kUnavailable and disconnects for good. On executor().
  void close();
  /// True once connected with the setup done. On executor().
  bool ready() const { return state_ == State::kReady; }

  /// Sends `argv` and completes with `void(RedisReply)` on the handler's associated executor.
  /// Callable from any thread; the connection must outlive the call (the registrar holds it).
  template <class Token>
  auto async_command(std::vector<std::string> argv, Token&& token);

  /// Group commit. Like async_command() for one request of a batch function: every request for
  /// the same (`function`, `key`) submitted before the connection's executor next runs its queue
  /// goes out as ONE `FCALL <function> 1 <key> <m> <args of request 1> ... <args of request m>`
  /// (at most kMaxBatch requests per call), and request k completes with element k of the reply
  /// array (an error element for that request alone), or with the whole call's error. Callable
  /// from any thread, like async_command().
  template <class Token>
  auto async_batched(std::string function, std::string key, std::vector<std::string> args,
                     Token&& token);

  /// Requests per batch call: bounds the time Redis spends in one call (other clients wait).
  static constexpr std::size_t kMaxBatch = 128;

private:
  enum class State { kIdle, kConnecting, kLoading, kReady, kBackoff, kClosed };
  class SetupOp;
  class LibraryOp;
  /// The replies of the library stage (on_connected()).
  enum class LibraryStep { kWatch, kVersion, kMulti, kQueued, kExec, kUnwatch };

  void submit(std::unique_ptr<RedisOp> op);
  void add_to_batch(std::string function, std::string key, std::unique_ptr<RedisOp> op);
  void flush_batches();
  void send(std::unique_ptr<RedisOp> op);
  void connect();
  void on_connected();
  void on_setup_reply(const RedisReply& reply);
  void check_library();
  void on_library_reply(LibraryStep step, const RedisReply& reply);
  void send_setup();
  void fail_setup();
  void on_disconnected();
  void drop();
  void arm_ticker();
  void tick();

  static void on_connect_cb(const redisAsyncContext* ac, int status);
  static void on_disconnect_cb(const redisAsyncContext* ac, int status);
  static void on_reply_cb(redisAsyncContext* ac, void* reply, void* privdata);

  boost::asio::any_io_executor ex_;
  RedisOptions options_;
  FunctionLibrary library_;
  std::vector<std::vector<std::string>> setup_;
  State state_ = State::kIdle;
  redisAsyncContext* ac_ = nullptr;
  std::size_t setup_pending_ = 0;
  std::chrono::milliseconds backoff_;
  std::chrono::steady_clock::time_point connect_deadline_;
  std::deque<std::unique_ptr<RedisOp>> waiting_;   ///< Not sent yet (connecting/loading).
  std::deque<std::unique_ptr<RedisOp>> inflight_;  ///< Sent, in reply order.
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer ticker_;
  bool ticker_armed_ = false;
  struct PendingBatch {
    std::string function;
    std::string key;
    std::vector<std::unique_ptr<RedisOp>> requests;  ///< Each op's argv: its part of ARGV.
  };
  std::vector<PendingBatch> batches_;  ///< Collected until flush_batches() runs.
  bool flush_posted_ = false;
};

/// Completes a caller's handler on the caller's executor.
template <class Handler>
class HandlerOp final : public RedisOp {
public:
  using Executor = boost::asio::associated_executor_t<Handler, boost::asio::any_io_executor>;

  HandlerOp(Handler handler, const boost::asio::any_io_executor& fallback)
      : handler_(std::move(handler)),
        work_(boost::asio::make_work_guard(
            boost::asio::get_associated_executor(handler_, fallback))) {}

  void complete(RedisReply reply) override {
    // Never resume the caller inside hiredis's callback: post to its own executor.
    auto ex = work_.get_executor();
    boost::asio::post(ex, [h = std::move(handler_), r = std::move(reply)]() mutable {
      std::move(h)(std::move(r));
    });
    work_.reset();
  }

private:
  Handler handler_;
  boost::asio::executor_work_guard<Executor> work_;
};

template <class Token>
auto RedisConnection::async_command(std::vector<std::string> argv, Token&& token) {
  return boost::asio::async_initiate<Token, void(RedisReply)>(
      [self = shared_from_this()](auto handler, std::vector<std::string> args) {
        using H = std::decay_t<decltype(handler)>;
        auto op = std::make_unique<HandlerOp<H>>(std::move(handler), self->ex_);
        op->argv = std::move(args);
        const auto ex = self->ex_;
        boost::asio::dispatch(ex, [self = std::move(self), op = std::move(op)]() mutable {
          self->submit(std::move(op));
        });
      },
      token, std::move(argv));
}

template <class Token>
auto RedisConnection::async_batched(std::string function, std::string key,
                                    std::vector<std::string> args, Token&& token) {
  return boost::asio::async_initiate<Token, void(RedisReply)>(
      [self = shared_from_this()](auto handler, std::string fn, std::string k,
                                  std::vector<std::string> a) {
        using H = std::decay_t<decltype(handler)>;
        auto op = std::make_unique<HandlerOp<H>>(std::move(handler), self->ex_);
        op->argv = std::move(a);
        const auto ex = self->ex_;
        boost::asio::dispatch(ex, [self = std::move(self), fn = std::move(fn), k = std::move(k),
                                   op = std::move(op)]() mutable {
          self->add_to_batch(std::move(fn), std::move(k), std::move(op));
        });
      },
      token, std::move(function), std::move(key), std::move(args));
}

}  // namespace wimpu::registrar::detail
