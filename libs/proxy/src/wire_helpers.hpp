#pragma once
// Small message-level helpers of the proxy core: next-hop resolution (§16.6 step 7, RFC 3263
// without DNS), the Via received/rport fix-up (§18.2.1, RFC 3581 §4) and the loop-detection hash
// (§16.6 step 8, §16.3 item 4).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "wimpu/sip/message.hpp"
#include "wimpu/transaction/types.hpp"

namespace wimpu::proxy::detail {

/// Where a sip/sips URI points: protocol from "transport" (sips: TLS/WSS), the host as an IP
/// literal (we do no DNS on a shard: names are not resolved), the port or the default.
/// Returns false when it cannot be resolved.
bool resolve_uri(const sip::Uri& uri, transaction::Peer& out);

/// Room for the text of any address format_address() writes (an IPv6 address with a scope).
using AddressText = std::array<char, 64>;

/// The text of `address` as the "received" Via parameter carries it (RFC 3261 §18.2.1, §25.1
/// IPv4address / IPv6address, no brackets): the same text as address::to_string(), written into
/// `buf` without inet_ntop/sprintf for IPv4 (every request from a WebSocket client needs it).
/// The view points into `buf`.
std::string_view format_address(const boost::asio::ip::address& address, AddressText& buf);

/// §18.2.1 / RFC 3581 §4: the top Via as it must be forwarded: with "received" when the sent-by
/// host is not the packet source or rport was asked for, and "rport=<source port>" filling an
/// empty rport. Returns false (out untouched) when no change is needed.
bool via_with_received(const sip::Via& via, const transaction::Endpoint& source, std::string& out);

/// Appends the loop-detection hash of `request` (16 hex digits) over the fields of §16.6 step 8
/// that a looping request keeps: Request-URI as received, From tag, To tag, Call-ID, CSeq number,
/// Proxy-Require and Proxy-Authorization. The top Via is left out (RFC 5393 §4.2's reading: with
/// it, a loop through other proxies could never be detected).
void append_loop_hash(const sip::Message& request, std::string& out);

/// Deterministic 16-hex branch part for stateless forwarding (§16.11): a hash of the received
/// top Via's branch and sent-by, so a retransmitted ACK gets the same branch.
void append_stateless_hash(const sip::Message& request, std::string& out);

}  // namespace wimpu::proxy::detail
