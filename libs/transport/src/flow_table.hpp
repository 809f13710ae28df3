#pragma once
// A shard's flow table: slot -> connection, with a generation per slot (FlowId). The owner thread
// allocates, looks up and releases; any thread may ask is_live(), which reads one atomic per slot
// from a fixed-size array (never reallocated, so no lock is needed).
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "wimpu/transport/types.hpp"

namespace wimpu::transport::detail {

class Connection;

class FlowTable {
public:
  FlowTable(ShardId shard, std::uint32_t capacity);

  /// Takes a slot for `conn` and returns its id, or nullopt when full. Owner thread only.
  std::optional<FlowId> allocate(std::shared_ptr<Connection> conn);

  /// The live connection with this id, or null. Owner thread only.
  Connection* get(FlowId id) const;

  /// Frees the slot of `id` if it is still held by that generation; returns the connection so the
  /// caller decides when it dies. Owner thread only.
  std::shared_ptr<Connection> release(FlowId id);

  /// True while `id` is allocated. Any thread (acquire load; a snapshot).
  bool is_live(FlowId id) const;

  /// Number of allocated slots. Owner thread only.
  std::size_t size() const { return live_; }

  /// Every live connection (for shutdown). Owner thread only.
  std::vector<std::shared_ptr<Connection>> all() const;

private:
  ShardId shard_;
  std::uint32_t capacity_;
  // live_generation_[slot] = generation while allocated, 0 when free.
  std::unique_ptr<std::atomic<std::uint32_t>[]> live_generation_;
  std::vector<std::shared_ptr<Connection>> conns_;   // grows up to capacity_, owner only
  std::vector<std::uint32_t> last_generation_;       // owner only
  std::vector<std::uint32_t> free_;                   // free slots below conns_.size()
  std::size_t live_ = 0;
};

}  // namespace wimpu::transport::detail
