#include "flow_table.hpp"

#include "connection.hpp"

namespace wimpu::transport::detail {

FlowTable::FlowTable(ShardId shard, std::uint32_t capacity)
    : shard_(shard),
      capacity_(capacity),
      live_generation_(std::make_unique<std::atomic<std::uint32_t>[]>(capacity)) {}

std::optional<FlowId> FlowTable::allocate(std::shared_ptr<Connection> conn) {
  std::uint32_t slot = 0;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else if (conns_.size() < capacity_) {
    slot = static_cast<std::uint32_t>(conns_.size());
    conns_.emplace_back();
    last_generation_.push_back(0);
  } else {
    return std::nullopt;
  }
  std::uint32_t gen = last_generation_[slot] + 1;
  if (gen == 0) {
    gen = 1;  // 0 means "free"; after 2^32 reuses of one slot, wrap past it
  }
  last_generation_[slot] = gen;
  conns_[slot] = std::move(conn);
  live_generation_[slot].store(gen, std::memory_order_release);
  ++live_;
  return FlowId{shard_, slot, gen};
}

Connection* FlowTable::get(FlowId id) const {
  if (id.shard != shard_ || id.slot >= conns_.size() || id.generation == 0 ||
      last_generation_[id.slot] != id.generation) {
    return nullptr;
  }
  return conns_[id.slot].get();
}

std::shared_ptr<Connection> FlowTable::release(FlowId id) {
  if (get(id) == nullptr) {
    return nullptr;
  }
  live_generation_[id.slot].store(0, std::memory_order_release);
  free_.push_back(id.slot);
  --live_;
  return std::move(conns_[id.slot]);
}

bool FlowTable::is_live(FlowId id) const {
  if (id.shard != shard_ || id.slot >= capacity_ || id.generation == 0) {
    return false;
  }
  return live_generation_[id.slot].load(std::memory_order_acquire) == id.generation;
}

std::vector<std::shared_ptr<Connection>> FlowTable::all() const {
  std::vector<std::shared_ptr<Connection>> out;
  out.reserve(live_);
  for (const auto& c : conns_) {
    if (c) {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace wimpu::transport::detail
