#include "wimpu/registrar/types.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <stdexcept>

#include <boost/throw_exception.hpp>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace wimpu::registrar {

std::string_view to_string(W4Error e) {
  switch (e) {
    case W4Error::kInvalidArgument: return "invalid_argument";
    case W4Error::kUnknownBlock: return "unknown_block";
    case W4Error::kUnknownImpu: return "unknown_impu";
    case W4Error::kNotFound: return "not_found";
    case W4Error::kOutOfOrder: return "out_of_order";
    case W4Error::kPoolExhausted: return "pool_exhausted";
    case W4Error::kTooManyContacts: return "too_many_contacts";
    case W4Error::kUnavailable: return "unavailable";
    case W4Error::kConfigMismatch: return "config_mismatch";
    case W4Error::kBackend: return "backend";
  }
  return "unknown";
}

std::string_view to_string(ImpuState s) {
  switch (s) {
    case ImpuState::kFree: return "free";
    case ImpuState::kRegistered: return "registered";
    case ImpuState::kQuarantined: return "quarantined";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, W4Error e) {
  return os << to_string(e);
}
std::ostream& operator<<(std::ostream& os, ImpuState s) {
  return os << to_string(s);
}

void throw_exception_from_error(W4Error e, const boost::source_location& loc) {
  boost::throw_with_location(std::runtime_error("W4 error: " + std::string(to_string(e))), loc);
}

std::string WebIdentity::key() const {
  std::string k;
  key_into(k);
  return k;
}

void WebIdentity::key_into(std::string& out) const {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, issuer.size());
  (void)ec;  // 24 digits hold any size_t
  out.clear();
  out.reserve(static_cast<std::size_t>(end - digits) + 1 + issuer.size() + subject.size());
  out.append(digits, end);
  out += ':';
  out += issuer;
  out += subject;
}

std::optional<WebIdentity> WebIdentity::from_key(std::string_view key) {
  const auto colon = key.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return std::nullopt;
  }
  std::size_t len = 0;
  const auto [p, ec] = std::from_chars(key.data(), key.data() + colon, len);
  if (ec != std::errc() || p != key.data() + colon || len > key.size() - colon - 1) {
    return std::nullopt;
  }
  return WebIdentity{std::string(key.substr(colon + 1, len)),
                     std::string(key.substr(colon + 1 + len))};
}

namespace {

// Whether any octet of the 8 in `w` is `c` (exact: the classic zero-octet test on w ^ c...c).
bool has_octet(std::uint64_t w, char c) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  const std::uint64_t v = w ^ (kOnes * static_cast<unsigned char>(c));
  return ((v - kOnes) & ~v & (kOnes << 7)) != 0;
}

bool has_cr_or_lf_8(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return has_octet(w, '\r') || has_octet(w, '\n');
}

// The widest block tested at once: 16 octets with SSE2 (every x86-64 CPU), else one word.
#if defined(__SSE2__)
constexpr std::size_t kBlock = 16;
bool has_cr_or_lf_block(const char* p) {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i m = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\r')),
                                 _mm_cmpeq_epi8(x, _mm_set1_epi8('\n')));
  return _mm_movemask_epi8(m) != 0;
}
#else
constexpr std::size_t kBlock = 8;
bool has_cr_or_lf_block(const char* p) { return has_cr_or_lf_8(p); }
#endif

// CR and LF never survive SIP header unfolding (RFC 3261 §7.3.1), so a field holding one is a
// caller bug; refusing them also keeps '\n' free as the stored Path separator.
bool field_ok(std::string_view s) {
  if (s.size() > kMaxFieldBytes) {
    return false;
  }
  // One pass for both octets, in whole words: a REGISTER validates ~20 short fields, where two
  // memchr calls each cost more in calls than in scanning (issue 8 figure 2). The last word
  // overlaps the one before it rather than going octet by octet.
  const char* p = s.data();
  const std::size_t n = s.size();
  if (n >= kBlock) {
    for (std::size_t i = 0; i + kBlock <= n; i += kBlock) {
      if (has_cr_or_lf_block(p + i)) {
        return false;
      }
    }
    return !has_cr_or_lf_block(p + n - kBlock);
  }
  if (n >= 8) {
    return !has_cr_or_lf_8(p) && !has_cr_or_lf_8(p + n - 8);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] == '\r' || p[i] == '\n') {
      return false;
    }
  }
  return true;
}

bool contact_ok(const ContactInfo& c) {
  if (c.uri.empty() || c.call_id.empty() || c.path.size() > kMaxPathEntries) {
    return false;
  }
  for (const auto* f : {&c.uri, &c.params, &c.instance, &c.call_id, &c.flow_token,
                        &c.epcscf_instance, &c.user_agent}) {
    if (!field_ok(*f)) {
      return false;
    }
  }
  std::size_t path_bytes = 0;
  for (const auto& p : c.path) {
    if (p.empty() || !field_ok(p)) {
      return false;
    }
    path_bytes += p.size() + 1;
  }
  return path_bytes <= kMaxFieldBytes + 1;
}

}  // namespace

W4Result<void> validate(const RegisterRequest& req) {
  if (req.identity.issuer.empty() || req.identity.subject.empty() ||
      !field_ok(req.identity.issuer) || !field_ok(req.identity.subject) || req.contacts.empty() ||
      req.block.empty()) {
    return W4Error::kInvalidArgument;
  }
  for (const auto& u : req.contacts) {
    if (!contact_ok(u.contact)) {
      return W4Error::kInvalidArgument;
    }
  }
  return {};
}

W4Result<void> validate(const ContactKey& key) {
  if (!field_ok(key.uri) || !field_ok(key.instance)) {
    return W4Error::kInvalidArgument;
  }
  if (!key.is_outbound() && key.uri.empty()) {
    return W4Error::kInvalidArgument;
  }
  return {};
}

}  // namespace wimpu::registrar
