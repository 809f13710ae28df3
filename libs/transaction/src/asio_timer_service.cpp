#include "wimpu/transaction/asio_timer_service.hpp"

#include <chrono>
#include <utility>

namespace wimpu::transaction {
namespace {

common::TimePoint steady_now() {
  return common::TimePoint(std::chrono::steady_clock::now().time_since_epoch());
}

}  // namespace

AsioTimerService::AsioTimerService(boost::asio::io_context& io)
    : timer_(io), self_(std::make_shared<AsioTimerService*>(this)) {}

AsioTimerService::~AsioTimerService() {
  *self_ = nullptr;
  timer_.cancel();
}

TimerId AsioTimerService::schedule(common::Duration delay, TimerCallback cb) {
  if (delay < common::Duration::zero()) {
    delay = common::Duration::zero();
  }
  const TimerId id = queue_.add(steady_now() + delay, std::move(cb));
  if (!in_run_) {
    arm();
  }
  return id;
}

void AsioTimerService::cancel(TimerId id) {
  // The Asio timer stays armed: waking up for a cancelled deadline costs one empty run, cheaper
  // than re-arming on every cancel.
  queue_.cancel(id);
}

void AsioTimerService::arm() {
  const auto next = queue_.next_deadline();
  if (!next) {
    return;
  }
  if (armed_for_ && *armed_for_ <= *next) {
    return;  // already waking up early enough
  }
  armed_for_ = *next;
  timer_.expires_at(std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(next->time_since_epoch())));
  // The handler reaches the service through self_, which the destructor clears.
  timer_.async_wait([self = self_](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted || *self == nullptr) {
      return;  // re-armed earlier (the newer wait owns the queue), or destroyed
    }
    (*self)->on_wake();
  });
}

void AsioTimerService::on_wake() {
  armed_for_.reset();
  in_run_ = true;
  queue_.run_due(steady_now());
  in_run_ = false;
  arm();
}

}  // namespace wimpu::transaction
