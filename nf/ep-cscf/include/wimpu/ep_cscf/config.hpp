#pragma once
// Configuration of the eP-CSCF (issue 5, seed TR §5.2.2.3.2): the wIMPU domains it serves, each
// with its block, trusted WWSF issuers and allowed web Origins, the upstream I-CSCF, the RFC 3261
// §10.3 registrar bounds and the listeners. A plain struct with documented defaults; loading it
// from TOML is the executable's job.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "wimpu/registrar/block.hpp"
#include "wimpu/registrar/memory_registrar.hpp"
#include "wimpu/registrar/redis_registrar.hpp"
#include "wimpu/token/algorithm.hpp"
#include "wimpu/transaction/config.hpp"
#include "wimpu/transport/config.hpp"

namespace wimpu::ep_cscf {

/// A WWSF whose tokens we accept (RFC 8898 §2.2, requirement T-04).
struct TrustedIssuer {
  std::string issuer;                                 ///< exact `iss`
  token::Algorithm algorithm = token::Algorithm::kEdDSA;  ///< pinned alg
  std::string jwks_file;  ///< JWKS document (RFC 7517 §5) read at start-up
  std::string jwks;       ///< inline JWKS; used instead of jwks_file when non-empty (tests)
};

/// When the eP-CSCF registers a block with the IMS core (seed TR §5.2.2.5.1, both options).
enum class BlockTrigger : std::uint8_t {
  kNone,      ///< never (no upstream, or the core is provisioned otherwise)
  kStartup,   ///< option 1: at start-up; the block is "down" (WICs get 503) until the 200 OK
  kFirstWic,  ///< option 2: at the first successful WIC registration of the block
};

/// The block registration toward the I-CSCF (TS 24.229 §7.2A.2 trusted-node authentication).
struct BlockRegistrationConfig {
  BlockTrigger trigger = BlockTrigger::kNone;
  /// The block's distinct IMPU registered with the core (requirements X-03), e.g.
  /// "sip:block1@wimpu.example". Required when trigger != kNone.
  std::string impu;
  /// Authorization username (the private identity); empty = `impu` without its scheme.
  std::string private_identity;
  std::uint32_t expires = 3600;  ///< requested registration lifetime, seconds
  /// Back-off after a failure: first retry after retry_min, doubling up to retry_max.
  std::chrono::milliseconds retry_min{1000};
  std::chrono::milliseconds retry_max{300000};
  /// Orderly shutdown waits this long for the de-REGISTER's answer.
  std::chrono::milliseconds deregister_wait{2000};
};

/// One wIMPU domain: its block of IMPUs and who may register in it.
struct WimpuDomain {
  /// The SIP domain WICs register in (REGISTER Request-URI host). Also the token's block claim.
  std::string domain;
  registrar::BlockConfig block;        ///< the IMPU range (W4); block.id names it
  std::vector<TrustedIssuer> issuers;  ///< at least one
  std::string authz_server;            ///< WWSF URL put in the Bearer challenge (RFC 8898 §2.2)
  /// Upstream I-CSCF (block registration, issue 5 step 4), e.g. "sip:icscf.ims.example;lr".
  std::string upstream_icscf;
  /// Service-Route for WIC-originated requests until block registration provides one (G-12),
  /// full name-addr values ("<sip:orig@scscf.ims.example;lr>").
  std::vector<std::string> service_route;
  /// Block registration with the core (upstream_icscf is where it goes).
  BlockRegistrationConfig registration;
};

/// RFC 3261 §10.3 registrar bounds and RFC 5626 §5.4 Flow-Timer.
struct RegistrationPolicy {
  std::uint32_t min_expires = 60;       ///< below (and non-zero) -> 423 + Min-Expires
  std::uint32_t max_expires = 3600;     ///< longer requests are shortened (G-16)
  std::uint32_t default_expires = 600;  ///< neither expires param nor Expires header
  std::uint32_t flow_timer = 120;       ///< Flow-Timer in a 200 with Require: outbound
  std::uint32_t retry_after = 60;       ///< Retry-After of the 503 when the pool is exhausted
};

enum class RegistrarBackend : std::uint8_t { kMemory, kRedis };

/// The standard P-CSCF role for domains that are not wIMPU domains (TS 24.229 §5.2): REGISTER
/// forwarded with Path (the S-CSCF authenticates with digest), calls routed by Service-Route
/// (originating) and by the Path flow token (terminating).
struct StandardPcscfConfig {
  /// I-CSCF the REGISTERs go to, e.g. "sip:127.0.0.1:5070;lr" (IP literal). Empty: the role is
  /// off and such REGISTERs get 403.
  std::string upstream_icscf;
};

struct EpCscfConfig {
  /// Realm of Bearer challenges and the audience tokens must name (RFC 8898 §2.2).
  std::string realm = "ims.example";
  /// Host name under which we appear in Service-Route / Path / Record-Route; empty = the first
  /// listener's address.
  std::string host;
  std::vector<WimpuDomain> domains;
  RegistrationPolicy registration;
  StandardPcscfConfig standard;
  /// Web Origins allowed to open SIP WebSockets (RFC 7118 §7); empty = any.
  std::vector<std::string> allowed_origins;
  /// Listeners (WS/WSS toward WICs, UDP/TCP/TLS toward the core) and transport limits.
  transport::TransportConfig transport;
  std::size_t shards = 1;
  transaction::TimerConfig timers;
  RegistrarBackend backend = RegistrarBackend::kMemory;
  registrar::RedisOptions redis;  ///< used with kRedis (one connection per shard)
  registrar::MemoryOptions memory;  ///< used with kMemory (start-up sizing)
  /// Remove `a=group:BUNDLE` from SDP offers of WICs (TS 23.228 Annex U.1.1: for an IMS core
  /// without BUNDLE support).
  bool strip_bundle = false;
  /// Id of this eP-CSCF instance, stored with each contact (W4 ContactInfo::epcscf_instance).
  std::string instance_id = "epcscf-1";
};

}  // namespace wimpu::ep_cscf
