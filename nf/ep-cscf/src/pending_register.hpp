#pragma once
// The REGISTER being decided (register.cpp): kept across the token check and the W4 call. One is
// reused from one REGISTER to the next (EpCscfPolicy::register_scratch_): its strings and vectors
// keep their capacity, so a refresh builds its W4 request and receives W4's answer without
// allocating once they are warm (issue 8 figure 2).
#include <cstdint>
#include <string>

#include "wimpu/ep_cscf/policy.hpp"
#include "wimpu/registrar/types.hpp"

namespace wimpu::ep_cscf {

struct EpCscfPolicy::PendingRegister {
  const WimpuDomain* domain = nullptr;
  bool star = false;                   ///< Contact: * (remove all, RFC 3261 §10.3 step 6)
  bool outbound = false;               ///< Supported: outbound and a reg-id (RFC 5626 §6, G-04)
  std::string call_id;                 ///< `Contact: *` only (its Call-ID guard)
  std::uint32_t cseq = 0;
  transaction::ListenerId listener{};  ///< for Service-Route
  std::string flow_token;              ///< the WIC's flow (the originating check keys on it)
  /// What W4 is asked, built in place: block, contacts, then (once the token passed) identity
  /// and impu_hint. Its identity is also the one a `Contact: *` or a query looks up.
  registrar::RegisterRequest request;
  /// W4's answer when it came without waiting (W4::try_register_now()).
  registrar::RegisterResult result;
};

}  // namespace wimpu::ep_cscf
