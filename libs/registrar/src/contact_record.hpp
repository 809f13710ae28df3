#pragma once
// A stored contact of the memory backend, kept compact: its eight strings live in one heap
// buffer, addressed by 16-bit lengths (every field is <= kMaxFieldBytes), so a contact costs one
// allocation and 56 bytes besides its characters (target: <= 256 bytes per contact in total
// overhead, bench/RESULTS.md).
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "wimpu/registrar/types.hpp"

namespace wimpu::registrar::detail {

class ContactRecord {
public:
  enum Field : std::uint8_t { kUri, kParams, kInstance, kCallId, kFlow, kEpcscf, kPath, kUa, kCount };

  ContactRecord(const ContactInfo& c, std::int64_t expires_at_ms, std::int64_t registered_at_ms,
                std::int64_t updated_at_ms);

  std::string_view field(Field f) const {
    std::size_t off = 0;
    for (std::uint8_t i = 0; i < f; ++i) {
      off += len_[i];
    }
    return {buf_.get() + off, len_[f]};
  }
  std::string_view uri() const { return field(kUri); }
  std::string_view instance() const { return field(kInstance); }
  std::string_view call_id() const { return field(kCallId); }
  std::string_view flow() const { return field(kFlow); }
  bool is_outbound() const { return reg_id != 0 && len_[kInstance] != 0; }

  /// RFC 5626 §6 / RFC 3261 §10.3 binding key comparison (see ContactKey).
  bool matches(const ContactKey& k) const { return matches(k.uri, k.instance, k.reg_id); }
  bool matches(const ContactInfo& c) const { return matches(c.uri, c.instance, c.reg_id); }
  bool matches(std::string_view k_uri, std::string_view k_instance, std::uint32_t k_reg_id) const {
    if (k_reg_id != 0 && !k_instance.empty()) {
      return is_outbound() && reg_id == k_reg_id && instance() == k_instance;
    }
    return !is_outbound() && uri() == k_uri;
  }
  bool live(std::int64_t now_ms) const { return expires_at_ms > now_ms; }

  /// The contact as readers see it at `now_ms`.
  ContactView view(std::int64_t now_ms) const;

  std::int64_t expires_at_ms;
  std::int64_t registered_at_ms;
  std::int64_t updated_at_ms;
  std::uint32_t cseq;
  std::uint32_t reg_id;

private:
  std::unique_ptr<char[]> buf_;
  std::array<std::uint16_t, kCount> len_{};
};

static_assert(sizeof(ContactRecord) <= 64, "keep stored contacts compact");

/// Remaining whole seconds, rounded up, as the 200 OK's `expires` parameter carries them.
inline std::uint32_t remaining_s(std::int64_t expires_at_ms, std::int64_t now_ms) {
  return expires_at_ms <= now_ms ? 0
                                 : static_cast<std::uint32_t>((expires_at_ms - now_ms + 999) / 1000);
}

}  // namespace wimpu::registrar::detail
