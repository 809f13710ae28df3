#pragma once
// The memory backend stores each IMPU's owner and contacts in one encoded block ("blob"), inside
// the IMPU's slot when it fits (memory_block_store.hpp), so that a lookup reads one run of cache
// lines instead of chasing a vector, each contact's buffer and the owner string. Every write
// builds a new blob (an IMPU holds a handful of contacts, a few hundred bytes).
//
// Layout (host byte order, no alignment: read and written with memcpy):
//   u32 total bytes, u16 owner_len, u16 count, owner bytes,
//   count x { i64 expires_at, i64 registered_at, i64 updated_at, u32 cseq, u32 reg_id,
//             u16 len[8], the 8 fields' bytes (Path values joined by '\n') }
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "huge_pages.hpp"
#include "wimpu/registrar/types.hpp"

namespace wimpu::registrar::detail {

enum Field : std::uint8_t {
  kUri,
  kParams,
  kInstance,
  kCallId,
  kFlow,
  kEpcscf,
  kPath,
  kUa,
  kFieldCount
};

template <class T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

/// Remaining whole seconds, rounded up, as the 200 OK's `expires` parameter carries them.
inline std::uint32_t remaining_s(std::int64_t expires_at_ms, std::int64_t now_ms) {
  return expires_at_ms <= now_ms
             ? 0
             : static_cast<std::uint32_t>((expires_at_ms - now_ms + 999) / 1000);
}

/// One encoded contact inside a blob.
class ContactRef {
public:
  static constexpr std::size_t kFixed = 3 * 8 + 2 * 4 + kFieldCount * 2;  // 48 bytes

  explicit ContactRef(const char* p) : p_(p) {}

  std::int64_t expires_at() const { return load<std::int64_t>(p_); }
  std::int64_t registered_at() const { return load<std::int64_t>(p_ + 8); }
  std::int64_t updated_at() const { return load<std::int64_t>(p_ + 16); }
  std::uint32_t cseq() const { return load<std::uint32_t>(p_ + 24); }
  std::uint32_t reg_id() const { return load<std::uint32_t>(p_ + 28); }
  std::uint16_t len(Field f) const { return load<std::uint16_t>(p_ + 32 + 2 * f); }
  std::string_view field(Field f) const {
    std::size_t off = kFixed;
    for (std::uint8_t i = 0; i < f; ++i) {
      off += len(static_cast<Field>(i));
    }
    return {p_ + off, len(f)};
  }
  std::size_t encoded_size() const {
    std::size_t n = kFixed;
    for (std::uint8_t i = 0; i < kFieldCount; ++i) {
      n += len(static_cast<Field>(i));
    }
    return n;
  }
  const char* data() const { return p_; }

  bool live(std::int64_t now) const { return expires_at() > now; }
  bool is_outbound() const { return reg_id() != 0 && len(kInstance) != 0; }
  /// RFC 5626 §6 / RFC 3261 §10.3 binding key comparison (see ContactKey).
  bool matches(std::string_view uri, std::string_view instance, std::uint32_t reg_id) const {
    if (reg_id != 0 && !instance.empty()) {
      return is_outbound() && this->reg_id() == reg_id && field(kInstance) == instance;
    }
    return !is_outbound() && field(kUri) == uri;
  }
  /// Whether every stored field (the 8 strings, Path entries joined, and reg-id) equals `c`'s:
  /// only the times and the CSeq may then differ (a refresh on the same flow).
  bool same_fields(const ContactInfo& c) const;
  /// Overwrites the times and CSeq of the encoded contact at `p` (a ContactRef's data(), in a
  /// writable blob): a refresh that changes nothing else (same_fields()).
  static void store_times(char* p, std::int64_t expires_at, std::int64_t registered_at,
                          std::int64_t updated_at, std::uint32_t cseq);
  /// The contact as readers see it at `now`.
  ContactView view(std::int64_t now) const;
  /// The same, written into `out` reusing its strings' capacity (allocation-free once warm).
  void view_into(std::int64_t now, ContactView& out) const;

private:
  const char* p_;
};

/// A read-only view of a blob (null blob: no owner, no contacts).
class BlobView {
public:
  static constexpr std::size_t kHeader = 8;

  explicit BlobView(const char* p) : p_(p) {}
  /// Encoded size in bytes (0 for no blob).
  std::uint32_t size() const { return p_ == nullptr ? 0 : load<std::uint32_t>(p_); }
  std::string_view owner() const {
    return p_ == nullptr ? std::string_view()
                         : std::string_view(p_ + kHeader, load<std::uint16_t>(p_ + 4));
  }
  std::uint16_t count() const { return p_ == nullptr ? 0 : load<std::uint16_t>(p_ + 6); }

  /// Calls fn(ContactRef) for every stored contact (live or not), in order.
  template <class Fn>
  void for_each(Fn&& fn) const {
    if (p_ == nullptr) {
      return;
    }
    const char* c = p_ + kHeader + load<std::uint16_t>(p_ + 4);
    for (std::uint16_t i = 0; i < count(); ++i) {
      const ContactRef ref(c);
      fn(ref);
      c += ref.encoded_size();
    }
  }

private:
  const char* p_;
};

/// A contact of a blob being built: either copied from the old blob or new from a request.
struct ContactDraft {
  const char* existing = nullptr;     ///< Encoded contact to copy, or
  const ContactInfo* info = nullptr;  ///< a new contact with these times:
  std::int64_t expires_at = 0;
  std::int64_t registered_at = 0;
  std::int64_t updated_at = 0;

  std::int64_t expiry() const { return existing ? ContactRef(existing).expires_at() : expires_at; }
  std::string_view flow() const {
    return existing ? ContactRef(existing).field(kFlow) : std::string_view(info->flow_token);
  }
  bool matches(const ContactInfo& k) const {
    if (existing) {
      return ContactRef(existing).matches(k.uri, k.instance, k.reg_id);
    }
    const bool a = info->reg_id != 0 && !info->instance.empty();
    const bool b = k.reg_id != 0 && !k.instance.empty();
    return a == b &&
           (a ? info->reg_id == k.reg_id && info->instance == k.instance : info->uri == k.uri);
  }
};

/// Bytes encode_blob_into() writes for this owner and these contacts. Fields are bounded by
/// validate() (kMaxFieldBytes < 65536).
std::size_t encoded_blob_size(std::string_view owner, const std::vector<ContactDraft>& contacts);

/// Encodes the blob into `out` (encoded_blob_size() bytes). `out` must not overlap the blobs
/// the drafts and `owner` point into.
void encode_blob_into(char* out, std::size_t size, std::string_view owner,
                      const std::vector<ContactDraft>& contacts);

/// Encodes a new blob into memory from `arena` (free it with
/// `arena.deallocate(p, BlobView(p).size())`).
char* encode_blob(BlobArena& arena, std::string_view owner,
                  const std::vector<ContactDraft>& contacts);

}  // namespace wimpu::registrar::detail
