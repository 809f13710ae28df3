#pragma once
// The wIMPU domain the eP-CSCF fixtures configure (register_test.cpp, call_fixture.hpp): one block
// of two IMPUs (+15550000000..+15550000001 in wimpu.example) whose tokens come from one EdDSA
// issuer, given by its key. Kept in one place so that both test executables mean the same block.
#include <chrono>
#include <string>

#include "wimpu/ep_cscf/config.hpp"
#include "wimpu/token/key_set.hpp"
#include "wimpu/token/signing_key.hpp"

namespace wimpu::ep_cscf::test {

inline WimpuDomain two_impu_domain(const std::string& issuer, const token::SigningKey& key) {
  using namespace std::chrono_literals;
  WimpuDomain d;
  d.domain = "wimpu.example";
  d.block.id = "blk1";
  d.block.domains = {"wimpu.example"};
  d.block.range_first = "+15550000000";
  d.block.range_last = "+15550000001";
  d.block.quarantine = 60s;
  d.authz_server = "https://wwsf.example/api/token";
  d.issuers.push_back(
      TrustedIssuer{issuer, token::Algorithm::kEdDSA, "", token::jwks_document({key.public_key()})});
  return d;
}

}  // namespace wimpu::ep_cscf::test
