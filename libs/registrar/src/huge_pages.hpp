#pragma once
// Memory for the memory backend's large structures (the slot array, the index tables, the blobs)
// on transparent huge pages. A lookup of a random IMPU among 1,000,000 makes two dependent
// random loads (slot, then blob) into ~500 MiB; with 4 KiB pages each also misses the TLB, and
// in this KVM guest a TLB miss is a two-dimensional page walk that costs about as much as the
// DRAM access itself (perf: `dTLB-load-misses` ~= 2 per lookup). 2 MiB pages make the TLB cover
// the whole store. THP is "madvise" on Debian 12, so the regions are madvise(MADV_HUGEPAGE)d.
#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace wimpu::registrar::detail {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;

/// `bytes` (a multiple of kHugePage) aligned on a huge page, advised for THP. Throws
/// std::bad_alloc like operator new (the memory backend treats OOM as fatal, as before).
inline void* huge_alloc(std::size_t bytes) {
  void* p = std::aligned_alloc(kHugePage, bytes);
  if (p == nullptr) {
    throw std::bad_alloc();
  }
  ::madvise(p, bytes, MADV_HUGEPAGE);  // advisory: a refusal only costs speed
  return p;
}

/// std::allocator for containers that grow large (the slot vector, index tables): requests of
/// 1 MiB or more go to huge_alloc() rounded up to whole huge pages, smaller ones to operator new.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}  // NOLINT: allocator rebind

  static constexpr std::size_t kThreshold = std::size_t{1} << 20;
  static std::size_t rounded(std::size_t bytes) {
    return (bytes + kHugePage - 1) / kHugePage * kHugePage;
  }
  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= kThreshold) {
      return static_cast<T*>(huge_alloc(rounded(bytes)));
    }
    return static_cast<T*>(::operator new(bytes));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) >= kThreshold) {
      std::free(p);
    } else {
      ::operator delete(p);
    }
  }
  friend bool operator==(const HugePageAllocator&, const HugePageAllocator&) { return true; }
};

template <class T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

/// A size-class allocator for blobs, carved from 2 MiB huge-page chunks: 16-byte classes up to
/// kMaxClassBytes, each with an intrusive free list; bigger blobs use operator new. No per-block
/// header (malloc's costs 8-16 bytes per blob), so it also saves memory. Chunks are returned to
/// the system only when the arena dies (a block's peak usage stays reserved, as with malloc's
/// arenas in practice). Not thread-safe: the block lock guards it.
class BlobArena {
public:
  static constexpr std::size_t kGrain = 16;
  static constexpr std::size_t kMaxClassBytes = 4096;

  BlobArena() = default;
  BlobArena(const BlobArena&) = delete;
  BlobArena& operator=(const BlobArena&) = delete;
  ~BlobArena() {
    for (void* c : chunks_) {
      std::free(c);
    }
  }

  /// At least `bytes` bytes, 16-byte aligned.
  char* allocate(std::size_t bytes) {
    if (bytes > kMaxClassBytes) {
      return static_cast<char*>(::operator new(bytes));
    }
    const std::size_t cls = (bytes + kGrain - 1) / kGrain;
    if (free_[cls] != nullptr) {
      FreeNode* n = free_[cls];
      free_[cls] = n->next;
      n->~FreeNode();
      return reinterpret_cast<char*>(n);
    }
    const std::size_t size = cls * kGrain;
    if (bump_left_ < size) {
      // The chunk's tail (< 4 KiB) is given to the free lists of the classes it fits.
      while (bump_left_ >= kGrain) {
        const std::size_t tail_cls = std::min(bump_left_, kMaxClassBytes) / kGrain;
        release_to(bump_, tail_cls);
        bump_ += tail_cls * kGrain;
        bump_left_ -= tail_cls * kGrain;
      }
      bump_ = static_cast<char*>(huge_alloc(kHugePage));
      chunks_.push_back(bump_);
      bump_left_ = kHugePage;
    }
    char* p = bump_;
    bump_ += size;
    bump_left_ -= size;
    return p;
  }

  /// Returns a block from allocate(bytes) (same `bytes`).
  void deallocate(char* p, std::size_t bytes) noexcept {
    if (p == nullptr) {
      return;
    }
    if (bytes > kMaxClassBytes) {
      ::operator delete(p);
      return;
    }
    release_to(p, (bytes + kGrain - 1) / kGrain);
  }

private:
  struct FreeNode {
    FreeNode* next;
  };
  void release_to(char* p, std::size_t cls) noexcept {
    free_[cls] = new (p) FreeNode{free_[cls]};
  }

  FreeNode* free_[kMaxClassBytes / kGrain + 1] = {};
  char* bump_ = nullptr;
  std::size_t bump_left_ = 0;
  std::vector<void*> chunks_;
};

}  // namespace wimpu::registrar::detail
