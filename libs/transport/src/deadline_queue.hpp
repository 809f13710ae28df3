#pragma once
// One timer per shard for every connection's deadlines (handshake, idle, WebSocket ping and pong,
// flush and close), instead of an Asio timer and a timer coroutine per connection: an idle WIC
// then costs the shard 16 bytes here and nothing else for its timers (issue 8, figure 3: at most
// 8 KiB per idle connection; a timer coroutine with its co_spawn frames took ~1 KiB).
//
// A binary min-heap of (wake time, connection); each connection knows its heap index, so moving
// or removing its entry is O(log n). Wake times are lazy: traffic does not touch the heap; the
// connection recomputes its next deadline when it wakes (Connection::on_timer) and is put back.
// Threading: the shard's thread only. Ownership: raw pointers; a connection removes itself
// (Connection::close) before it can die, so no entry ever outlives its connection.
#include <cstdint>
#include <limits>
#include <vector>

#include "asio_types.hpp"

namespace wimpu::transport::detail {

class Connection;

class DeadlineQueue {
public:
  static constexpr std::uint32_t kNotQueued = std::numeric_limits<std::uint32_t>::max();

  explicit DeadlineQueue(asio::io_context& context);
  DeadlineQueue(const DeadlineQueue&) = delete;
  DeadlineQueue& operator=(const DeadlineQueue&) = delete;

  /// Wakes `conn` (Connection::on_timer) at `when`, replacing its earlier wake time if any.
  /// SteadyTime::max() removes it. A time in the past wakes it from the shard's event loop
  /// soon, never from inside this call.
  void schedule(Connection& conn, SteadyTime when);
  /// Forgets `conn` (no-op when not queued).
  void remove(Connection& conn);
  /// Number of queued connections (tests, metrics).
  std::size_t size() const { return heap_.size(); }
  /// Stops the timer; later schedule() calls still queue but nothing wakes (shutdown).
  void stop();

private:
  struct Entry {
    SteadyTime when;
    Connection* conn;
  };
  void place(std::uint32_t i);  // restores the heap property around index i
  bool sift_up(std::uint32_t i);
  void sift_down(std::uint32_t i);
  void swap_entries(std::uint32_t a, std::uint32_t b);
  void pop(std::uint32_t i);
  void arm();
  void fire();

  std::vector<Entry> heap_;
  Timer timer_;
  SteadyTime armed_ = SteadyTime::max();  // what timer_ waits for (max: not waiting)
  bool firing_ = false;
  bool stopped_ = false;
};

}  // namespace wimpu::transport::detail
