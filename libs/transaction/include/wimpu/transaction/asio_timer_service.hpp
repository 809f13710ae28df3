#pragma once
// TimerService on a shard's io_context: one steady_timer armed for the earliest deadline of a
// TimerQueue, so thousands of transaction timers cost one Asio timer per shard.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>

#include "wimpu/transaction/timer_queue.hpp"
#include "wimpu/transaction/timer_service.hpp"

namespace wimpu::transaction {

/// Threading: construct, use and destroy on the thread that runs `io` (the shard). Destroy it
/// before the io_context, or after the io_context stopped running (its pending wait refers to it).
class AsioTimerService final : public TimerService {
public:
  explicit AsioTimerService(boost::asio::io_context& io);
  ~AsioTimerService() override;

  TimerId schedule(common::Duration delay, TimerCallback cb) override;
  void cancel(TimerId id) override;
  std::size_t pending() const override { return queue_.size(); }

private:
  void arm();
  void on_wake();

  boost::asio::steady_timer timer_;
  // Cleared by the destructor: a wait that completed but whose handler has not run yet must not
  // touch a destroyed service.
  std::shared_ptr<AsioTimerService*> self_;
  TimerQueue queue_;
  std::optional<common::TimePoint> armed_for_;
  bool in_run_ = false;
};

}  // namespace wimpu::transaction
