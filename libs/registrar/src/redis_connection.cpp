#include "redis_connection.hpp"

#include <algorithm>
#include <cstdlib>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "redis_socket.hpp"
#include "wimpu/common/assert.hpp"
#include "wimpu/common/counter.hpp"

namespace wimpu::registrar::detail {
namespace {

using Clock = std::chrono::steady_clock;

struct Counters {
  common::Counter& connects = common::counter("w4.redis.connects");
  common::Counter& connect_failures = common::counter("w4.redis.connect_failures");
  common::Counter& disconnects = common::counter("w4.redis.disconnects");
  common::Counter& timeouts = common::counter("w4.redis.timeouts");
  common::Counter& setup_failures = common::counter("w4.redis.setup_failures");
  common::Counter& library_loads = common::counter("w4.redis.library.loads");
  common::Counter& library_newer_kept = common::counter("w4.redis.library.newer_kept");
  common::Counter& library_races = common::counter("w4.redis.library.races");
  common::Counter& rejected = common::counter("w4.redis.rejected_unavailable");
  common::Counter& batch_calls = common::counter("w4.redis.batch.calls");
  common::Counter& batch_requests = common::counter("w4.redis.batch.requests");
};

Counters& counters() {
  static Counters c;
  return c;
}

}  // namespace

RedisValue RedisValue::from(const redisReply& r) {
  RedisValue v;
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      v.type = Type::kInteger;
      v.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      v.type = r.type == REDIS_REPLY_STRING   ? Type::kString
               : r.type == REDIS_REPLY_STATUS ? Type::kStatus
                                              : Type::kError;
      v.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ARRAY:
      v.type = Type::kArray;
      v.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) {
        v.elements.push_back(from(*r.element[i]));
      }
      break;
    default: v.type = Type::kNil; break;
  }
  return v;
}

// Setup commands complete inline: the connection reacts to them itself.
class RedisConnection::SetupOp final : public RedisOp {
public:
  explicit SetupOp(RedisConnection& conn) : conn_(conn) {}
  void complete(RedisReply reply) override { conn_.on_setup_reply(reply); }

private:
  RedisConnection& conn_;
};

// The library stage's replies, also inline.
class RedisConnection::LibraryOp final : public RedisOp {
public:
  LibraryOp(RedisConnection& conn, LibraryStep step) : conn_(conn), step_(step) {}
  void complete(RedisReply reply) override { conn_.on_library_reply(step_, reply); }

private:
  RedisConnection& conn_;
  LibraryStep step_;
};

RedisConnection::RedisConnection(boost::asio::any_io_executor ex, RedisOptions options,
                                 FunctionLibrary library,
                                 std::vector<std::vector<std::string>> setup)
    : ex_(std::move(ex)),
      options_(std::move(options)),
      library_(std::move(library)),
      setup_(std::move(setup)),
      backoff_(options_.reconnect_min),
      reconnect_timer_(ex_),
      ticker_(ex_) {}

RedisConnection::~RedisConnection() {
  close();
}

void RedisConnection::start() {
  if (state_ == State::kIdle) {
    connect();
  }
}

void RedisConnection::close() {
  if (state_ == State::kClosed) {
    return;
  }
  state_ = State::kClosed;
  reconnect_timer_.cancel();
  ticker_.cancel();
  if (ac_ != nullptr) {
    drop();
  }
  while (!waiting_.empty()) {
    auto op = std::move(waiting_.front());
    waiting_.pop_front();
    op->complete(W4Error::kUnavailable);
  }
  for (auto& b : batches_) {
    for (auto& op : b.requests) {
      op->complete(W4Error::kUnavailable);
    }
  }
  batches_.clear();
}

void RedisConnection::submit(std::unique_ptr<RedisOp> op) {
  op->deadline = Clock::now() + options_.op_timeout;
  switch (state_) {
    case State::kReady: send(std::move(op)); return;
    case State::kIdle:
    case State::kConnecting:
    case State::kLoading:
      if (waiting_.size() < options_.max_waiting) {
        waiting_.push_back(std::move(op));
        arm_ticker();
        return;
      }
      break;
    case State::kBackoff:
    case State::kClosed: break;
  }
  // Fail fast while Redis is known to be unreachable: the caller answers 503 / retries.
  counters().rejected.inc();
  op->complete(W4Error::kUnavailable);
}

namespace {

// One batch call: completes each request with its element of the reply.
class BatchOp final : public RedisOp {
public:
  explicit BatchOp(std::vector<std::unique_ptr<RedisOp>> requests)
      : requests_(std::move(requests)) {}

  void complete(RedisReply reply) override {
    if (reply && reply->type == RedisValue::Type::kArray &&
        reply->elements.size() == requests_.size()) {
      for (std::size_t k = 0; k < requests_.size(); ++k) {
        requests_[k]->complete(std::move(reply->elements[k]));
      }
      return;
    }
    // The whole call failed (link down, or an error about the call itself): every request
    // gets that outcome; any other shape is a backend bug.
    const bool whole = !reply || reply->type == RedisValue::Type::kError;
    for (auto& r : requests_) {
      r->complete(whole ? reply : RedisReply(W4Error::kBackend));
    }
  }

private:
  std::vector<std::unique_ptr<RedisOp>> requests_;
};

}  // namespace

void RedisConnection::add_to_batch(std::string function, std::string key,
                                   std::unique_ptr<RedisOp> op) {
  PendingBatch* batch = nullptr;
  for (auto& b : batches_) {
    if (b.function == function && b.key == key) {
      batch = &b;
      break;
    }
  }
  if (batch == nullptr) {
    batch = &batches_.emplace_back(PendingBatch{std::move(function), std::move(key), {}});
  }
  batch->requests.push_back(std::move(op));
  if (!flush_posted_) {
    // Runs after every handler already queued on the executor: requests issued in the same
    // event-loop turn (e.g. all the REGISTERs a shard read from its sockets) share one call.
    flush_posted_ = true;
    boost::asio::post(ex_, [self = shared_from_this()] { self->flush_batches(); });
  }
}

void RedisConnection::flush_batches() {
  flush_posted_ = false;
  auto batches = std::move(batches_);
  batches_.clear();
  for (auto& b : batches) {
    for (std::size_t first = 0; first < b.requests.size(); first += kMaxBatch) {
      const std::size_t m = std::min(kMaxBatch, b.requests.size() - first);
      std::vector<std::unique_ptr<RedisOp>> part;
      part.reserve(m);
      std::size_t args = 5;
      for (std::size_t k = first; k < first + m; ++k) {
        args += b.requests[k]->argv.size();
        part.push_back(std::move(b.requests[k]));
      }
      std::vector<std::string> argv;
      argv.reserve(args);
      argv.emplace_back("FCALL");
      argv.push_back(b.function);
      argv.emplace_back("1");
      argv.push_back(b.key);
      argv.push_back(std::to_string(m));
      for (auto& r : part) {
        for (auto& a : r->argv) {
          argv.push_back(std::move(a));
        }
        r->argv.clear();
      }
      auto op = std::make_unique<BatchOp>(std::move(part));
      op->argv = std::move(argv);
      counters().batch_calls.inc();
      counters().batch_requests.inc(m);
      submit(std::move(op));
    }
  }
}

void RedisConnection::send(std::unique_ptr<RedisOp> op) {
  WIMPU_ASSERT(ac_ != nullptr);
  std::vector<const char*> args;
  std::vector<std::size_t> lens;
  args.reserve(op->argv.size());
  lens.reserve(op->argv.size());
  for (const auto& a : op->argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  // hiredis formats the command into its output buffer; argv may go once this returns. Replies
  // come back in order, so the front of inflight_ is always the reply's owner.
  if (redisAsyncCommandArgv(ac_, &RedisConnection::on_reply_cb, this, static_cast<int>(args.size()),
                            args.data(), lens.data()) != REDIS_OK) {
    counters().rejected.inc();
    op->complete(W4Error::kUnavailable);
    return;
  }
  op->argv.clear();
  op->argv.shrink_to_fit();
  inflight_.push_back(std::move(op));
  arm_ticker();
}

void RedisConnection::connect() {
  state_ = State::kConnecting;
  connect_deadline_ = Clock::now() + options_.op_timeout;
  redisAsyncContext* ac = redisAsyncConnect(options_.host.c_str(), options_.port);
  if (ac == nullptr || ac->err != 0 || !RedisSocket::attach(ex_, ac)) {
    if (ac != nullptr) {
      redisAsyncFree(ac);
    }
    counters().connect_failures.inc();
    on_disconnected();
    return;
  }
  ac->data = this;
  ac_ = ac;
  redisAsyncSetDisconnectCallback(ac, &RedisConnection::on_disconnect_cb);
  // Arms the first write wait: hiredis learns of the connect's outcome from writability.
  redisAsyncSetConnectCallback(ac, &RedisConnection::on_connect_cb);
  arm_ticker();
}

void RedisConnection::on_connect_cb(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (self == nullptr || self->ac_ != ac) {
    return;
  }
  if (status != REDIS_OK) {
    // hiredis frees the context right after this callback.
    counters().connect_failures.inc();
    self->ac_ = nullptr;
    self->on_disconnected();
    return;
  }
  self->on_connected();
}

void RedisConnection::on_connected() {
  counters().connects.inc();
  state_ = State::kLoading;
  check_library();
}

void RedisConnection::check_library() {
  const auto step = [this](LibraryStep st, std::vector<std::string> argv) {
    auto op = std::make_unique<LibraryOp>(*this, st);
    op->argv = std::move(argv);
    op->deadline = Clock::now() + options_.op_timeout;
    send(std::move(op));
  };
  step(LibraryStep::kWatch, {"WATCH", library_.version_key});
  step(LibraryStep::kVersion, {"FCALL_RO", library_.version_function, "0"});
}

void RedisConnection::on_library_reply(LibraryStep step, const RedisReply& reply) {
  if (state_ != State::kLoading || !reply) {
    return;  // the link is going down; on_disconnected() takes over
  }
  const auto send_step = [this](LibraryStep st, std::vector<std::string> argv) {
    auto op = std::make_unique<LibraryOp>(*this, st);
    op->argv = std::move(argv);
    op->deadline = Clock::now() + options_.op_timeout;
    send(std::move(op));
  };
  const bool error = reply->type == RedisValue::Type::kError;
  switch (step) {
    case LibraryStep::kWatch:
    case LibraryStep::kMulti:
    case LibraryStep::kQueued:
    case LibraryStep::kUnwatch:
      if (error) {
        fail_setup();
      }
      return;
    case LibraryStep::kVersion: {
      long long installed = 0;  // none
      if (error) {
        // Redis 7: "ERR Function not found". Any other error (no FUNCTION support, a foreign
        // library's w4_version failing) is a setup failure.
        if (reply->str.find("not found") == std::string::npos) {
          fail_setup();
          return;
        }
      } else if (reply->type == RedisValue::Type::kString) {
        installed = std::atoll(reply->str.c_str());
      } else if (reply->type == RedisValue::Type::kInteger) {
        installed = reply->integer;
      }
      if (installed > library_.version ||
          (installed == library_.version && !library_.replace_same)) {
        // A newer library serves this (older) client too: newer libraries keep every older
        // function and argument form (docs/w4.md section 5.5).
        if (installed > library_.version) {
          counters().library_newer_kept.inc();
        }
        send_step(LibraryStep::kUnwatch, {"UNWATCH"});
        send_setup();
        return;
      }
      send_step(LibraryStep::kMulti, {"MULTI"});
      send_step(LibraryStep::kQueued, {"FUNCTION", "LOAD", "REPLACE", library_.text});
      send_step(LibraryStep::kQueued,
                {"SET", library_.version_key, std::to_string(library_.version)});
      send_step(LibraryStep::kExec, {"EXEC"});
      return;
    }
    case LibraryStep::kExec:
      if (reply->type == RedisValue::Type::kNil) {
        // Another client loaded (its SET touched the WATCHed key) in between: check again.
        counters().library_races.inc();
        check_library();
        return;
      }
      if (error || reply->type != RedisValue::Type::kArray ||
          std::any_of(reply->elements.begin(), reply->elements.end(), [](const RedisValue& e) {
            return e.type == RedisValue::Type::kError;
          })) {
        fail_setup();
        return;
      }
      counters().library_loads.inc();
      send_setup();
      return;
  }
}

void RedisConnection::send_setup() {
  setup_pending_ = setup_.size();
  for (const auto& cmd : setup_) {
    auto op = std::make_unique<SetupOp>(*this);
    op->argv = cmd;
    op->deadline = Clock::now() + options_.op_timeout;
    send(std::move(op));
  }
  if (setup_pending_ == 0) {
    on_setup_reply(RedisValue{});
  }
}

void RedisConnection::fail_setup() {
  // E.g. Redis < 7 (no FUNCTION) or a block whose stored layout differs: never serve on it.
  counters().setup_failures.inc();
  backoff_ = options_.reconnect_max;
  state_ = State::kBackoff;  // drop() below must not see kLoading again
  boost::asio::post(ex_, [self = shared_from_this()] {
    if (self->ac_ != nullptr) {
      self->drop();
    }
  });
}

void RedisConnection::on_setup_reply(const RedisReply& reply) {
  if (state_ != State::kLoading || !reply) {
    return;  // the link is going down; on_disconnected() takes over
  }
  if (reply->type == RedisValue::Type::kError) {
    fail_setup();
    return;
  }
  if (setup_pending_ > 0 && --setup_pending_ > 0) {
    return;
  }
  state_ = State::kReady;
  backoff_ = options_.reconnect_min;
  while (!waiting_.empty() && state_ == State::kReady) {
    auto op = std::move(waiting_.front());
    waiting_.pop_front();
    send(std::move(op));
  }
}

void RedisConnection::on_reply_cb(redisAsyncContext* ac, void* reply, void* privdata) {
  auto* self = static_cast<RedisConnection*>(privdata);
  (void)ac;
  if (self->inflight_.empty()) {
    WIMPU_BUG("redis reply without a pending command");
    return;
  }
  auto op = std::move(self->inflight_.front());
  self->inflight_.pop_front();
  if (reply == nullptr) {
    // The context is being freed (disconnect, timeout or close): outcome unknown.
    op->complete(W4Error::kUnavailable);
    return;
  }
  op->complete(RedisValue::from(*static_cast<const redisReply*>(reply)));
}

void RedisConnection::on_disconnect_cb(const redisAsyncContext* ac, int /*status*/) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (self == nullptr || self->ac_ != ac) {
    return;  // drop() freed it and handles the aftermath itself
  }
  self->ac_ = nullptr;
  self->on_disconnected();
}

void RedisConnection::drop() {
  redisAsyncContext* ac = ac_;
  ac_ = nullptr;
  // Runs every pending reply callback with a null reply, then the adapter's cleanup.
  redisAsyncFree(ac);
  on_disconnected();
}

void RedisConnection::on_disconnected() {
  counters().disconnects.inc();
  while (!inflight_.empty()) {
    auto op = std::move(inflight_.front());
    inflight_.pop_front();
    op->complete(W4Error::kUnavailable);
  }
  while (!waiting_.empty()) {
    auto op = std::move(waiting_.front());
    waiting_.pop_front();
    op->complete(W4Error::kUnavailable);
  }
  if (state_ == State::kClosed) {
    return;
  }
  state_ = State::kBackoff;
  reconnect_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, options_.reconnect_max);
  reconnect_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec && self->state_ == State::kBackoff) {
      self->connect();
    }
  });
}

// A coarse watchdog, armed only while something is pending: a command unanswered past its
// deadline means the link is dead (Redis hung, network partition), so the link is dropped.
void RedisConnection::arm_ticker() {
  if (ticker_armed_ || state_ == State::kClosed) {
    return;
  }
  ticker_armed_ = true;
  const auto period =
      std::max<std::chrono::milliseconds>(std::chrono::milliseconds(5), options_.op_timeout / 4);
  ticker_.expires_after(period);
  ticker_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    self->ticker_armed_ = false;
    if (!ec) {
      self->tick();
    }
  });
}

void RedisConnection::tick() {
  if (state_ == State::kClosed) {
    return;
  }
  const auto now = Clock::now();
  if (state_ == State::kConnecting && ac_ != nullptr && now >= connect_deadline_) {
    counters().timeouts.inc();
    drop();
  } else if (!inflight_.empty() && now >= inflight_.front()->deadline && ac_ != nullptr) {
    counters().timeouts.inc();
    drop();
  }
  while (!waiting_.empty() && now >= waiting_.front()->deadline) {
    auto op = std::move(waiting_.front());
    waiting_.pop_front();
    counters().timeouts.inc();
    op->complete(W4Error::kUnavailable);
  }
  if (!inflight_.empty() || !waiting_.empty() || state_ == State::kConnecting ||
      state_ == State::kLoading) {
    arm_ticker();
  }
}

}  // namespace wimpu::registrar::detail
