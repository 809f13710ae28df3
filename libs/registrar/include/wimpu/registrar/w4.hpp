#pragma once
// W4: the interface between the eP-CSCF / eI-CSCF and the wIMPU Registrar (seed TR §5.2.2.2
// Note 1 leaves it to us). One interface, two backends of identical behaviour: `memory`
// (memory_registrar.hpp) and `redis` (redis_registrar.hpp); docs/w4.md is the full contract.
//
// Calling convention. Every operation is a coroutine returning
// `boost::asio::awaitable<W4Result<T>>`, meant to be `co_await`ed from a shard's coroutine:
//
//     auto r = co_await w4.register_contacts(std::move(req));
//     if (!r) { ... r.error() ... }
//
// The coroutine always resumes on the caller's executor (its shard), whichever thread the
// backend used: the memory backend completes inline, without suspending; the redis backend sends
// the command on its connection's executor and posts the reply back. Nothing blocks the shard.
// Arguments are taken by value (STYLE.md: no references across a suspension point). Errors come
// back as values, never exceptions. After the co_await, re-check that the SIP transaction the
// call was made for still exists (STYLE.md, sprout's CANCEL race).
//
// Atomicity. Each operation is atomic on its block: readers never see half an update. Expired
// contacts are invisible to every reader from their expiry instant; no sweeper is involved.
#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "wimpu/registrar/block.hpp"
#include "wimpu/registrar/types.hpp"

namespace wimpu::registrar {

template <class T>
using W4Task = boost::asio::awaitable<W4Result<T>>;

/// The wIMPU Registrar. Implementations are safe to call concurrently from every shard.
class W4 {
public:
  virtual ~W4() = default;

  /// The configured blocks (immutable; safe from any thread).
  virtual const BlockSet& blocks() const = 0;

  /// REGISTER (G-01, G-02, G-04, G-06). If `req.identity` holds an IMPU in `req.block` (even in
  /// quarantine) it is reused, else a free IMPU is allocated (never-used ones first, then one
  /// whose quarantine is over; which one is unspecified). Each contact is added or refreshed
  /// under its key (ContactKey); `expires_s == 0` removes it. RFC 3261 §10.3 step 7: for an
  /// existing key with the same Call-ID, a CSeq not higher than the stored one fails the whole
  /// request. Removing the last contact starts the quarantine (G-13). Errors: kInvalidArgument,
  /// kUnknownBlock, kNotFound (only removals and no IMPU held), kOutOfOrder, kPoolExhausted,
  /// kTooManyContacts, kUnavailable, kBackend. On error nothing changed, except kUnavailable from
  /// redis, where the outcome is unknown.
  virtual W4Task<RegisterResult> register_contacts(RegisterRequest req) = 0;

  /// register_contacts() without a coroutine, when the backend can answer without waiting.
  /// Returns nullopt ("would block": nothing was done, call register_contacts() instead) or the
  /// outcome, with exactly register_contacts()'s contract, effects and errors; on success the
  /// result is written into `out`, reusing its strings and vectors (no allocation once they are
  /// warm), on error `out` is unspecified. The memory backend always answers; the default (and
  /// redis, whose every call is a round trip) always returns nullopt. Lets a caller that is not
  /// a coroutine (the eP-CSCF's REGISTER decision) skip co_spawn and the awaitable frames when
  /// nothing needs to wait. Threading: as register_contacts().
  virtual std::optional<W4Result<void>> try_register_now(const RegisterRequest& req,
                                                         RegisterResult& out);

  /// Removes the live contact of `impu` with key `key` (e.g. a kicked WIC). Removing nothing is
  /// not an error (removed == 0). Errors: kInvalidArgument, kUnknownImpu, kUnavailable, kBackend.
  virtual W4Task<RemoveResult> remove_contact(std::string impu, ContactKey key) = 0;

  /// Removes every live contact of `impu` (`Contact: *`, RFC 3261 §10.3 step 6). With `guard`,
  /// fails with kOutOfOrder and removes nothing if a contact has guard's Call-ID and a CSeq
  /// >= guard's. Errors: kUnknownImpu, kOutOfOrder, kUnavailable, kBackend.
  virtual W4Task<RemoveResult> remove_all(std::string impu, std::optional<CallIdGuard> guard) = 0;

  /// The flow `flow_token` died (RFC 5626 §7, G-08): removes every live contact registered on it,
  /// whatever its IMPU, in every block (atomic per block). Returns the number removed.
  /// Errors: kInvalidArgument (empty token), kUnavailable, kBackend.
  virtual W4Task<std::uint32_t> remove_flow(std::string flow_token) = 0;

  /// The IMPU's state, owner and live contacts (terminating requests, seed §5.2.2.3.2). A free
  /// IMPU is not an error (state kFree, no contacts). Errors: kUnknownImpu, kUnavailable, kBackend.
  virtual W4Task<Binding> lookup(std::string impu) = 0;

  /// lookup() that fills `reuse`, a Binding the caller got from an earlier lookup and hands back
  /// (moved in, moved out: no reference crosses the suspension). Same contract and errors as
  /// lookup(). Backends that can (memory) write into its strings and vectors in place, so a
  /// shard that keeps one Binding per hot path looks up without allocating once the buffers are
  /// warm; the others (redis) ignore `reuse` and return a fresh Binding. On error, `reuse` is
  /// lost (a new default Binding serves next time).
  virtual W4Task<Binding> lookup_reusing(std::string impu, Binding reuse);

  /// True iff `impu` has a live contact (eI-CSCF check, seed §5.2.2.3.3; originating check).
  /// Errors: kUnknownImpu, kUnavailable, kBackend.
  virtual W4Task<bool> is_registered(std::string impu) = 0;

  /// The IMPU `identity` holds in `block`, registered or in quarantine.
  /// Errors: kUnknownBlock, kNotFound (none, or its quarantine is over), kUnavailable, kBackend.
  virtual W4Task<Binding> lookup_identity(std::string block, WebIdentity identity) = 0;

  /// Counts of free, registered and quarantined IMPUs of `block`.
  /// Errors: kUnknownBlock, kUnavailable, kBackend.
  virtual W4Task<BlockUsage> usage(std::string block) = 0;

  /// Admin listing, SCAN style: examines the IMPUs with index in [cursor, cursor + limit) and
  /// returns those registered or in quarantine (the page may be short or empty); continue with
  /// next_cursor until it is 0. Start with cursor 0. `limit` is capped at kMaxListLimit.
  /// Errors: kUnknownBlock, kInvalidArgument (limit 0), kUnavailable, kBackend.
  virtual W4Task<ListPage> list(std::string block, std::uint64_t cursor, std::uint32_t limit) = 0;

  /// Health check: the backend is reachable and its W4 code loaded. Errors: kUnavailable.
  virtual W4Task<void> ping() = 0;
};

using W4Ptr = std::unique_ptr<W4>;

}  // namespace wimpu::registrar
