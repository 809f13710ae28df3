#pragma once
// One block's state in the memory backend, behind one short mutex (see memory_registrar.hpp for
// why a lock and not an owner thread). The algorithms mirror the Redis functions in lua/w4.lua
// line for line, so both backends behave identically; the conformance suite checks that.
//
// State per IMPU index ("slot"), for indices below `next_fresh_` (never-used ones have no slot):
//   owner    the web identity key holding it (kept through quarantine, replaced on reclaim);
//   free_at  the instant another identity may take it: (latest live expiry, or the instant the
//            last contact was removed) + quarantine. Registered iff free_at > now + quarantine,
//            quarantined iff now < free_at <= now + quarantine, reclaimable iff free_at <= now.
//            This one number makes expiry lazy: nothing has to run when a contact expires.
//   contacts possibly including expired ones, dropped at the slot's next write (or sweep).
// Allocation takes never-used indices first, then the reclaimable index with the oldest free_at,
// found through a min-heap keyed by a lower bound of free_at: a refresh (which only moves free_at
// later) costs no heap work; a stale top entry is fixed up when allocation meets it. O(log n).
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "contact_record.hpp"
#include "error_counters.hpp"
#include "index_table.hpp"
#include "wimpu/registrar/block.hpp"

namespace wimpu::registrar::detail {

class MemoryBlockStore {
public:
  MemoryBlockStore(const Block& block, const ErrorCounters& errors);

  W4Result<RegisterResult> register_contacts(const RegisterRequest& req, std::int64_t now);
  W4Result<RemoveResult> remove_contact(std::uint64_t index, const ContactKey& key, std::int64_t now);
  W4Result<RemoveResult> remove_all(std::uint64_t index, const std::optional<CallIdGuard>& guard,
                                    std::int64_t now);
  std::uint32_t remove_flow(std::string_view flow, std::int64_t now);
  Binding lookup(std::uint64_t index, std::int64_t now);
  bool is_registered(std::uint64_t index, std::int64_t now);
  W4Result<Binding> lookup_identity(const std::string& identity_key, std::int64_t now);
  BlockUsage usage(std::int64_t now);
  ListPage list(std::uint64_t cursor, std::uint32_t limit, std::int64_t now);
  std::size_t sweep(std::size_t max_slots, std::int64_t now);

private:
  static constexpr std::int64_t kNoHeapKey = INT64_MIN;

  struct Slot {
    std::string owner;
    std::int64_t free_at = 0;
    std::int64_t heap_key = kNoHeapKey;
    std::vector<ContactRecord> contacts;
  };
  struct HeapEntry {
    std::int64_t key;
    std::uint32_t index;
    bool operator>(const HeapEntry& o) const { return key > o.key; }
  };

  std::int64_t quarantine_ms() const { return block_.config.quarantine.count(); }
  ImpuState state(const Slot& s, std::int64_t now) const;
  Binding binding(std::uint32_t index, const Slot& s, std::int64_t now) const;
  std::uint32_t find_identity(std::string_view key) const;  // kNone if absent
  // Picks an index for a new owner (fresh first, then the oldest reclaimable); kNone if none.
  std::uint32_t pick_free(std::int64_t now);
  void take_over(std::uint32_t index, const std::string& identity_key);
  void erase_contact(std::uint32_t index, std::size_t pos);
  void add_flow_ref(std::uint32_t index, std::string_view flow);
  void drop_expired(std::uint32_t index, std::int64_t now);
  // After a write at `now`: recomputes free_at and keeps the heap's lower bound.
  void settle(std::uint32_t index, std::int64_t now, bool released_or_new);
  void push_heap(std::uint32_t index, std::int64_t key);

  static constexpr std::uint32_t kNone = 0xffffffff;

  const Block& block_;
  const ErrorCounters& errors_;
  std::mutex mu_;
  std::vector<Slot> slots_;      ///< Index < slots_.size() == next fresh index.
  IndexTable identities_;        ///< hash(owner) -> index.
  IndexTable flows_;             ///< hash(flow) -> index, one entry per (flow, index) stored.
  std::vector<HeapEntry> heap_;  ///< Min-heap on key (lower bound of free_at).
  std::size_t sweep_cursor_ = 0;
};

}  // namespace wimpu::registrar::detail
