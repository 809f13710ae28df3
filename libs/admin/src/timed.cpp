#include "wimpu/admin/timed.hpp"

#include <chrono>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "wimpu/common/histogram.hpp"

namespace wimpu::admin {
namespace {

using Steady = std::chrono::steady_clock;
using namespace registrar;

/// Histograms are looked up once per decorator, not per call (the registry takes a lock).
struct W4Histograms {
  common::Histogram& register_contacts = common::histogram("w4.latency.register_contacts");
  common::Histogram& remove_contact = common::histogram("w4.latency.remove_contact");
  common::Histogram& remove_all = common::histogram("w4.latency.remove_all");
  common::Histogram& remove_flow = common::histogram("w4.latency.remove_flow");
  common::Histogram& lookup = common::histogram("w4.latency.lookup");
  common::Histogram& is_registered = common::histogram("w4.latency.is_registered");
  common::Histogram& lookup_identity = common::histogram("w4.latency.lookup_identity");
  common::Histogram& usage = common::histogram("w4.latency.usage");
  common::Histogram& list = common::histogram("w4.latency.list");
  common::Histogram& ping = common::histogram("w4.latency.ping");
};

class TimedW4 final : public W4 {
public:
  TimedW4(W4& inner, bool always_suspend) : inner_(inner), always_suspend_(always_suspend) {}
  const BlockSet& blocks() const override { return inner_.blocks(); }

  // Each call starts the inner operation (asio awaitables are lazy: it runs when timed() awaits
  // it) and hands it to timed(); arguments are moved into the inner coroutine's frame.
  W4Task<RegisterResult> register_contacts(RegisterRequest req) override {
    return timed(h_.register_contacts, inner_.register_contacts(std::move(req)));
  }
  W4Task<RemoveResult> remove_contact(std::string impu, ContactKey key) override {
    return timed(h_.remove_contact, inner_.remove_contact(std::move(impu), std::move(key)));
  }
  W4Task<RemoveResult> remove_all(std::string impu, std::optional<CallIdGuard> guard) override {
    return timed(h_.remove_all, inner_.remove_all(std::move(impu), std::move(guard)));
  }
  W4Task<std::uint32_t> remove_flow(std::string flow_token) override {
    return timed(h_.remove_flow, inner_.remove_flow(std::move(flow_token)));
  }
  W4Task<Binding> lookup(std::string impu) override {
    return timed(h_.lookup, inner_.lookup(std::move(impu)));
  }
  W4Task<bool> is_registered(std::string impu) override {
    return timed(h_.is_registered, inner_.is_registered(std::move(impu)));
  }
  W4Task<Binding> lookup_identity(std::string block, WebIdentity identity) override {
    return timed(h_.lookup_identity,
                 inner_.lookup_identity(std::move(block), std::move(identity)));
  }
  W4Task<BlockUsage> usage(std::string block) override {
    return timed(h_.usage, inner_.usage(std::move(block)));
  }
  W4Task<ListPage> list(std::string block, std::uint64_t cursor, std::uint32_t limit) override {
    return timed(h_.list, inner_.list(std::move(block), cursor, limit));
  }
  W4Task<void> ping() override { return timed(h_.ping, inner_.ping()); }

private:
  /// Awaits `inner`, records its latency in `h`, then maybe_suspend(). The result is kept in a
  /// named local (GCC 12 coroutine pitfalls, BRIEF).
  template <class T>
  W4Task<T> timed(common::Histogram& h, W4Task<T> inner) {
    const auto t0 = Steady::now();
    auto r = co_await std::move(inner);
    h.observe(Steady::now() - t0);
    co_await maybe_suspend();
    co_return r;
  }

  /// Resumes through the caller's executor queue when asked to (see make_timed_w4()).
  boost::asio::awaitable<void> maybe_suspend() {
    if (always_suspend_) {
      auto ex = co_await boost::asio::this_coro::executor;
      co_await boost::asio::post(ex, boost::asio::use_awaitable);
    }
  }

  W4& inner_;
  bool always_suspend_;
  W4Histograms h_;
};

common::Histogram& cx_histogram(const diameter::CxRequest& r) {
  static common::Histogram& uar = common::histogram("cx.latency.uar");
  static common::Histogram& sar = common::histogram("cx.latency.sar");
  static common::Histogram& lir = common::histogram("cx.latency.lir");
  static common::Histogram& mar = common::histogram("cx.latency.mar");
  if (std::holds_alternative<diameter::UserAuthorizationRequest>(r)) {
    return uar;
  }
  if (std::holds_alternative<diameter::ServerAssignmentRequest>(r)) {
    return sar;
  }
  if (std::holds_alternative<diameter::LocationInfoRequest>(r)) {
    return lir;
  }
  return mar;
}

class TimedCx final : public diameter::CxClient {
public:
  explicit TimedCx(std::unique_ptr<diameter::CxClient> inner) : inner_(std::move(inner)) {}
  void send(diameter::CxRequest request, AnswerHandler handler) override {
    common::Histogram* h = &cx_histogram(request);
    const auto t0 = Steady::now();
    // The handler may outlive this client (CxClient contract): capture nothing of `this`.
    inner_->send(std::move(request),
                 [h, t0, handler = std::move(handler)](diameter::CxResult<diameter::CxAnswer> r) {
                   h->observe(Steady::now() - t0);
                   handler(std::move(r));
                 });
  }
  boost::asio::any_io_executor executor() const override { return inner_->executor(); }

private:
  std::unique_ptr<diameter::CxClient> inner_;
};

}  // namespace

registrar::W4Ptr make_timed_w4(registrar::W4& inner, bool always_suspend) {
  return std::make_unique<TimedW4>(inner, always_suspend);
}

std::unique_ptr<diameter::CxClient> make_timed_cx(std::unique_ptr<diameter::CxClient> inner) {
  return std::make_unique<TimedCx>(std::move(inner));
}

}  // namespace wimpu::admin
