#pragma once
// Realistic registrar contents for the benchmarks: what a JsSIP-based WIC registers through the
// eP-CSCF (random user@random.invalid Contact over WS, RFC 5626 instance and reg-id, a flow token
// in the Path URI), and a 1,000,000-IMPU block.
#include <cstdint>
#include <cstdio>
#include <string>

#include "wimpu/registrar/block.hpp"
#include "wimpu/registrar/types.hpp"

namespace wimpu::registrar::bench {

inline constexpr std::uint64_t kMillion = 1'000'000;

inline BlockConfig million_block(std::string id = "bench") {
  BlockConfig b;
  b.id = std::move(id);
  b.domains = {"block.example"};
  b.range_first = "+15550000000";
  b.range_last = "+15550999999";
  b.epcscf = "ep-1";
  return b;
}

inline std::string hex(std::uint64_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i) {
    s[static_cast<std::size_t>(i)] = kHex[v & 15];
    v >>= 4;
  }
  return s;
}

inline std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

/// Contact of WIC number `i` (about 330 bytes of strings).
inline ContactInfo sample_contact(std::uint64_t i, std::uint32_t cseq = 1) {
  const std::uint64_t r = mix(i);
  ContactInfo c;
  c.uri = "sip:" + hex(r, 8) + "@" + hex(mix(r), 12) + ".invalid;transport=ws";
  c.instance = "<urn:uuid:" + hex(r, 8) + "-" + hex(r >> 8, 4) + "-4" + hex(r >> 12, 3) + "-8" +
               hex(r >> 16, 3) + "-" + hex(mix(r + 1), 12) + ">";
  c.params = ";+sip.ice;reg-id=1;+sip.instance=\"" + c.instance + "\";expires=600";
  c.reg_id = 1;
  c.call_id = hex(mix(r + 2), 16) + hex(i, 6);
  c.cseq = cseq;
  c.flow_token = "1." + hex(mix(r + 3), 16) + hex(i, 8);
  c.epcscf_instance = "ep-1";
  c.path = {"<sip:" + c.flow_token + "@ep1.example;lr;ob>"};
  c.user_agent = "JsSIP 3.10.0";
  return c;
}

inline WebIdentity sample_identity(std::uint64_t i) {
  return WebIdentity{"https://wwsf.example", "user-" + std::to_string(i)};
}

/// Bytes of the strings a stored contact of WIC `i` holds (what "beyond its strings" excludes).
inline std::size_t contact_string_bytes(const ContactInfo& c) {
  std::size_t n = c.uri.size() + c.params.size() + c.instance.size() + c.call_id.size() +
                  c.flow_token.size() + c.epcscf_instance.size() + c.user_agent.size();
  for (const auto& p : c.path) {
    n += p.size() + 1;
  }
  return n;
}

}  // namespace wimpu::registrar::bench
