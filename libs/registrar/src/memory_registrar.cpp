#include "wimpu/registrar/memory_registrar.hpp"

#include <chrono>

#include "error_counters.hpp"
#include "memory_block_store.hpp"
#include "wimpu/common/assert.hpp"

namespace wimpu::registrar {
namespace {

const detail::ErrorCounters& errors() {
  static const detail::ErrorCounters counters("memory");
  return counters;
}

}  // namespace

MemoryRegistrar::MemoryRegistrar(BlockSetPtr blocks, common::ClockPtr clock,
                                 MemoryOptions options)
    : blocks_(std::move(blocks)), clock_(std::move(clock)) {
  WIMPU_RELEASE_ASSERT(blocks_ != nullptr && clock_ != nullptr);
  for (const auto& b : blocks_->blocks()) {
    stores_.push_back(std::make_unique<detail::MemoryBlockStore>(*b, errors()));
    if (options.preallocate_impus > 0) {
      stores_.back()->preallocate(options.preallocate_impus);
    }
  }
}

MemoryRegistrar::~MemoryRegistrar() = default;

detail::MemoryBlockStore* MemoryRegistrar::store(std::string_view block) const {
  const auto& bs = blocks_->blocks();
  for (std::size_t i = 0; i < bs.size(); ++i) {
    if (bs[i]->config.id == block) {
      return stores_[i].get();
    }
  }
  return nullptr;
}

namespace {

std::int64_t now_ms(const common::Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.wall_now().time_since_epoch())
      .count();
}

}  // namespace

W4Result<RegisterResult> MemoryRegistrar::register_now(const RegisterRequest& req) {
  RegisterResult out;
  if (auto r = register_now(req, out); !r) {
    return r.error();
  }
  return out;
}

W4Result<void> MemoryRegistrar::register_now(const RegisterRequest& req, RegisterResult& out) {
  if (auto v = validate(req); !v) {
    return errors().count(v.error());
  }
  auto* s = store(req.block);
  if (s == nullptr) {
    return errors().count(W4Error::kUnknownBlock);
  }
  return s->register_into(req, now_ms(*clock_), out);
}

std::optional<W4Result<void>> MemoryRegistrar::try_register_now(const RegisterRequest& req,
                                                                RegisterResult& out) {
  return register_now(req, out);
}

W4Result<RemoveResult> MemoryRegistrar::remove_contact_now(std::string_view impu,
                                                           const ContactKey& key) {
  if (auto v = validate(key); !v) {
    return errors().count(v.error());
  }
  const auto r = blocks_->resolve(impu);
  if (!r) {
    return errors().count(r.error());
  }
  return stores_[r->block->ordinal]->remove_contact(r->index, key, now_ms(*clock_));
}

W4Result<RemoveResult> MemoryRegistrar::remove_all_now(std::string_view impu,
                                                       const std::optional<CallIdGuard>& guard) {
  const auto r = blocks_->resolve(impu);
  if (!r) {
    return errors().count(r.error());
  }
  return stores_[r->block->ordinal]->remove_all(r->index, guard, now_ms(*clock_));
}

W4Result<std::uint32_t> MemoryRegistrar::remove_flow_now(std::string_view flow_token) {
  if (flow_token.empty() || flow_token.size() > kMaxFieldBytes) {
    return errors().count(W4Error::kInvalidArgument);
  }
  const std::int64_t now = now_ms(*clock_);
  std::uint32_t total = 0;
  for (const auto& s : stores_) {
    total += s->remove_flow(flow_token, now);
  }
  return total;
}

W4Result<Binding> MemoryRegistrar::lookup_now(std::string_view impu) {
  const auto r = blocks_->resolve(impu);
  if (!r) {
    return errors().count(r.error());
  }
  return stores_[r->block->ordinal]->lookup(r->index, now_ms(*clock_));
}

W4Result<void> MemoryRegistrar::lookup_now(std::string_view impu, Binding& out) {
  const auto r = blocks_->resolve(impu);
  if (!r) {
    return errors().count(r.error());
  }
  stores_[r->block->ordinal]->lookup_into(r->index, now_ms(*clock_), out);
  return {};
}

W4Result<bool> MemoryRegistrar::is_registered_now(std::string_view impu) {
  const auto r = blocks_->resolve(impu);
  if (!r) {
    return errors().count(r.error());
  }
  return stores_[r->block->ordinal]->is_registered(r->index, now_ms(*clock_));
}

W4Result<Binding> MemoryRegistrar::lookup_identity_now(std::string_view block,
                                                       const WebIdentity& identity) {
  auto* s = store(block);
  if (s == nullptr) {
    return errors().count(W4Error::kUnknownBlock);
  }
  return s->lookup_identity(identity.key(), now_ms(*clock_));
}

W4Result<BlockUsage> MemoryRegistrar::usage_now(std::string_view block) {
  auto* s = store(block);
  if (s == nullptr) {
    return errors().count(W4Error::kUnknownBlock);
  }
  return s->usage(now_ms(*clock_));
}

W4Result<ListPage> MemoryRegistrar::list_now(std::string_view block, std::uint64_t cursor,
                                             std::uint32_t limit) {
  auto* s = store(block);
  if (s == nullptr) {
    return errors().count(W4Error::kUnknownBlock);
  }
  if (limit == 0) {
    return errors().count(W4Error::kInvalidArgument);
  }
  return s->list(cursor, std::min(limit, kMaxListLimit), now_ms(*clock_));
}

std::size_t MemoryRegistrar::sweep_now(std::size_t max_slots) {
  std::size_t dropped = 0;
  for (const auto& s : stores_) {
    dropped += s->sweep(max_slots, now_ms(*clock_));
  }
  return dropped;
}

// The W4 coroutines complete without suspending: the caller resumes at once on its own shard.
W4Task<RegisterResult> MemoryRegistrar::register_contacts(RegisterRequest req) {
  co_return register_now(req);
}
W4Task<RemoveResult> MemoryRegistrar::remove_contact(std::string impu, ContactKey key) {
  co_return remove_contact_now(impu, key);
}
W4Task<RemoveResult> MemoryRegistrar::remove_all(std::string impu,
                                                 std::optional<CallIdGuard> guard) {
  co_return remove_all_now(impu, guard);
}
W4Task<std::uint32_t> MemoryRegistrar::remove_flow(std::string flow_token) {
  co_return remove_flow_now(flow_token);
}
W4Task<Binding> MemoryRegistrar::lookup(std::string impu) {
  co_return lookup_now(impu);
}
W4Task<Binding> MemoryRegistrar::lookup_reusing(std::string impu, Binding reuse) {
  auto r = lookup_now(impu, reuse);
  if (!r) {
    co_return r.error();
  }
  co_return std::move(reuse);
}
W4Task<bool> MemoryRegistrar::is_registered(std::string impu) {
  co_return is_registered_now(impu);
}
W4Task<Binding> MemoryRegistrar::lookup_identity(std::string block, WebIdentity identity) {
  co_return lookup_identity_now(block, identity);
}
W4Task<BlockUsage> MemoryRegistrar::usage(std::string block) {
  co_return usage_now(block);
}
W4Task<ListPage> MemoryRegistrar::list(std::string block, std::uint64_t cursor,
                                       std::uint32_t limit) {
  co_return list_now(block, cursor, limit);
}
W4Task<void> MemoryRegistrar::ping() {
  co_return W4Result<void>();
}

}  // namespace wimpu::registrar
