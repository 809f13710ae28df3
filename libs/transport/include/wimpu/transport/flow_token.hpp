#pragma once
// Flow tokens (RFC 5626 §5.2): an opaque, unforgeable string naming a flow, put by the edge proxy
// in the user part of its Path / Record-Route URI, so that a request coming back with it is routed
// down that very connection. RFC 5626 suggests HMAC-SHA1-80 over the 5-tuple; we MAC the flow's
// identity instead (epoch, shard, slot, generation) with HMAC-SHA256 truncated to 80 bits.
//
// Layout: base32 (RFC 4648 alphabet, lower case, no padding) of 24 bytes =
//   epoch(4) shard(2) slot(4) generation(4) | HMAC-SHA256(key, those 14 bytes)[0..10)
// 39 characters, all in [a-z2-7]: valid in a SIP URI user part and in a host label.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wimpu/common/expected.hpp"
#include "wimpu/transport/types.hpp"

namespace wimpu::transport {

/// Encodes and checks flow tokens. Pure computation, no flow table: NetTransport::decode_flow_token
/// adds the live/dead check.
///
/// Threading: const methods are safe from any thread concurrently (no shared mutable state).
class FlowTokenCodec {
public:
  /// Length of every token this codec makes.
  static constexpr std::size_t kTokenLength = 39;

  /// `key`: the HMAC key (any length; 32 random bytes recommended). `epoch`: a number that
  /// differs between runs of the process, so that a token minted before a restart, which names a
  /// slot that a new connection may now hold, is told apart (decode_checked says kFlowDead).
  FlowTokenCodec(std::string key, std::uint32_t epoch);

  /// The token for `flow` (must be valid()). Deterministic: the same flow gives the same token.
  std::string encode(const FlowId& flow) const;

  /// The flow named by `token`, or kTampered when it is malformed (length, alphabet) or its MAC is
  /// wrong (compared in constant time), or kFlowDead when it is genuine but from another epoch.
  /// Upper case input is accepted (base32 is case-insensitive). Counters:
  /// transport.flow_token.{malformed,bad_mac,other_epoch}.
  Expected<FlowId, FlowTokenError> decode(std::string_view token) const;

  std::uint32_t epoch() const { return epoch_; }

private:
  std::string key_;
  std::uint32_t epoch_;
};

}  // namespace wimpu::transport
