#pragma once
// Value types of the W4 interface (the wIMPU Registrar, seed TR §5.2.2.3.1): what a caller sends
// and what it gets back. Plain structs of strings and integers: the registrar does not depend on
// the SIP parser, so URIs and header values are carried as the caller's canonical strings.
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/assert/source_location.hpp>

#include "wimpu/common/expected.hpp"

namespace wimpu::registrar {

/// Why a W4 operation failed. Each value is its own error path with its own counter
/// (`w4.<backend>.error.<name>`), and maps to one SIP answer in the eP-CSCF.
enum class W4Error : std::uint8_t {
  kInvalidArgument = 1,  ///< A field is empty, too long or malformed (eP-CSCF: 400 / 500).
  kUnknownBlock,         ///< No configured block has this id.
  kUnknownImpu,          ///< The IMPU is in no configured block (eI-CSCF: not a wIMPU).
  kNotFound,             ///< The web identity holds no IMPU (e.g. de-REGISTER before REGISTER).
  kOutOfOrder,           ///< RFC 3261 §10.3 step 7: same Call-ID, CSeq not higher (eP-CSCF: 500).
  kPoolExhausted,        ///< No free IMPU in the block (G-14: 503 + Retry-After).
  kTooManyContacts,      ///< The IMPU would exceed the block's max_contacts.
  kUnavailable,          ///< The backend cannot be reached now (Redis down/hung); retry later.
  kConfigMismatch,       ///< The stored block layout differs from the configured one (redis).
  kBackend,              ///< The backend answered something unexpected (a bug or a foreign writer).
};

/// Stable lower-case name of an error ("out_of_order"), used in counters and logs.
std::string_view to_string(W4Error e);

/// Streams to_string(e) (logs, test failure messages).
std::ostream& operator<<(std::ostream& os, W4Error e);

/// Only so that `Expected<T, W4Error>::value()` compiles; the data plane checks `has_value()`
/// and uses `*r` / `r.error()` instead, so this throws only on a caller's bug.
[[noreturn]] void throw_exception_from_error(W4Error e, const boost::source_location& loc);

/// Result of every W4 operation.
template <class T>
using W4Result = Expected<T, W4Error>;

/// The web identity a token names: `iss` + `sub` (RFC 7519 §4.1.1, §4.1.2). An IMPU is allocated
/// per (block, web identity) (requirements G-02).
struct WebIdentity {
  std::string issuer;
  std::string subject;

  /// The unambiguous storage key: decimal length of the issuer, ':', issuer, subject
  /// ("22:https://wwsf.example/alice"). docs/w4.md documents it for other W4 clients.
  std::string key() const;
  /// key() written into `out`, reusing its capacity (no allocation once it is warm).
  void key_into(std::string& out) const;
  /// Inverse of key(); nullopt when `key` is not in that form.
  static std::optional<WebIdentity> from_key(std::string_view key);
  friend bool operator==(const WebIdentity&, const WebIdentity&) = default;
};

/// Identifies one stored contact of an IMPU, as RFC 5626 §6 keys bindings: by (+sip.instance,
/// reg-id) when both are present, else by the Contact URI (RFC 3261 §10.3 step 7). URIs are
/// compared byte for byte: the caller passes them canonicalised.
struct ContactKey {
  std::string uri;
  std::string instance;
  std::uint32_t reg_id = 0;  ///< 0 = no reg-id (RFC 5626 reg-id is 1..2^31-1).

  /// True when the key is (instance, reg-id) rather than the URI.
  bool is_outbound() const { return reg_id != 0 && !instance.empty(); }
};

/// One contact as the eP-CSCF registers it (requirements G-01, G-04, G-06, G-10).
struct ContactInfo {
  std::string uri;                ///< Contact URI (addr-spec, with its URI parameters).
  std::string params;             ///< Every contact-param as received (";+sip.instance=...;ob").
  std::string instance;           ///< +sip.instance value (RFC 5626 §4.1), empty if none.
  std::uint32_t reg_id = 0;       ///< reg-id (RFC 5626 §4.2), 0 if none.
  std::string call_id;            ///< Call-ID of the REGISTER (RFC 3261 §10.3 step 7).
  std::uint32_t cseq = 0;         ///< CSeq number of the REGISTER.
  std::string flow_token;         ///< The flow the contact is reachable on (RFC 5626 §5.2).
  std::string epcscf_instance;    ///< Id of the eP-CSCF instance holding that flow.
  std::vector<std::string> path;  ///< Path header values in order (RFC 3327 §5.3).
  std::string user_agent;         ///< User-Agent of the REGISTER (admin display).

  /// The binding key of this contact (see ContactKey).
  ContactKey key() const { return ContactKey{uri, instance, reg_id}; }
  friend bool operator==(const ContactInfo&, const ContactInfo&) = default;
};

/// A stored, live contact as readers see it.
struct ContactView {
  ContactInfo info;
  std::int64_t expires_at_ms = 0;     ///< Absolute expiry, ms since the Unix epoch (backend time).
  std::uint32_t expires_in_s = 0;     ///< Remaining seconds, rounded up (the 200 OK's `expires`).
  std::int64_t registered_at_ms = 0;  ///< When this binding key was first registered.
  std::int64_t updated_at_ms = 0;     ///< Last refresh.
};

/// One Contact of a REGISTER: the contact and its requested expiry (0 removes it).
struct ContactUpdate {
  ContactInfo contact;
  std::uint32_t expires_s = 0;
};

/// register_contacts(): all of `contacts` apply atomically or none does (G-01 step 7).
struct RegisterRequest {
  std::string block;
  WebIdentity identity;
  std::vector<ContactUpdate> contacts;  ///< 1..max_contacts entries.
  /// Optional: the IMPU this identity got at its previous REGISTER (RegisterResult::impu), when
  /// the caller kept it. Only a hint: a backend may use it to find the binding without its
  /// identity index (the redis backend then skips a lookup, docs/w4.md 5.4), and checks it
  /// against the stored owner, so a stale or wrong hint changes nothing but the cost.
  std::string impu_hint = {};
};

/// The state of one IMPU of a block at the time of the read.
enum class ImpuState : std::uint8_t {
  kFree = 0,        ///< Never allocated, or its quarantine is over: any identity may get it.
  kRegistered = 1,  ///< Allocated, with at least one live contact.
  kQuarantined =
      2,  ///< Last contact gone less than `quarantine` ago (G-13): only its owner may get it.
};

/// Stable lower-case name ("registered").
std::string_view to_string(ImpuState s);
/// Streams to_string(s).
std::ostream& operator<<(std::ostream& os, ImpuState s);

/// register_contacts() result: the IMPU (first P-Associated-URI, G-02) and every live contact.
struct RegisterResult {
  std::string impu;                   ///< Primary form (sip: if the block renders sip, else tel:).
  std::vector<std::string> aliases;   ///< Other forms of the same IMPU (tel: when both render).
  bool newly_allocated = false;       ///< True when this request allocated the IMPU.
  std::int64_t now_ms = 0;            ///< Backend time the request was applied at.
  std::vector<ContactView> contacts;  ///< All live contacts after the update.
};

/// lookup() / lookup_identity() / list() entry: an IMPU with its owner and live contacts.
struct Binding {
  std::string block;
  std::string impu;  ///< Primary form.
  std::vector<std::string> aliases;
  ImpuState state = ImpuState::kFree;
  std::optional<WebIdentity> owner;  ///< Set unless state is kFree.
  std::int64_t now_ms = 0;
  std::vector<ContactView> contacts;  ///< Live contacts only (empty unless kRegistered).
};

/// remove_contact() / remove_all() result.
struct RemoveResult {
  std::uint32_t removed = 0;    ///< Live contacts removed.
  std::uint32_t remaining = 0;  ///< Live contacts left.
  bool released = false;        ///< This removal took the IMPU's last contact (quarantine starts).
};

/// The guard of a `Contact: *` de-registration (RFC 3261 §10.3 step 6/7): if any contact of the
/// IMPU was registered with this Call-ID and a CSeq >= `cseq`, nothing is removed (kOutOfOrder).
struct CallIdGuard {
  std::string call_id;
  std::uint32_t cseq = 0;
};

/// usage(): counts at the time of the read; free + registered + quarantined == size.
struct BlockUsage {
  std::uint64_t size = 0;
  std::uint64_t registered = 0;
  std::uint64_t quarantined = 0;
  std::uint64_t free = 0;
};

/// list(): one window of a block's IMPUs (see W4::list()).
struct ListPage {
  std::vector<Binding> entries;
  std::uint64_t next_cursor = 0;  ///< 0 when the listing is complete.
};

/// Field-size limits shared by both backends so that they refuse exactly the same requests.
inline constexpr std::size_t kMaxFieldBytes = 4096;   ///< Any single string field.
inline constexpr std::size_t kMaxPathEntries = 16;    ///< Path header values per contact.
inline constexpr std::uint32_t kMaxListLimit = 1000;  ///< list() window size cap.

/// Checks a RegisterRequest against the limits above and the RFC rules the registrar enforces
/// (non-empty identity, URI and Call-ID; no CR/LF in any field). Both backends call it first.
W4Result<void> validate(const RegisterRequest& req);
/// Checks a ContactKey (non-empty URI or instance + reg-id; field limits).
W4Result<void> validate(const ContactKey& key);

}  // namespace wimpu::registrar
