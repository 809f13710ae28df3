#pragma once
// The HSS logic for Cx (TS 29.228 §6.1-§6.3, TS 29.229): answers UAR, SAR, LIR and MAR from the
// subscriber store and the registration state it keeps in memory. Pure logic, no I/O: the
// Diameter front end (hss_service.hpp) and the in-process Cx path both call it.
//
// Threading: not thread-safe. One Hss lives on one executor; every call happens there.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "wimpu/diameter/cx_messages.hpp"
#include "wimpu/hss/subscriber_store.hpp"

namespace wimpu::hss {

/// IMS registration state of an implicit registration set (TS 29.228 §6.1.2 / Table 6.1.2.1).
enum class RegistrationState : std::uint8_t {
  kNotRegistered,
  kRegistered,
  kUnregistered,  ///< an S-CSCF keeps the profile for unregistered-state services
};

/// Stable lowercase name ("registered", ...).
std::string_view to_string(RegistrationState state) noexcept;

class Hss {
public:
  /// `store` must not be null.
  explicit Hss(std::shared_ptr<const SubscriberStore> store);

  /// UAR (TS 29.228 §6.1.1.1): 5001 unknown IMPI or IMPU, 5002 IMPU not of this IMPI; for
  /// REGISTRATION: 2002 SUBSEQUENT_REGISTRATION + Server-Name when registered or unregistered,
  /// 2001 FIRST_REGISTRATION + Server-Name when an S-CSCF name is stored, else 2001 +
  /// Server-Capabilities; DE_REGISTRATION: 2001 + Server-Name, or 5003 when not registered;
  /// REGISTRATION_AND_CAPABILITIES: 2001 FIRST_REGISTRATION + Server-Capabilities.
  diameter::UserAuthorizationAnswer handle(const diameter::UserAuthorizationRequest& uar);

  /// MAR (TS 29.228 §6.3.1) for SIP Digest (TS 33.203 Annex N): 5001/5002 as UAR, 5006 for a
  /// scheme other than "SIP Digest" (empty or "Unknown" select it); otherwise DIAMETER_SUCCESS with
  /// one SIP-Auth-Data-Item {SIP Digest, SIP-Digest-Authenticate {realm, qop "auth", HA1, MD5}}.
  /// Stores the S-CSCF name when the user has none (the S-CSCF is now assigned, pending SAR).
  diameter::MultimediaAuthAnswer handle(const diameter::MultimediaAuthRequest& mar);

  /// SAR (TS 29.228 §6.1.2): REGISTRATION/RE_REGISTRATION -> registered, S-CSCF stored, User-Data;
  /// UNREGISTERED_USER -> unregistered state (if not registered), User-Data;
  /// *_DEREGISTRATION -> not registered (S-CSCF name kept for the *_STORE_SERVER_NAME types);
  /// AUTHENTICATION_FAILURE/TIMEOUT -> S-CSCF name dropped when not registered; NO_ASSIGNMENT ->
  /// User-Data if the requesting S-CSCF is the assigned one (else 5012 UNABLE_TO_COMPLY); other
  /// types 5007. Wildcarded-Public-Identity is returned when the IMPU matched a wildcard.
  diameter::ServerAssignmentAnswer handle(const diameter::ServerAssignmentRequest& sar);

  /// LIR (TS 29.228 §6.1.4; requirements C-05): 5001 unknown; registered or unregistered ->
  /// Server-Name; not registered but originating or unregistered services -> Server-Name if one is
  /// stored, else 2003 UNREGISTERED_SERVICE + Server-Capabilities; otherwise 5003. Success answers
  /// carry Wildcarded-Public-Identity when the IMPU matched a wildcard (requirements X-05).
  diameter::LocationInfoAnswer handle(const diameter::LocationInfoRequest& lir);

  /// Dispatches on the request type. The answer's envelope is left empty (the transport fills it).
  diameter::CxAnswer handle(const diameter::CxRequest& request);

  /// Swaps in new subscriber data. Registration state and S-CSCF names are kept for every IMPI
  /// still present (per implicit set, matched by its first public identity).
  void reload(std::shared_ptr<const SubscriberStore> store);

  /// For tests and admin: the state of the set `impu` belongs to (kNotRegistered if unknown).
  RegistrationState state_of(std::string_view impu) const;
  /// For tests and admin: the S-CSCF name stored for `impi`, if any.
  std::optional<std::string> scscf_of(std::string_view impi) const;

  /// The subscriber data in use.
  const SubscriberStore& store() const { return *store_; }

private:
  struct SubscriberState {
    std::optional<std::string> scscf;
    std::map<std::string, RegistrationState> sets;  // by the set's first public identity
  };

  SubscriberState& state(const Subscriber& s) { return states_[s.impi]; }
  RegistrationState set_state(const Subscriber& s, std::size_t set) const;
  void set_set_state(const Subscriber& s, std::size_t set, RegistrationState st);
  bool any_set_active(const Subscriber& s) const;
  std::string user_data(const Subscriber& s, std::size_t set) const;

  std::shared_ptr<const SubscriberStore> store_;
  std::map<std::string, SubscriberState, std::less<>> states_;  // by IMPI
};

}  // namespace wimpu::hss
