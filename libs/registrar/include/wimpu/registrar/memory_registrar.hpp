#pragma once
// The `memory` W4 backend: the embedded default when every function runs in one process.
//
// Concurrency choice: one short std::mutex per block rather than an owner thread. Every
// operation touches one block, holds its lock for a bounded, allocation-light critical section
// (a hash probe and a handful of contacts: well under a microsecond), and completes inline on the
// caller's shard. An owner thread would add two cross-thread hops (~10 µs with wake-ups) to every
// REGISTER and lookup, and would itself be a single-core bottleneck; the lock is uncontended in
// the common case and never held across I/O or a suspension. Work proportional to the block size
// (usage()) is done in chunks that release the lock between them.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "wimpu/common/clock.hpp"
#include "wimpu/registrar/w4.hpp"

namespace wimpu::registrar {

namespace detail {
class MemoryBlockStore;
}

/// Start-up sizing of the memory backend (configuration, not behaviour: every figure stays the same
/// without it, only slower while the store grows).
struct MemoryOptions {
  /// IMPU slots (448 bytes each, plus ~12 bytes of flow index) allocated and touched at
  /// construction, per block (capped at the block's size). A slot's memory is otherwise
  /// first touched by the REGISTER that allocates the IMPU: a page fault that zeroes a 2 MiB huge
  /// page every ~4,700 new IMPUs, ~2.6 us per initial REGISTER in the bench's KVM guest (issue 8
  /// figure 1, bench/RESULTS.md). 0: grow on demand.
  std::uint64_t preallocate_impus = 0;
};

/// In-process registrar. Thread-safe: every method may be called from any shard concurrently.
/// Time comes from the injected clock (`Clock::wall_now()`, ms since the Unix epoch), so tests
/// drive expiry and quarantine with a FakeClock.
class MemoryRegistrar final : public W4 {
public:
  /// `blocks` and `clock` are shared and must not be null. With `options.preallocate_impus`, the
  /// constructor allocates and touches that memory before returning (seconds for millions of
  /// IMPUs: call it at start-up, not on a shard's data path).
  MemoryRegistrar(BlockSetPtr blocks, common::ClockPtr clock, MemoryOptions options = {});
  ~MemoryRegistrar() override;
  MemoryRegistrar(const MemoryRegistrar&) = delete;
  MemoryRegistrar& operator=(const MemoryRegistrar&) = delete;

  // W4: each coroutine completes inline (no suspension) with the *_now() result.
  const BlockSet& blocks() const override { return *blocks_; }
  W4Task<RegisterResult> register_contacts(RegisterRequest req) override;
  /// Always answers (never nullopt): register_now(req, out).
  std::optional<W4Result<void>> try_register_now(const RegisterRequest& req,
                                                 RegisterResult& out) override;
  W4Task<RemoveResult> remove_contact(std::string impu, ContactKey key) override;
  W4Task<RemoveResult> remove_all(std::string impu, std::optional<CallIdGuard> guard) override;
  W4Task<std::uint32_t> remove_flow(std::string flow_token) override;
  W4Task<Binding> lookup(std::string impu) override;
  W4Task<Binding> lookup_reusing(std::string impu, Binding reuse) override;
  W4Task<bool> is_registered(std::string impu) override;
  W4Task<Binding> lookup_identity(std::string block, WebIdentity identity) override;
  W4Task<BlockUsage> usage(std::string block) override;
  W4Task<ListPage> list(std::string block, std::uint64_t cursor, std::uint32_t limit) override;
  W4Task<void> ping() override;

  // Synchronous forms, same contracts as the W4 methods above (for benchmarks and for callers
  // outside a coroutine). Thread-safe.
  /// See W4::register_contacts().
  W4Result<RegisterResult> register_now(const RegisterRequest& req);
  /// See W4::try_register_now(): the result written into `out`, reusing its strings and vectors
  /// (no allocation once they are warm). On error `out` is unspecified.
  W4Result<void> register_now(const RegisterRequest& req, RegisterResult& out);
  /// See W4::remove_contact().
  W4Result<RemoveResult> remove_contact_now(std::string_view impu, const ContactKey& key);
  /// See W4::remove_all().
  W4Result<RemoveResult> remove_all_now(std::string_view impu,
                                        const std::optional<CallIdGuard>& guard);
  /// See W4::remove_flow().
  W4Result<std::uint32_t> remove_flow_now(std::string_view flow_token);
  /// See W4::lookup().
  W4Result<Binding> lookup_now(std::string_view impu);
  /// See W4::lookup_reusing(): writes the binding into `out`, reusing its strings and vectors
  /// (no allocation once they are warm). On error `out` is unspecified.
  W4Result<void> lookup_now(std::string_view impu, Binding& out);
  /// See W4::is_registered().
  W4Result<bool> is_registered_now(std::string_view impu);
  /// See W4::lookup_identity().
  W4Result<Binding> lookup_identity_now(std::string_view block, const WebIdentity& identity);
  /// See W4::usage().
  W4Result<BlockUsage> usage_now(std::string_view block);
  /// See W4::list().
  W4Result<ListPage> list_now(std::string_view block, std::uint64_t cursor, std::uint32_t limit);

  /// Memory hygiene, not correctness: drops expired contacts of up to `max_slots` IMPUs per block,
  /// resuming where the previous call stopped. Meant for a periodic timer on the main thread.
  /// Returns the number of contacts dropped.
  std::size_t sweep_now(std::size_t max_slots);

private:
  detail::MemoryBlockStore* store(std::string_view block) const;

  BlockSetPtr blocks_;
  common::ClockPtr clock_;
  std::vector<std::unique_ptr<detail::MemoryBlockStore>> stores_;  ///< Same order as blocks.
};

}  // namespace wimpu::registrar
