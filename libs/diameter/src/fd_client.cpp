// The Cx client over freeDiameter. Life of a request (docs/diameter.md "Async model"):
//   shard: fill envelope -> encode -> fd_msg_parse_buffer/parse_dict -> fd_msg_send_timeout
//   freeDiameter thread: answer (or expiry) -> fd_msg_bufferize -> post bytes to the shard
//   shard: first of {answer, shard timer, freeDiameter expiry} completes; decode; call handler.
// The shard timer makes the timeout independent of freeDiameter's internals (a request that
// never reaches a peer's sent-list has no freeDiameter expiry); the freeDiameter expiry frees
// the sent-list entry of a request that will never be answered.
//
// Overload: a request counts against CxClientOptions::max_pending until freeDiameter gives it
// back, not merely until the caller's handler ran. The caller gets kTimeout at `timeout`, but
// freeDiameter keeps the request in its sent-list for a second `timeout`: a late answer is then
// matched and frees the slot when the HSS has really dealt with the request, instead of being
// dropped as unknown (421) while new requests pile up behind it. Counting requests until then is
// what bounds the bytes in flight on a Cx connection: unbounded, an overloaded HSS let both
// directions of the connection fill up until freeDiameter's own threads (which also send
// watchdogs and answers) and the shard posting into freeDiameter's full queue all blocked for good
// (found with bench/calls, issue 8 figure 4). Beyond the bound a request fails at once with
// kOverload (the CSCFs answer 503). A request freeDiameter never gives back (lost in a failover)
// is released one second after freeDiameter's own deadline.
#include <time.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "fd_bridge.hpp"
#include "wimpu/common/assert.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/diameter/cx_codec.hpp"

namespace wimpu::diameter {

namespace detail {
namespace {

common::Counter& error_counter(CxError error) {
  static common::Counter* counters[] = {
      &common::counter("diameter.cx.client.error.timeout"),
      &common::counter("diameter.cx.client.error.unavailable"),
      &common::counter("diameter.cx.client.error.bad_answer"),
      &common::counter("diameter.cx.client.error.overload"),
      &common::counter("diameter.cx.client.error.shutdown"),
      &common::counter("diameter.cx.client.error.internal"),
  };
  return *counters[static_cast<std::size_t>(error)];
}

struct ClientState {
  std::size_t pending = 0;  // touched on the client's executor only
};

common::Counter& released_late_counter() {
  static common::Counter& c = common::counter("diameter.cx.client.released_without_callback");
  return c;
}

// One outstanding request. Owned by shared_ptrs: the shard timer's handler, the token given to
// freeDiameter, and posted completions. Its fields are touched on the client's executor only.
struct Pending {
  Pending(boost::asio::any_io_executor executor, CxCommand cmd, CxClient::AnswerHandler h,
          std::shared_ptr<ClientState> st)
      : timer(std::move(executor)), command(cmd), handler(std::move(h)), state(std::move(st)) {}

  boost::asio::steady_timer timer;
  CxCommand command;
  CxClient::AnswerHandler handler;
  std::shared_ptr<ClientState> state;
  std::chrono::milliseconds timeout{0};
  bool done = false;      // the handler ran
  bool released = false;  // no longer counted in ClientState::pending
};

using PendingPtr = std::shared_ptr<Pending>;

// Runs on the client's executor: the request stops counting against max_pending.
void release(const PendingPtr& p) {
  if (p->released) {
    return;
  }
  p->released = true;
  WIMPU_ASSERT(p->state->pending > 0);
  --p->state->pending;
}

// Runs on the client's executor. The first completion wins; the pending count is released apart
// (release()), when freeDiameter gives the request back.
void complete(const PendingPtr& p, CxResult<CxAnswer> result) {
  if (p->done) {
    return;
  }
  p->done = true;
  if (!result) {
    error_counter(result.error()).inc();
  } else {
    static common::Counter& answered = common::counter("diameter.cx.client.answered");
    answered.inc();
  }
  auto handler = std::move(p->handler);
  handler(std::move(result));
}

// The shard timer: at the deadline the caller gets kTimeout; a request freeDiameter still has not
// given back a second after its own deadline (twice the timeout, see send()) is released anyway,
// so a lost callback cannot leak capacity.
void arm_timer(const PendingPtr& p, bool grace) {
  using namespace std::chrono_literals;
  p->timer.expires_after(grace ? p->timeout + 1s : p->timeout);
  p->timer.async_wait([p, grace](const boost::system::error_code& ec) {
    if (ec || p->released) {
      return;
    }
    if (!grace) {
      complete(p, CxError::kTimeout);
      arm_timer(p, true);
      return;
    }
    released_late_counter().inc();
    release(p);
  });
}

// freeDiameter gave the request back (answer or expiry): complete if not yet, release, stop the
// timer.
void give_back(const PendingPtr& p, CxResult<CxAnswer> result) {
  complete(p, std::move(result));
  release(p);
  p->timer.cancel();
}

void complete_with_bytes(const PendingPtr& p, const std::vector<std::uint8_t>& bytes) {
  if (p->done) {
    // A late answer: the caller already has its kTimeout (complete() ignores this result); only
    // the slot comes back, so nothing is decoded.
    give_back(p, CxError::kTimeout);
    return;
  }
  if (bytes.empty()) {
    give_back(p, CxError::kBadAnswer);
    return;
  }
  auto answer = decode_answer(bytes);
  if (!answer || command_of(*answer) != p->command) {
    give_back(p, CxError::kBadAnswer);
    return;
  }
  // Errors the Diameter layer generates when the HSS cannot be reached (RFC 6733 §7.1.3),
  // by freeDiameter itself or by a relay: the CSCFs treat them like a lost connection.
  const ResultCode rc = std::visit([](const auto& a) { return a.result; }, *answer);
  if (!rc.experimental() && (rc.value == 3002 || rc.value == 3003 || rc.value == 3004)) {
    give_back(p, CxError::kUnavailable);
    return;
  }
  give_back(p, std::move(*answer));
}

// freeDiameter callbacks (freeDiameter threads): copy, free, post. Nothing else.
void on_answer(void* data, struct msg** message) {
  std::unique_ptr<PendingPtr> token(static_cast<PendingPtr*>(data));
  std::vector<std::uint8_t> bytes;
  if (message != nullptr && *message != nullptr) {
    bytes = to_bytes(*message);
    fd_msg_free(*message);  // also frees the request it answers
    *message = nullptr;
  }
  PendingPtr pending = *token;
  auto executor = pending->timer.get_executor();
  boost::asio::post(executor, [pending = std::move(pending), bytes = std::move(bytes)]() {
    complete_with_bytes(pending, bytes);
  });
}

void on_expire(void* data, DiamId_t, std::size_t, struct msg** message) {
  std::unique_ptr<PendingPtr> token(static_cast<PendingPtr*>(data));
  if (message != nullptr && *message != nullptr) {
    fd_msg_free(*message);
    *message = nullptr;
  }
  PendingPtr pending = *token;
  auto executor = pending->timer.get_executor();
  boost::asio::post(executor,
                    [pending = std::move(pending)]() { give_back(pending, CxError::kTimeout); });
}

class FdCxClient final : public CxClient {
public:
  FdCxClient(std::shared_ptr<NodeShared> shared, boost::asio::any_io_executor executor,
             CxClientOptions options)
      : shared_(std::move(shared)),
        executor_(std::move(executor)),
        options_(std::move(options)),
        state_(std::make_shared<ClientState>()) {}

  boost::asio::any_io_executor executor() const override { return executor_; }

  void send(CxRequest request, AnswerHandler handler) override {
    const CxCommand command = command_of(request);
    static common::Counter& sent = common::counter("diameter.cx.client.sent");
    sent.inc();
    auto pending = std::make_shared<Pending>(executor_, command, std::move(handler), state_);
    pending->timeout = options_.timeout;
    ++state_->pending;
    if (state_->pending > options_.max_pending) {
      post_error(pending, CxError::kOverload);
      return;
    }
    std::visit([this](auto& r) { fill_envelope(r.envelope); }, request);

    std::shared_lock lock(shared_->mutex);
    if (!shared_->alive) {
      post_error(pending, CxError::kShutdown);
      return;
    }
    const auto bytes = encode_request(request, MessageIds{0, fd_msg_eteid_get()});
    struct msg* message = from_bytes(bytes);
    if (message == nullptr) {
      WIMPU_BUG("freeDiameter rejected an encoded Cx request (dictionary out of sync?)");
      post_error(pending, CxError::kInternal);
      return;
    }
    arm_timer(pending, false);
    timespec deadline{};
    clock_gettime(CLOCK_REALTIME, &deadline);  // fd_msg_send_timeout takes CLOCK_REALTIME
    // freeDiameter keeps the request for a second `timeout` after the caller's (header comment).
    const auto ms = (2 * options_.timeout).count();
    deadline.tv_sec += ms / 1000;
    deadline.tv_nsec += (ms % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
      deadline.tv_sec += 1;
      deadline.tv_nsec -= 1000000000;
    }
    auto* token = new PendingPtr(pending);
    if (fd_msg_send_timeout(&message, on_answer, token, on_expire, &deadline) != 0) {
      delete token;
      if (message != nullptr) {
        fd_msg_free(message);
      }
      common::counter("diameter.cx.client.send_failed").inc();
      post_error(pending, CxError::kInternal);
    }
  }

private:
  void fill_envelope(Envelope& env) const {
    if (env.session_id.empty()) {
      env.session_id = shared_->next_session_id();
    }
    if (env.origin_host.empty()) {
      env.origin_host = shared_->identity;
    }
    if (env.origin_realm.empty()) {
      env.origin_realm = shared_->realm;
    }
    if (env.destination_realm.empty()) {
      env.destination_realm = options_.destination_realm;
    }
    if (env.destination_host.empty()) {
      env.destination_host = options_.destination_host;
    }
  }

  void post_error(const PendingPtr& pending, CxError error) {
    // Never inline: the caller's handler must not run inside send(). Never reached
    // freeDiameter: released with the completion.
    boost::asio::post(executor_, [pending, error]() { give_back(pending, error); });
  }

  std::shared_ptr<NodeShared> shared_;
  boost::asio::any_io_executor executor_;
  CxClientOptions options_;
  std::shared_ptr<ClientState> state_;
};

}  // namespace

std::unique_ptr<CxClient> make_fd_client(std::shared_ptr<NodeShared> shared,
                                         boost::asio::any_io_executor executor,
                                         CxClientOptions options) {
  return std::make_unique<FdCxClient>(std::move(shared), std::move(executor), std::move(options));
}

}  // namespace detail
}  // namespace wimpu::diameter
