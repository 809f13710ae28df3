#pragma once
// Memory for the memory backend's large structures (the slots, the index tables, the blobs) on
// transparent huge pages. A lookup of a random IMPU among 1,000,000 makes a random load into
// ~450 MiB of slots; with 4 KiB pages it also misses the TLB, and in this KVM guest a TLB miss is
// a two-dimensional page walk that costs about as much as the DRAM access itself. 2 MiB pages
// make the TLB cover the whole store. THP is "madvise" on Debian 12, so the regions are madvise(MADV_HUGEPAGE)d.
#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <type_traits>
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

/// A growable array whose elements never move: kHugePage chunks of kPerChunk elements, allocated
/// as the array grows (a 1,000,000-slot block costs no reallocation copies, and an element's
/// address stays valid). Element i is chunk i / kPerChunk (a multiply by a constant), so access
/// costs one load from the small, cache-resident chunk table. Elements whose size divides 64 or
/// is a multiple of 64 keep the chunk's 64-byte alignment. Not thread-safe.
template <class T>
class ChunkedArray {
public:
  static_assert(std::is_trivially_destructible_v<T>, "elements are not destroyed one by one");
  static constexpr std::size_t kPerChunk = kHugePage / sizeof(T);

  ChunkedArray() = default;
  ChunkedArray(const ChunkedArray&) = delete;
  ChunkedArray& operator=(const ChunkedArray&) = delete;
  ~ChunkedArray() {
    for (T* c : chunks_) {
      std::free(c);
    }
  }

  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return chunks_[i / kPerChunk][i % kPerChunk]; }
  const T& operator[](std::size_t i) const { return chunks_[i / kPerChunk][i % kPerChunk]; }

  /// Appends a value-initialised element and returns it.
  T& emplace_back() {
    if (size_ == chunks_.size() * kPerChunk) {
      chunks_.push_back(static_cast<T*>(huge_alloc(kHugePage)));
    }
    T* p = &chunks_[size_ / kPerChunk][size_ % kPerChunk];
    ++size_;
    return *new (p) T();
  }

  /// Allocates the chunks for `n` elements now and touches every page of them, so that growing
  /// to `n` later takes no page fault (the fault, not the zeroing, is what costs: in a KVM guest
  /// the first touch of a page also faults on the host). Elements are still created by
  /// emplace_back(); size() is unchanged.
  void reserve(std::size_t n) {
    while (chunks_.size() * kPerChunk < n) {
      void* raw = huge_alloc(kHugePage);
      chunks_.push_back(static_cast<T*>(raw));
      char* c = static_cast<char*>(raw);
      for (std::size_t off = 0; off < kHugePage; off += 4096) {
        // A volatile store: the compiler may not drop it as a write of what is already there.
        *static_cast<volatile char*>(c + off) = 0;
      }
    }
  }

  /// Bytes reserved (whole chunks).
  std::size_t memory_bytes() const { return chunks_.size() * kHugePage; }

private:
  std::vector<T*> chunks_;
  std::size_t size_ = 0;
};

}  // namespace wimpu::registrar::detail
