#pragma once
// The HSS subscriber data the admin manages: a TOML file loaded at start and on reload (SIGHUP).
// It is immutable once loaded; registration state lives in Hss (hss.hpp), not here.
//
// File format (docs/diameter.md "HSS subscribers" has the full example):
//
//   [capabilities]                      # Server-Capabilities for S-CSCF selection (TS 29.228 §6.7)
//   mandatory = []
//   optional = []
//   server_names = ["sip:scscf.example:5060"]
//
//   [[subscriber]]
//   impi = "block@block.example"        # private identity (IMPI)
//   realm = "block.example"             # SIP Digest realm
//   ha1 = "5f2b...32 hex"               # MD5(impi ":" realm ":" password), lowercase hex
//   unregistered_services = true        # profile has services for the unregistered state
//   allowed_wwsf = ["wwsf.example"]     # Allowed-WAF-WWSF-Identities (TS 29.229 §6.3.58)
//   allowed_waf = []
//   [[subscriber.implicit_set]]         # one implicit registration set (TS 23.228 §4.3.3.3)
//   public_identities = ["sip:+15550000000@block.example", "sip:+1555000!.*!@block.example"]
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wimpu/common/expected.hpp"
#include "wimpu/diameter/cx_messages.hpp"
#include "wimpu/hss/wildcard.hpp"

namespace wimpu::hss {

/// One implicit registration set: registered and de-registered together.
struct ImplicitSet {
  std::vector<std::string> public_identities;  ///< distinct IMPUs and wildcarded ones
};

/// One IMS subscription, reduced to one private identity.
struct Subscriber {
  std::string impi;
  std::string realm;  ///< Digest-Realm
  std::string ha1;    ///< Digest-HA1: lowercase hex MD5(impi:realm:password)
  bool unregistered_services = false;
  std::vector<std::string> allowed_wwsf;
  std::vector<std::string> allowed_waf;
  std::vector<ImplicitSet> implicit_sets;
};

/// Where an IMPU was found.
struct ImpuMatch {
  const Subscriber* subscriber = nullptr;
  std::size_t set = 0;     ///< index into subscriber->implicit_sets
  std::string wildcard;    ///< the wildcarded identity it matched; empty for an exact match
};

/// Indexed, validated subscriber data. Immutable; share it as shared_ptr<const SubscriberStore>.
class SubscriberStore {
public:
  /// Parses and validates TOML text. Errors (returned, never thrown) name the offending entry:
  /// TOML syntax, missing impi/realm/ha1, HA1 not 32 hex digits, duplicate IMPI or IMPU, an IMPU
  /// in no set, a wildcard that does not compile.
  static wimpu::Expected<std::shared_ptr<const SubscriberStore>, std::string> parse(
      std::string_view toml_text);
  /// Reads and parses a file (same errors, plus I/O).
  static wimpu::Expected<std::shared_ptr<const SubscriberStore>, std::string> load(
      const std::filesystem::path& path);

  /// Exact match first (distinct IMPUs, and wildcarded identities given literally), then the
  /// wildcards in file order (TS 23.003 §13.4A: a distinct IMPU wins over a wildcard covering it).
  std::optional<ImpuMatch> find_impu(std::string_view impu) const;
  /// The subscriber with this private identity, or nullptr.
  const Subscriber* find_impi(std::string_view impi) const;

  /// The [capabilities] table: what UAA/LIA return as Server-Capabilities.
  const diameter::ServerCapabilities& capabilities() const { return capabilities_; }
  /// Every subscriber, in file order.
  const std::vector<Subscriber>& subscribers() const { return subscribers_; }

  SubscriberStore(const SubscriberStore&) = delete;
  SubscriberStore& operator=(const SubscriberStore&) = delete;
  SubscriberStore() = default;

private:
  struct Wildcard {
    WildcardPattern pattern;
    std::size_t subscriber;
    std::size_t set;
  };
  struct Exact {
    std::string impu;
    std::size_t subscriber;
    std::size_t set;
  };

  diameter::ServerCapabilities capabilities_;
  std::vector<Subscriber> subscribers_;
  std::vector<Exact> exact_;  // sorted by impu
  std::vector<Wildcard> wildcards_;
};

/// Lowercase hex MD5(user ":" realm ":" password): the HA1 of RFC 2617 §3.2.2.2 that the store
/// keeps instead of passwords. For provisioning tools and tests.
std::string digest_ha1(std::string_view user, std::string_view realm, std::string_view password);

}  // namespace wimpu::hss
