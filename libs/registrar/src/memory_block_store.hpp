#pragma once
// One block's state in the memory backend, behind one short mutex (see memory_registrar.hpp for
// why a lock and not an owner thread). The algorithms mirror the Redis functions in lua/w4.lua
// line for line, so both backends behave identically; the conformance suite checks that.
//
// State per IMPU index ("slot"), for indices below `next fresh` (never-used ones have no slot):
//   blob     owner (the web identity key holding it, kept through quarantine, replaced on
//            reclaim) and contacts, possibly including expired ones (dropped at the slot's next
//            write or sweep), encoded in one block (slot_blob.hpp), inside the slot when it fits;
//   free_at  the instant another identity may take it: (latest live expiry, or the instant the
//            last contact was removed) + quarantine. Registered iff free_at > now + quarantine,
//            quarantined iff now < free_at <= now + quarantine, reclaimable iff free_at <= now.
//            This one number makes expiry lazy: nothing has to run when a contact expires.
// Allocation takes never-used indices first, then a reclaimable index found through a min-heap
// keyed by a lower bound of free_at: a refresh (which only moves free_at later) costs no heap
// work; a stale top entry is fixed up when allocation meets it. O(log n).
#include <cstdint>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "error_counters.hpp"
#include "flow_index.hpp"
#include "index_table.hpp"
#include "slot_blob.hpp"
#include "wimpu/registrar/block.hpp"

namespace wimpu::registrar::detail {

class MemoryBlockStore {
public:
  MemoryBlockStore(const Block& block, const ErrorCounters& errors);
  ~MemoryBlockStore();
  MemoryBlockStore(const MemoryBlockStore&) = delete;
  MemoryBlockStore& operator=(const MemoryBlockStore&) = delete;

  /// Allocates and touches the memory of min(n, block size) IMPUs: slots, flow index, heap
  /// (MemoryOptions::preallocate_impus). Start-up only.
  void preallocate(std::uint64_t n);
  /// Bytes of slot memory reserved (whole huge-page chunks).
  std::size_t slot_memory_bytes() const { return slots_.memory_bytes(); }

  W4Result<RegisterResult> register_contacts(const RegisterRequest& req, std::int64_t now);
  /// register_contacts() into `out`, reusing its strings and vectors: a refresh of a binding
  /// allocates nothing once `out` and the store's scratch lists are warm. On error `out` is
  /// unspecified.
  W4Result<void> register_into(const RegisterRequest& req, std::int64_t now, RegisterResult& out);
  W4Result<RemoveResult> remove_contact(std::uint64_t index, const ContactKey& key,
                                        std::int64_t now);
  W4Result<RemoveResult> remove_all(std::uint64_t index, const std::optional<CallIdGuard>& guard,
                                    std::int64_t now);
  std::uint32_t remove_flow(std::string_view flow, std::int64_t now);
  Binding lookup(std::uint64_t index, std::int64_t now);
  /// lookup() into `out`, reusing its strings and vectors (no allocation once they are warm).
  void lookup_into(std::uint64_t index, std::int64_t now, Binding& out);
  bool is_registered(std::uint64_t index, std::int64_t now);
  W4Result<Binding> lookup_identity(const std::string& identity_key, std::int64_t now);
  BlockUsage usage(std::int64_t now);
  ListPage list(std::uint64_t cursor, std::uint32_t limit, std::int64_t now);
  std::size_t sweep(std::size_t max_slots, std::int64_t now);

private:
  static constexpr std::int64_t kNoHeapKey = INT64_MIN;

  // One IMPU's state and, when it fits, its blob: 448 bytes = 7 cache lines, 64-byte aligned
  // (ChunkedArray on 2 MiB pages). A lookup fetches the 7 lines at once from the slot's address,
  // which the IMPU's index gives: one DRAM round trip for the whole binding, where a separate
  // blob cost a second, dependent one (bench/RESULTS.md). A JsSIP-style binding (one WebRTC
  // contact with instance, Path and flow token, ~300 bytes of strings, plus the owner and the
  // fixed fields) fits; bigger bindings (several contacts, long Path) go to the arena and cost
  // that second miss. An IMPU index is allocated once and then reused, so the inline space is
  // paid per IMPU ever allocated, not per contact.
  struct alignas(64) Slot {
    static constexpr std::size_t kBytes = 448;
    static constexpr std::size_t kInline = kBytes - 32;

    char* overflow = nullptr;  ///< The blob, from arena_, when blob_size > kInline; owned.
    std::int64_t free_at = 0;
    std::int64_t heap_key = kNoHeapKey;
    std::uint32_t blob_size = 0;  ///< 0: no blob yet.
    std::uint32_t reserved = 0;
    char inline_blob[kInline];  ///< The blob when blob_size <= kInline.

    const char* blob() const {
      return blob_size == 0 ? nullptr : blob_size <= kInline ? inline_blob : overflow;
    }
  };
  static_assert(sizeof(Slot) == Slot::kBytes && std::is_trivially_destructible_v<Slot>);
  struct HeapEntry {
    std::int64_t key;
    std::uint32_t index;
    bool operator>(const HeapEntry& o) const { return key > o.key; }
  };

  std::int64_t quarantine_ms() const { return block_.config.quarantine.count(); }
  ImpuState state(const Slot& s, std::int64_t now) const;
  Binding binding(std::uint32_t index, const Slot& s, std::int64_t now) const;
  void binding_into(std::uint64_t index, const Slot* s, std::int64_t now, Binding& b) const;
  // binding_into() without the block and IMPU strings (state, owner, contacts).
  void fill_stored(const Slot* s, std::int64_t now, Binding& b) const;
  std::uint32_t find_identity(std::string_view key) const;  // kNone if absent
  // Whether IMPU `index`'s stored blob has a contact (live or not) on `flow`.
  bool on_flow(std::uint32_t index, std::string_view flow) const;
  // Picks an index for a new owner (fresh first, then a reclaimable one); kNone if none.
  std::uint32_t pick_free(std::int64_t now);
  // The slot's live contacts, as drafts that copy them into a new blob.
  std::vector<ContactDraft> live(std::uint32_t index, std::int64_t now) const;
  // live() appended to `out` (register_into()'s reused list).
  void live_into(std::uint32_t index, std::int64_t now, std::vector<ContactDraft>& out) const;
  // Replaces the slot's blob, keeping the flow index in step; `owner` may view the old blob.
  void rewrite(std::uint32_t index, std::string_view owner,
               const std::vector<ContactDraft>& contacts);
  // A refresh that changes no stored byte but times and CSeq (the same contacts in the same order
  // with the same fields: a re-REGISTER on the same flow) patches them in the slot's blob and
  // returns true: no re-encoding and no flow index work. False (nothing done) otherwise.
  bool refresh_in_place(std::uint32_t index, const std::vector<ContactDraft>& contacts);
  // After rewrite() at `now`: recomputes free_at from the new blob and keeps the heap's bound.
  // Drafts must not be used after rewrite(): they point into the old blob.
  void settle(std::uint32_t index, std::int64_t now, bool released_or_new);
  void push_heap(std::uint32_t index, std::int64_t key);

  static constexpr std::uint32_t kNone = 0xffffffff;

  const Block& block_;
  const ErrorCounters& errors_;
  std::mutex mu_;
  BlobArena arena_;              ///< Blobs too big for their slot (declared before slots_).
  ChunkedArray<Slot> slots_;     ///< Index < slots_.size() == next fresh index.
  char scratch_[Slot::kInline];  ///< rewrite() builds an inline blob here first.
  IndexTable identities_;        ///< hash(owner) -> index.
  FlowIndex flows_;              ///< flow -> every index with a stored contact on it.
  std::vector<std::string_view> old_flows_;  ///< rewrite()'s scratch lists (under the lock).
  std::vector<std::string_view> new_flows_;
  std::string identity_key_;           ///< register_into()'s scratch (under the lock)
  std::vector<ContactDraft> drafts_;   ///< register_into()'s contact list (under the lock)
  std::vector<HeapEntry> heap_;  ///< Min-heap on key (lower bound of free_at).
  std::size_t sweep_cursor_ = 0;
};

}  // namespace wimpu::registrar::detail
