#include "memory_block_store.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>

namespace wimpu::registrar::detail {
namespace {

constexpr std::size_t kUsageChunk = 4096;  // slots counted per lock hold in usage()
constexpr std::uint64_t kPresizedIdentities = std::uint64_t{1} << 22;  // 32 MiB of index at most

}  // namespace

MemoryBlockStore::MemoryBlockStore(const Block& block, const ErrorCounters& errors)
    : block_(block), errors_(errors) {
  // The identity index holds at most one entry per IMPU: sized once, it never rehashes. A rehash
  // of a million entries would hold the block lock (every shard's W4 calls on the block) for tens
  // of milliseconds, and growing costs each entry two extra random writes (bench/RESULTS.md).
  // Capped, so that a huge block configured but barely used does not pin memory up front.
  identities_.reserve(std::min<std::uint64_t>(block_.size, kPresizedIdentities));
}

void MemoryBlockStore::preallocate(std::uint64_t n) {
  std::lock_guard lock(mu_);
  const auto slots = static_cast<std::size_t>(std::min<std::uint64_t>(n, block_.size));
  slots_.reserve(slots);
  flows_.reserve(slots);  // one flow per IMPU at most in the common case (one WIC per flow)
  heap_.reserve(slots);
}

MemoryBlockStore::~MemoryBlockStore() {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (s.blob_size > Slot::kInline) {
      arena_.deallocate(s.overflow, s.blob_size);  // the arena frees its chunks itself
    }
  }
}

ImpuState MemoryBlockStore::state(const Slot& s, std::int64_t now) const {
  if (s.free_at > now + quarantine_ms()) {
    return ImpuState::kRegistered;
  }
  return s.free_at > now ? ImpuState::kQuarantined : ImpuState::kFree;
}

Binding MemoryBlockStore::binding(std::uint32_t index, const Slot& s, std::int64_t now) const {
  Binding b;
  binding_into(index, &s, now, b);
  return b;
}

void MemoryBlockStore::binding_into(std::uint64_t index, const Slot* s, std::int64_t now,
                                    Binding& b) const {
  b.block.assign(block_.config.id);
  block_.render_into(index, b.impu, b.aliases);
  fill_stored(s, now, b);
}

void MemoryBlockStore::fill_stored(const Slot* s, std::int64_t now, Binding& b) const {
  b.state = s == nullptr ? ImpuState::kFree : state(*s, now);
  b.now_ms = now;
  const BlobView blob(s == nullptr ? nullptr : s->blob());
  if (b.state == ImpuState::kFree) {
    b.owner.reset();
  } else {
    // WebIdentity::key() form: decimal issuer length, ':', issuer, subject.
    const auto owner = blob.owner();
    const auto colon = owner.find(':');
    std::size_t len = 0;
    bool ok = colon != std::string_view::npos && colon > 0;
    if (ok) {
      const auto [p, ec] = std::from_chars(owner.data(), owner.data() + colon, len);
      ok = ec == std::errc() && p == owner.data() + colon && len <= owner.size() - colon - 1;
    }
    if (!ok) {
      b.owner = WebIdentity::from_key(owner);  // same outcome (nullopt) on a malformed key
    } else {
      if (!b.owner) {
        b.owner.emplace();
      }
      b.owner->issuer.assign(owner.substr(colon + 1, len));
      b.owner->subject.assign(owner.substr(colon + 1 + len));
    }
  }
  std::size_t n = 0;
  blob.for_each([&](const ContactRef& c) {
    if (c.live(now)) {
      if (n == b.contacts.size()) {
        b.contacts.emplace_back();
      }
      c.view_into(now, b.contacts[n++]);
    }
  });
  b.contacts.resize(n);
}

std::uint32_t MemoryBlockStore::find_identity(std::string_view key) const {
  std::uint32_t found = kNone;
  identities_.find(IndexTable::hash(key), [&](std::uint32_t i) {
    if (BlobView(slots_[i].blob()).owner() == key) {
      found = i;
      return true;
    }
    return false;
  });
  return found;
}

bool MemoryBlockStore::on_flow(std::uint32_t index, std::string_view flow) const {
  bool found = false;
  BlobView(slots_[index].blob()).for_each([&](const ContactRef& c) {
    found = found || c.field(kFlow) == flow;
  });
  return found;
}

std::uint32_t MemoryBlockStore::pick_free(std::int64_t now) {
  // Never-used IMPUs first: an IMPU is reused as late as possible, after its quarantine (G-13).
  if (slots_.size() < block_.size) {
    slots_.emplace_back();
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }
  while (!heap_.empty() && heap_.front().key <= now) {
    const HeapEntry top = heap_.front();
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
    heap_.pop_back();
    Slot& s = slots_[top.index];
    if (s.heap_key != top.key) {
      continue;  // superseded by a lower key pushed later
    }
    s.heap_key = kNoHeapKey;
    if (s.free_at <= now) {
      return top.index;
    }
    push_heap(top.index, s.free_at);  // refreshed since: the bound was stale
  }
  return kNone;
}

void MemoryBlockStore::push_heap(std::uint32_t index, std::int64_t key) {
  slots_[index].heap_key = key;
  heap_.push_back(HeapEntry{key, index});
  std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
  if (heap_.size() > 2 * slots_.size() + 64) {
    // Too many superseded entries: rebuild from the slots' current keys.
    heap_.clear();
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].heap_key != kNoHeapKey) {
        heap_.push_back(HeapEntry{slots_[i].heap_key, i});
      }
    }
    std::make_heap(heap_.begin(), heap_.end(), std::greater<>());
  }
}

std::vector<ContactDraft> MemoryBlockStore::live(std::uint32_t index, std::int64_t now) const {
  std::vector<ContactDraft> out;
  live_into(index, now, out);
  return out;
}

void MemoryBlockStore::live_into(std::uint32_t index, std::int64_t now,
                                 std::vector<ContactDraft>& out) const {
  BlobView(slots_[index].blob()).for_each([&](const ContactRef& c) {
    if (c.live(now)) {
      out.push_back(ContactDraft{c.data()});
    }
  });
}

void MemoryBlockStore::rewrite(std::uint32_t index, std::string_view owner,
                               const std::vector<ContactDraft>& contacts) {
  Slot& s = slots_[index];
  // The drafts and `owner` may point into the old blob, which may be the slot itself: build the
  // new blob apart (scratch_ or the arena), update the flow index while both exist, then move it.
  const std::size_t size = encoded_blob_size(owner, contacts);
  const bool fits = size <= Slot::kInline;
  char* blob = fits ? scratch_ : arena_.allocate(size);
  encode_blob_into(blob, size, owner, contacts);
  // Flow index: one entry per (flow, index) while some stored contact of the index is on it.
  // The two lists are members reused under the lock (no allocation per REGISTER once warm).
  auto& old_flows = old_flows_;
  auto& new_flows = new_flows_;
  old_flows.clear();
  new_flows.clear();
  BlobView(s.blob()).for_each([&](const ContactRef& c) {
    const auto f = c.field(kFlow);
    if (!f.empty() && std::find(old_flows.begin(), old_flows.end(), f) == old_flows.end()) {
      old_flows.push_back(f);
    }
  });
  BlobView(blob).for_each([&](const ContactRef& c) {
    const auto f = c.field(kFlow);
    if (!f.empty() && std::find(new_flows.begin(), new_flows.end(), f) == new_flows.end()) {
      new_flows.push_back(f);
    }
  });
  for (const auto f : old_flows) {
    if (std::find(new_flows.begin(), new_flows.end(), f) == new_flows.end()) {
      flows_.erase(IndexTable::hash(f), f, index);
    }
  }
  for (const auto f : new_flows) {
    if (std::find(old_flows.begin(), old_flows.end(), f) == old_flows.end()) {
      flows_.insert(IndexTable::hash(f), f, index, [&](std::uint32_t i) { return on_flow(i, f); });
    }
  }
  if (s.blob_size > Slot::kInline) {
    arena_.deallocate(s.overflow, s.blob_size);
  }
  if (fits) {
    std::memcpy(s.inline_blob, scratch_, size);
    s.overflow = nullptr;
  } else {
    s.overflow = blob;
  }
  s.blob_size = static_cast<std::uint32_t>(size);
}

bool MemoryBlockStore::refresh_in_place(std::uint32_t index,
                                        const std::vector<ContactDraft>& contacts) {
  Slot& s = slots_[index];
  const char* old = s.blob();
  const BlobView blob(old);
  if (old == nullptr || blob.count() != contacts.size()) {
    return false;  // a contact added, removed or expired (rewrite() drops the expired ones)
  }
  std::size_t i = 0;
  bool same = true;
  blob.for_each([&](const ContactRef& c) {
    const ContactDraft& d = contacts[i++];
    same = same && (d.existing == c.data() || (d.existing == nullptr && c.same_fields(*d.info)));
  });
  if (!same) {
    return false;
  }
  // The blob's own bytes, writable: the slot's inline space or its arena block.
  char* base = s.blob_size <= Slot::kInline ? s.inline_blob : s.overflow;
  i = 0;
  blob.for_each([&](const ContactRef& c) {
    const ContactDraft& d = contacts[i++];
    if (d.existing == nullptr) {
      ContactRef::store_times(base + (c.data() - old), d.expires_at, d.registered_at,
                              d.updated_at, d.info->cseq);
    }
  });
  return true;
}

void MemoryBlockStore::settle(std::uint32_t index, std::int64_t now, bool released_or_new) {
  // Reads the new blob: every contact in it is live (rewrite() kept only live ones).
  Slot& s = slots_[index];
  const BlobView blob(s.blob());
  if (blob.count() > 0) {
    std::int64_t latest = INT64_MIN;
    blob.for_each([&](const ContactRef& c) { latest = std::max(latest, c.expires_at()); });
    s.free_at = latest + quarantine_ms();
  } else if (released_or_new) {
    s.free_at = now + quarantine_ms();
  } else {
    return;
  }
  if (s.heap_key == kNoHeapKey || s.free_at < s.heap_key) {
    push_heap(index, s.free_at);
  }
}

W4Result<RegisterResult> MemoryBlockStore::register_contacts(const RegisterRequest& req,
                                                             std::int64_t now) {
  RegisterResult r;
  if (auto done = register_into(req, now, r); !done) {
    return done.error();
  }
  return r;
}

W4Result<void> MemoryBlockStore::register_into(const RegisterRequest& req, std::int64_t now,
                                               RegisterResult& out) {
  const bool adds = std::any_of(req.contacts.begin(), req.contacts.end(),
                                [](const ContactUpdate& u) { return u.expires_s != 0; });
  std::lock_guard lock(mu_);
  // The identity key and the contact list are members reused under the lock: a refresh of an
  // unchanged binding allocates nothing here (issue 8 figure 2).
  std::string& id = identity_key_;
  req.identity.key_into(id);
  std::uint32_t index = find_identity(id);
  if (index == kNone && !adds) {
    return errors_.count(W4Error::kNotFound);
  }
  std::vector<ContactDraft>& contacts = drafts_;
  contacts.clear();
  if (index != kNone) {
    live_into(index, now, contacts);
  }
  // RFC 3261 §10.3 step 7, against the stored state before the request.
  for (const auto& c : contacts) {
    const ContactRef ref(c.existing);
    for (const auto& u : req.contacts) {
      const auto& k = u.contact;
      if (ref.matches(k.uri, k.instance, k.reg_id) && ref.field(kCallId) == k.call_id &&
          k.cseq <= ref.cseq()) {
        return errors_.count(W4Error::kOutOfOrder);
      }
    }
  }
  // The contact list after the request; nothing is stored unless the whole request succeeds.
  std::uint32_t removed = 0;
  for (const auto& u : req.contacts) {
    const auto it = std::find_if(contacts.begin(), contacts.end(),
                                 [&](const ContactDraft& d) { return d.matches(u.contact); });
    if (u.expires_s == 0) {
      if (it != contacts.end()) {
        contacts.erase(it);
        ++removed;
      }
      continue;
    }
    ContactDraft d;
    d.info = &u.contact;
    d.expires_at = now + static_cast<std::int64_t>(u.expires_s) * 1000;
    d.updated_at = now;
    if (it == contacts.end()) {
      d.registered_at = now;
      contacts.push_back(d);
    } else {
      // Refresh in place, keeping the first registration time; a new flow moves the binding
      // (RFC 5626 §6: a re-registration on the same key MUST update the flow).
      d.registered_at = it->existing ? ContactRef(it->existing).registered_at() : it->registered_at;
      *it = d;
    }
  }
  if (contacts.size() > block_.config.max_contacts) {
    return errors_.count(W4Error::kTooManyContacts);
  }

  bool newly = false;
  if (index == kNone) {
    index = pick_free(now);
    if (index == kNone) {
      return errors_.count(W4Error::kPoolExhausted);
    }
    // Reclaimed from a previous owner, whose contacts have all expired (rewrite drops them).
    const auto previous = BlobView(slots_[index].blob()).owner();
    if (!previous.empty()) {
      identities_.erase(IndexTable::hash(previous), index);
    }
    identities_.insert(IndexTable::hash(id), index);
    newly = true;
    rewrite(index, id, contacts);
  } else if (!refresh_in_place(index, contacts)) {
    rewrite(index, BlobView(slots_[index].blob()).owner(), contacts);
  }
  settle(index, now, removed > 0 || newly);

  block_.render_into(index, out.impu, out.aliases);
  out.newly_allocated = newly;
  out.now_ms = now;
  std::size_t n = 0;
  BlobView(slots_[index].blob()).for_each([&](const ContactRef& c) {
    if (n == out.contacts.size()) {
      out.contacts.emplace_back();
    }
    c.view_into(now, out.contacts[n++]);
  });
  out.contacts.resize(n);
  return {};
}

W4Result<RemoveResult> MemoryBlockStore::remove_contact(std::uint64_t index, const ContactKey& key,
                                                        std::int64_t now) {
  std::lock_guard lock(mu_);
  RemoveResult r;
  if (index >= slots_.size()) {
    return r;
  }
  const auto i = static_cast<std::uint32_t>(index);
  auto contacts = live(i, now);
  const auto it = std::find_if(contacts.begin(), contacts.end(), [&](const ContactDraft& d) {
    return ContactRef(d.existing).matches(key.uri, key.instance, key.reg_id);
  });
  if (it == contacts.end()) {
    r.remaining = static_cast<std::uint32_t>(contacts.size());
    return r;
  }
  contacts.erase(it);
  r.removed = 1;
  r.remaining = static_cast<std::uint32_t>(contacts.size());
  r.released = contacts.empty();
  rewrite(i, BlobView(slots_[i].blob()).owner(), contacts);
  settle(i, now, true);
  return r;
}

W4Result<RemoveResult> MemoryBlockStore::remove_all(std::uint64_t index,
                                                    const std::optional<CallIdGuard>& guard,
                                                    std::int64_t now) {
  std::lock_guard lock(mu_);
  RemoveResult r;
  if (index >= slots_.size()) {
    return r;
  }
  const auto i = static_cast<std::uint32_t>(index);
  const auto contacts = live(i, now);
  for (const auto& c : contacts) {
    const ContactRef ref(c.existing);
    if (guard && ref.field(kCallId) == guard->call_id && ref.cseq() >= guard->cseq) {
      return errors_.count(W4Error::kOutOfOrder);
    }
  }
  if (contacts.empty()) {
    return r;
  }
  r.removed = static_cast<std::uint32_t>(contacts.size());
  r.released = true;
  rewrite(i, BlobView(slots_[i].blob()).owner(), {});
  settle(i, now, true);
  return r;
}

std::uint32_t MemoryBlockStore::remove_flow(std::string_view flow, std::int64_t now) {
  std::lock_guard lock(mu_);
  // Candidates in an order that makes each rewrite's flow-index erase O(1) (flow_index.hpp).
  std::vector<std::uint32_t> indices;
  flows_.find_all(IndexTable::hash(flow), flow, indices);
  std::erase_if(indices, [&](std::uint32_t i) { return !on_flow(i, flow); });
  std::uint32_t total = 0;
  for (const std::uint32_t i : indices) {
    auto contacts = live(i, now);
    const auto before = contacts.size();
    std::erase_if(contacts, [&](const ContactDraft& d) { return d.flow() == flow; });
    const auto removed = static_cast<std::uint32_t>(before - contacts.size());
    // Rewritten even if only expired contacts were on the flow: they leave the index too.
    rewrite(i, BlobView(slots_[i].blob()).owner(), contacts);
    if (removed > 0) {
      settle(i, now, true);
      total += removed;
    }
  }
  return total;
}

Binding MemoryBlockStore::lookup(std::uint64_t index, std::int64_t now) {
  Binding b;
  lookup_into(index, now, b);
  return b;
}

void MemoryBlockStore::lookup_into(std::uint64_t index, std::int64_t now, Binding& out) {
  std::lock_guard lock(mu_);
  const Slot* s = index < slots_.size() ? &slots_[index] : nullptr;
  if (s == nullptr) {
    binding_into(index, nullptr, now, out);
    return;
  }
  // The whole slot (state and, usually, the blob) at once: one DRAM round trip, overlapped with
  // rendering the IMPU strings, which need nothing stored.
  const char* lines = reinterpret_cast<const char*>(s);
  for (std::size_t off = 0; off < sizeof(Slot); off += 64) {
    __builtin_prefetch(lines + off);
  }
  out.block.assign(block_.config.id);
  block_.render_into(index, out.impu, out.aliases);
  if (s->blob_size > Slot::kInline) {
    // A blob too big for the slot: every line of it at once (one more miss, not one per line).
    const char* p = s->overflow;
    for (const char* line = p; line < p + s->blob_size; line += 64) {
      __builtin_prefetch(line);
    }
    __builtin_prefetch(p + s->blob_size - 1);
  }
  fill_stored(s, now, out);
}

bool MemoryBlockStore::is_registered(std::uint64_t index, std::int64_t now) {
  std::lock_guard lock(mu_);
  return index < slots_.size() && state(slots_[index], now) == ImpuState::kRegistered;
}

W4Result<Binding> MemoryBlockStore::lookup_identity(const std::string& identity_key,
                                                    std::int64_t now) {
  std::lock_guard lock(mu_);
  const std::uint32_t index = find_identity(identity_key);
  if (index == kNone || slots_[index].free_at <= now) {
    return errors_.count(W4Error::kNotFound);
  }
  return binding(index, slots_[index], now);
}

BlockUsage MemoryBlockStore::usage(std::int64_t now) {
  BlockUsage u;
  u.size = block_.size;
  for (std::size_t start = 0;; start += kUsageChunk) {
    std::lock_guard lock(mu_);
    const std::size_t end = std::min(start + kUsageChunk, slots_.size());
    if (start >= end) {
      break;
    }
    for (std::size_t i = start; i < end; ++i) {
      const ImpuState st = state(slots_[i], now);
      u.registered += st == ImpuState::kRegistered ? 1 : 0;
      u.quarantined += st == ImpuState::kQuarantined ? 1 : 0;
    }
  }
  u.free = u.size - u.registered - u.quarantined;
  return u;
}

ListPage MemoryBlockStore::list(std::uint64_t cursor, std::uint32_t limit, std::int64_t now) {
  std::lock_guard lock(mu_);
  ListPage page;
  const std::uint64_t end = std::min<std::uint64_t>(cursor + limit, slots_.size());
  for (std::uint64_t i = cursor; i < end; ++i) {
    if (state(slots_[i], now) != ImpuState::kFree) {
      page.entries.push_back(binding(static_cast<std::uint32_t>(i), slots_[i], now));
    }
  }
  page.next_cursor = cursor + limit < slots_.size() ? cursor + limit : 0;
  return page;
}

std::size_t MemoryBlockStore::sweep(std::size_t max_slots, std::int64_t now) {
  std::lock_guard lock(mu_);
  std::size_t dropped = 0;
  for (std::size_t n = 0; n < max_slots && n < slots_.size(); ++n) {
    const auto i = static_cast<std::uint32_t>(sweep_cursor_++ % slots_.size());
    const BlobView blob(slots_[i].blob());
    const auto contacts = live(i, now);
    if (contacts.size() != blob.count()) {
      dropped += blob.count() - contacts.size();
      rewrite(i, blob.owner(), contacts);
    }
  }
  return dropped;
}

}  // namespace wimpu::registrar::detail
