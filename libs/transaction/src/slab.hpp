#pragma once
// Objects addressed by (slot, generation): ids stay safe to hold after the object ended (the
// generation no longer matches), objects never move (unique_ptr per slot), and ended objects are
// kept for reuse so a warm shard allocates no transaction objects (their buffers are reused too).
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace wimpu::transaction::detail {

template <class T>
class Slab {
public:
  /// A new live object (reset() by the caller) and its (slot, generation).
  std::pair<T*, std::pair<std::uint32_t, std::uint32_t>> allocate() {
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    Slot& s = slots_[slot];
    if (!s.obj) {
      s.obj = std::make_unique<T>();
    }
    if (++s.gen == 0) {
      s.gen = 1;
    }
    s.live = true;
    ++live_;
    return {s.obj.get(), {slot, s.gen}};
  }

  T* get(std::uint32_t slot, std::uint32_t gen) const {
    if (slot >= slots_.size()) {
      return nullptr;
    }
    const Slot& s = slots_[slot];
    return (s.live && s.gen == gen) ? s.obj.get() : nullptr;
  }

  void release(std::uint32_t slot) {
    Slot& s = slots_[slot];
    if (!s.live) {
      return;
    }
    s.live = false;
    free_.push_back(slot);
    --live_;
  }

  std::size_t live() const { return live_; }

  template <class F>
  void for_each_live(F&& f) {
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].live) {
        f(i, *slots_[i].obj);
      }
    }
  }

private:
  struct Slot {
    std::unique_ptr<T> obj;
    std::uint32_t gen = 0;
    bool live = false;
  };
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::size_t live_ = 0;
};

}  // namespace wimpu::transaction::detail
