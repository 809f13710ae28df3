#pragma once
// The S-CSCF's registrar state (RFC 3261 §10.3, TS 24.229 §5.4.1): implicit registration sets
// (TS 23.228 §4.3.3.3) with their identities from the SAA User-Data, wildcarded ones compiled
// (TS 23.003 §13.5), and the contacts bound to them with their Path (RFC 3327).
//
// Threading: shared by every shard of the process (a terminating request may land on any shard);
// each method takes one short mutex and returns copies. No method blocks on I/O.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wimpu/common/clock.hpp"
#include "wimpu/common/expected.hpp"
#include "wimpu/hss/wildcard.hpp"

namespace wimpu::s_cscf {

/// One registered contact (RFC 3261 §10.3 step 7).
struct ContactBinding {
  std::string uri;                 ///< Contact URI (addr-spec)
  std::vector<std::string> path;   ///< Path values, top first, full name-addr text
  std::string call_id;
  std::uint32_t cseq = 0;
  common::TimePoint expires{};
};

/// A contact as returned to callers: seconds left instead of the deadline.
struct ContactView {
  std::string uri;
  std::vector<std::string> path;
  std::uint32_t expires_in_s = 0;
};

/// A registered implicit set as a snapshot.
struct RegistrationView {
  std::string impi;
  std::string registered_impu;         ///< the IMPU the REGISTER named (SAR Public-Identity)
  std::vector<std::string> identities;  ///< the whole set, as the HSS listed it
  std::vector<ContactView> contacts;    ///< live contacts only
};

/// A contact change from one REGISTER.
struct ContactUpdate {
  std::string uri;
  std::vector<std::string> path;
  std::string call_id;
  std::uint32_t cseq = 0;
  std::uint32_t expires_s = 0;  ///< 0 removes the binding
};

/// Why an update was refused.
enum class StoreError : std::uint8_t {
  kOutOfOrder,  ///< same Call-ID with a CSeq not higher (RFC 3261 §10.3 step 7) -> 500
  kNotFound,    ///< nothing registered for the IMPU (a removal only)
  kBadIdentity, ///< a wildcarded identity of the User-Data does not compile
};

class RegistrationStore {
public:
  /// `clock` (not null) decides which contacts are live.
  explicit RegistrationStore(common::ClockPtr clock);

  /// The live registration covering `identity`: an exact identity of a set (including a
  /// wildcarded identity's own text, as P-Profile-Key carries it, RFC 5002), else the first set
  /// whose wildcard matches. nullopt when none has a live contact.
  std::optional<RegistrationView> lookup(std::string_view identity) const;

  /// True when `impu` is registered with a live contact (exact or through a wildcard).
  bool is_registered(std::string_view impu) const;

  /// Applies the contacts of a REGISTER for `impu` of `impi` whose implicit set (from the SAA)
  /// is `identities` (must contain `impu` or a wildcard matching it; empty keeps the stored set).
  /// Contacts with expires 0 are removed. Returns the set after the update (possibly without
  /// contacts: the caller then de-registers it with SAR and erase()s it).
  Expected<RegistrationView, StoreError> update(std::string_view impi, std::string_view impu,
                                                const std::vector<std::string>& identities,
                                                const std::vector<ContactUpdate>& contacts);

  /// Removes every contact of the set holding `impu` (Contact: *, RFC 3261 §10.3 step 6).
  /// Returns the set's view (without contacts), or kNotFound.
  Expected<RegistrationView, StoreError> remove_all(std::string_view impu);

  /// Forgets the set holding `impu` (after a de-registration SAR).
  void erase(std::string_view impu);

  /// Drops expired contacts; returns the sets left without any (for SAR TIMEOUT_DEREGISTRATION),
  /// and forgets them.
  std::vector<RegistrationView> expire();

  /// Number of sets held.
  std::size_t size() const;

private:
  struct Set {
    std::string impi;
    std::string registered_impu;
    std::vector<std::string> identities;
    std::vector<hss::WildcardPattern> wildcards;
    std::vector<ContactBinding> contacts;
  };
  Set* find_locked(std::string_view identity) const;
  RegistrationView view_locked(const Set& s) const;
  std::size_t live_count_locked(const Set& s) const;

  common::ClockPtr clock_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Set>> sets_;
};

}  // namespace wimpu::s_cscf
