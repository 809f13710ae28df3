#include "memory_block_store.hpp"

#include <algorithm>
#include <functional>
#include <variant>

namespace wimpu::registrar::detail {
namespace {

constexpr std::size_t kUsageChunk = 4096;  // slots counted per lock hold in usage()

bool same_key(const ContactInfo& a, const ContactInfo& b) {
  const bool ao = a.reg_id != 0 && !a.instance.empty();
  const bool bo = b.reg_id != 0 && !b.instance.empty();
  if (ao != bo) {
    return false;
  }
  return ao ? a.reg_id == b.reg_id && a.instance == b.instance : a.uri == b.uri;
}

}  // namespace

MemoryBlockStore::MemoryBlockStore(const Block& block, const ErrorCounters& errors)
    : block_(block), errors_(errors) {}

ImpuState MemoryBlockStore::state(const Slot& s, std::int64_t now) const {
  if (s.free_at > now + quarantine_ms()) {
    return ImpuState::kRegistered;
  }
  return s.free_at > now ? ImpuState::kQuarantined : ImpuState::kFree;
}

Binding MemoryBlockStore::binding(std::uint32_t index, const Slot& s, std::int64_t now) const {
  Binding b;
  b.block = block_.config.id;
  b.impu = block_.render(index);
  b.aliases = block_.aliases(index);
  b.state = state(s, now);
  b.now_ms = now;
  if (b.state != ImpuState::kFree) {
    b.owner = WebIdentity::from_key(s.owner);
  }
  for (const auto& c : s.contacts) {
    if (c.live(now)) {
      b.contacts.push_back(c.view(now));
    }
  }
  return b;
}

std::uint32_t MemoryBlockStore::find_identity(std::string_view key) const {
  std::uint32_t found = kNone;
  identities_.find(IndexTable::hash(key), [&](std::uint32_t i) {
    if (slots_[i].owner == key) {
      found = i;
      return true;
    }
    return false;
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

void MemoryBlockStore::take_over(std::uint32_t index, const std::string& identity_key) {
  Slot& s = slots_[index];
  if (!s.owner.empty()) {
    identities_.erase(IndexTable::hash(s.owner), index);
  }
  while (!s.contacts.empty()) {
    erase_contact(index, s.contacts.size() - 1);
  }
  s.owner = identity_key;
  identities_.insert(IndexTable::hash(identity_key), index);
}

void MemoryBlockStore::erase_contact(std::uint32_t index, std::size_t pos) {
  auto& contacts = slots_[index].contacts;
  const ContactRecord old = std::move(contacts[pos]);
  contacts.erase(contacts.begin() + static_cast<std::ptrdiff_t>(pos));
  const std::string_view flow = old.flow();
  if (!flow.empty() && std::none_of(contacts.begin(), contacts.end(),
                                    [&](const ContactRecord& c) { return c.flow() == flow; })) {
    flows_.erase(IndexTable::hash(flow), index);
  }
}

void MemoryBlockStore::add_flow_ref(std::uint32_t index, std::string_view flow) {
  const auto& contacts = slots_[index].contacts;
  if (!flow.empty() && std::count_if(contacts.begin(), contacts.end(), [&](const ContactRecord& c) {
                         return c.flow() == flow;
                       }) == 1) {
    flows_.insert(IndexTable::hash(flow), index);
  }
}

void MemoryBlockStore::drop_expired(std::uint32_t index, std::int64_t now) {
  auto& contacts = slots_[index].contacts;
  for (std::size_t i = contacts.size(); i-- > 0;) {
    if (!contacts[i].live(now)) {
      erase_contact(index, i);
    }
  }
}

void MemoryBlockStore::settle(std::uint32_t index, std::int64_t now, bool released_or_new) {
  Slot& s = slots_[index];
  if (!s.contacts.empty()) {
    std::int64_t latest = INT64_MIN;
    for (const auto& c : s.contacts) {
      latest = std::max(latest, c.expires_at_ms);
    }
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
  const std::string id = req.identity.key();
  const bool adds = std::any_of(req.contacts.begin(), req.contacts.end(),
                                [](const ContactUpdate& u) { return u.expires_s != 0; });
  std::lock_guard lock(mu_);
  std::uint32_t index = find_identity(id);
  if (index == kNone && !adds) {
    return errors_.count(W4Error::kNotFound);
  }

  // Check against the state before the request (RFC 3261 §10.3 step 7), then simulate the key
  // set to enforce max_contacts: nothing is written unless the whole request succeeds.
  using Key = std::variant<const ContactRecord*, const ContactInfo*>;
  std::vector<Key> keys;
  if (index != kNone) {
    for (const auto& c : slots_[index].contacts) {
      if (!c.live(now)) {
        continue;
      }
      for (const auto& u : req.contacts) {
        if (c.matches(u.contact) && c.call_id() == u.contact.call_id && u.contact.cseq <= c.cseq) {
          return errors_.count(W4Error::kOutOfOrder);
        }
      }
      keys.emplace_back(&c);
    }
  }
  for (const auto& u : req.contacts) {
    const auto it = std::find_if(keys.begin(), keys.end(), [&](const Key& k) {
      return std::holds_alternative<const ContactRecord*>(k)
                 ? std::get<const ContactRecord*>(k)->matches(u.contact)
                 : same_key(*std::get<const ContactInfo*>(k), u.contact);
    });
    if (u.expires_s == 0) {
      if (it != keys.end()) {
        keys.erase(it);
      }
    } else if (it == keys.end()) {
      keys.emplace_back(&u.contact);
    }
  }
  if (keys.size() > block_.config.max_contacts) {
    return errors_.count(W4Error::kTooManyContacts);
  }

  bool newly = false;
  if (index == kNone) {
    index = pick_free(now);
    if (index == kNone) {
      return errors_.count(W4Error::kPoolExhausted);
    }
    take_over(index, id);
    newly = true;
  }

  drop_expired(index, now);
  Slot& s = slots_[index];
  std::uint32_t removed = 0;
  for (const auto& u : req.contacts) {
    const auto it = std::find_if(s.contacts.begin(), s.contacts.end(),
                                 [&](const ContactRecord& c) { return c.matches(u.contact); });
    if (u.expires_s == 0) {
      if (it != s.contacts.end()) {
        erase_contact(index, static_cast<std::size_t>(it - s.contacts.begin()));
        ++removed;
      }
      continue;
    }
    const std::int64_t expires_at = now + static_cast<std::int64_t>(u.expires_s) * 1000;
    if (it == s.contacts.end()) {
      s.contacts.emplace_back(u.contact, expires_at, now, now);
      add_flow_ref(index, u.contact.flow_token);
      continue;
    }
    // Refresh in place, keeping the first registration time; a new flow moves the binding
    // (RFC 5626 §6: a re-registration on the same key MUST update the flow).
    const ContactRecord old = std::move(*it);
    *it = ContactRecord(u.contact, expires_at, old.registered_at_ms, now);
    if (old.flow() != u.contact.flow_token) {
      add_flow_ref(index, u.contact.flow_token);
      const std::string_view of = old.flow();
      if (!of.empty() && std::none_of(s.contacts.begin(), s.contacts.end(),
                                      [&](const ContactRecord& c) { return c.flow() == of; })) {
        flows_.erase(IndexTable::hash(of), index);
      }
    }
  }
  settle(index, now, removed > 0 || newly);

  RegisterResult r;
  r.impu = block_.render(index);
  r.aliases = block_.aliases(index);
  r.newly_allocated = newly;
  r.now_ms = now;
  r.contacts.reserve(s.contacts.size());
  for (const auto& c : s.contacts) {
    r.contacts.push_back(c.view(now));
  }
  return r;
}

W4Result<RemoveResult> MemoryBlockStore::remove_contact(std::uint64_t index, const ContactKey& key,
                                                        std::int64_t now) {
  std::lock_guard lock(mu_);
  RemoveResult r;
  if (index >= slots_.size()) {
    return r;
  }
  const auto i = static_cast<std::uint32_t>(index);
  auto& contacts = slots_[i].contacts;
  const auto live_match = [&](const ContactRecord& c) { return c.live(now) && c.matches(key); };
  if (std::none_of(contacts.begin(), contacts.end(), live_match)) {
    r.remaining = static_cast<std::uint32_t>(
        std::count_if(contacts.begin(), contacts.end(),
                      [&](const ContactRecord& c) { return c.live(now); }));
    return r;
  }
  drop_expired(i, now);
  const auto it = std::find_if(contacts.begin(), contacts.end(), live_match);
  erase_contact(i, static_cast<std::size_t>(it - contacts.begin()));
  r.removed = 1;
  r.remaining = static_cast<std::uint32_t>(contacts.size());
  r.released = contacts.empty();
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
  auto& contacts = slots_[i].contacts;
  for (const auto& c : contacts) {
    if (!c.live(now)) {
      continue;
    }
    if (guard && c.call_id() == guard->call_id && c.cseq >= guard->cseq) {
      return errors_.count(W4Error::kOutOfOrder);
    }
    ++r.removed;
  }
  if (r.removed == 0) {
    return r;
  }
  while (!contacts.empty()) {
    erase_contact(i, contacts.size() - 1);
  }
  r.released = true;
  settle(i, now, true);
  return r;
}

std::uint32_t MemoryBlockStore::remove_flow(std::string_view flow, std::int64_t now) {
  std::lock_guard lock(mu_);
  std::vector<std::uint32_t> indices;
  flows_.find(IndexTable::hash(flow), [&](std::uint32_t i) {
    const auto& cs = slots_[i].contacts;
    if (std::any_of(cs.begin(), cs.end(), [&](const ContactRecord& c) { return c.flow() == flow; })) {
      indices.push_back(i);
    }
    return false;  // visit every candidate
  });
  std::uint32_t total = 0;
  for (const std::uint32_t i : indices) {
    drop_expired(i, now);
    auto& cs = slots_[i].contacts;
    std::uint32_t removed = 0;
    for (std::size_t p = cs.size(); p-- > 0;) {
      if (cs[p].flow() == flow) {
        erase_contact(i, p);
        ++removed;
      }
    }
    if (removed > 0) {
      settle(i, now, true);
      total += removed;
    }
  }
  return total;
}

Binding MemoryBlockStore::lookup(std::uint64_t index, std::int64_t now) {
  std::lock_guard lock(mu_);
  if (index >= slots_.size()) {
    Binding b;
    b.block = block_.config.id;
    b.impu = block_.render(index);
    b.aliases = block_.aliases(index);
    b.now_ms = now;
    return b;
  }
  return binding(static_cast<std::uint32_t>(index), slots_[index], now);
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
    const std::size_t before = slots_[i].contacts.size();
    drop_expired(i, now);
    dropped += before - slots_[i].contacts.size();
  }
  return dropped;
}

}  // namespace wimpu::registrar::detail
