#pragma once
// An open-addressing hash index from a string key to 32-bit IMPU indices, storing no key: the
// key lives once, in the IMPU's slot (owner identity, contact flow token), and a probe confirms a
// candidate by reading it there. 8 bytes per entry at <= 70% load, against ~60-90 bytes for an
// std::unordered_map node with its own std::string key. Duplicate keys are allowed (the flow
// index maps one flow token to every IMPU with a contact on it). Not thread-safe: the block lock
// guards it.
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "huge_pages.hpp"

namespace wimpu::registrar::detail {

class IndexTable {
public:
  static std::uint32_t hash(std::string_view key) {
    const std::uint64_t h = std::hash<std::string_view>{}(key);
    return static_cast<std::uint32_t>(h ^ (h >> 32));
  }

  /// Calls `fn(index)` for every entry stored under `h` until it returns true; returns whether
  /// one did. `fn` must not modify the table.
  template <class Fn>
  bool find(std::uint32_t h, Fn&& fn) const {
    if (entries_.empty()) {
      return false;
    }
    const std::size_t mask = entries_.size() - 1;
    for (std::size_t pos = h & mask;; pos = (pos + 1) & mask) {
      const Entry& e = entries_[pos];
      if (e.index == kEmpty) {
        return false;
      }
      if (e.index != kTombstone && e.hash == h && fn(e.index)) {
        return true;
      }
    }
  }

  /// Adds (h, index). The caller ensures it is not present already.
  void insert(std::uint32_t h, std::uint32_t index) {
    if ((used_ + 1) * 10 > entries_.size() * 7) {
      rehash(live_ * 2 < entries_.size() ? entries_.size() : entries_.size() * 2);
    }
    place(h, index);
  }

  /// Removes the entry (h, index); returns whether it was there.
  bool erase(std::uint32_t h, std::uint32_t index) {
    if (entries_.empty()) {
      return false;
    }
    const std::size_t mask = entries_.size() - 1;
    for (std::size_t pos = h & mask;; pos = (pos + 1) & mask) {
      Entry& e = entries_[pos];
      if (e.index == kEmpty) {
        return false;
      }
      if (e.index == index && e.hash == h) {
        e.index = kTombstone;
        --live_;
        return true;
      }
    }
  }

  /// Sizes the table for `n` entries at once (no rehash until more are inserted).
  void reserve(std::size_t n) {
    std::size_t capacity = 16;
    while (capacity * 7 < n * 10) {
      capacity *= 2;
    }
    if (capacity > entries_.size()) {
      rehash(capacity);
    }
  }

  std::size_t size() const { return live_; }
  std::size_t memory_bytes() const { return entries_.capacity() * sizeof(Entry); }

private:
  struct Entry {
    std::uint32_t hash;
    std::uint32_t index;
  };
  static constexpr std::uint32_t kEmpty = 0xffffffff;
  static constexpr std::uint32_t kTombstone = 0xfffffffe;

  void place(std::uint32_t h, std::uint32_t index) {
    const std::size_t mask = entries_.size() - 1;
    std::size_t pos = h & mask;
    while (entries_[pos].index != kEmpty && entries_[pos].index != kTombstone) {
      pos = (pos + 1) & mask;
    }
    used_ += entries_[pos].index == kEmpty ? 1 : 0;
    entries_[pos] = Entry{h, index};
    ++live_;
  }

  // Rebuilds at `capacity` (a power of two), dropping tombstones.
  void rehash(std::size_t capacity) {
    capacity = capacity < 16 ? 16 : capacity;
    HugeVector<Entry> old(capacity, Entry{0, kEmpty});
    old.swap(entries_);
    used_ = 0;
    live_ = 0;
    for (const Entry& e : old) {
      if (e.index != kEmpty && e.index != kTombstone) {
        place(e.hash, e.index);
      }
    }
  }

  HugeVector<Entry> entries_;  ///< On huge pages once >= 1 MiB (huge_pages.hpp).
  std::size_t used_ = 0;  ///< Live entries plus tombstones.
  std::size_t live_ = 0;
};

}  // namespace wimpu::registrar::detail
