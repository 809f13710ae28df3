#pragma once
// Subscriber data shared by the HSS tests.
#include <string>

#include "wimpu/hss/subscriber_store.hpp"

namespace wimpu::hss::test {

inline std::string subscribers_toml() {
  return R"(
[capabilities]
mandatory = [1]
optional = [2, 3]
server_names = ["sip:scscf.example:5060"]

[[subscriber]]
impi = "alice@example"
realm = "example"
ha1 = ")" + digest_ha1("alice@example", "example", "alice-secret") + R"("
allowed_wwsf = ["wwsf.example"]
  [[subscriber.implicit_set]]
  public_identities = ["sip:alice@example", "tel:+15550100"]

[[subscriber]]
impi = "block@block.example"
realm = "block.example"
ha1 = ")" + digest_ha1("block@block.example", "block.example", "block-secret") + R"("
unregistered_services = false
  [[subscriber.implicit_set]]
  public_identities = ["sip:+15550000000@block.example", "sip:+1555000!.*!@block.example"]

[[subscriber]]
impi = "bob@example"
realm = "example"
ha1 = ")" + digest_ha1("bob@example", "example", "bob-secret") + R"("
unregistered_services = true
  [[subscriber.implicit_set]]
  public_identities = ["sip:bob@example"]
  [[subscriber.implicit_set]]
  public_identities = ["sip:bob-work@example"]
)";
}

}  // namespace wimpu::hss::test
