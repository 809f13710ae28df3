#pragma once
// Via header values (RFC 3261 §20.42, §18.2.1; RFC 3581 rport; RFC 7118 §5 WS/WSS; RFC 5118 §4.5).
#include <cstdint>
#include <optional>
#include <string_view>

#include "wimpu/sip/params.hpp"
#include "wimpu/sip/parse_error.hpp"
#include "wimpu/sip/uri.hpp"

namespace wimpu::sip {

/// Via transport token. kWs/kWss are RFC 7118 §5; kOther keeps the token in Via::transport_text.
enum class Transport : std::uint8_t { kUdp, kTcp, kTls, kSctp, kTlsSctp, kWs, kWss, kOther };

/// Maps a Via transport token case-insensitively ("udp", "WSS", ...); other tokens -> kOther.
Transport transport_from_text(std::string_view text) noexcept;
/// Upper-case Via token of `t` ("UDP", "WSS"); empty for kOther. Static storage.
std::string_view to_string(Transport t) noexcept;
/// True for transports with reliable delivery (RFC 3261 §17: no retransmissions on TCP/TLS/SCTP/WS).
bool is_reliable(Transport t) noexcept;

/// One via-parm. Non-owning views into the message text.
struct Via {
  std::string_view text;            ///< the whole value as received, without surrounding LWS
  std::string_view protocol;        ///< "SIP"
  std::string_view version;         ///< "2.0"
  std::string_view transport_text;  ///< as received ("UDP", "WSS", "UNKNOWN")
  Transport transport = Transport::kOther;
  std::string_view host;            ///< sent-by host; IPv6 keeps its brackets
  HostType host_type = HostType::kNone;
  std::optional<std::uint16_t> port;  ///< sent-by port when present
  std::string_view branch;          ///< empty when absent (RFC 2543 peers, RFC 4475 §3.4.1)
  std::string_view received;        ///< "received" value; empty when absent
  std::string_view maddr;
  std::optional<std::uint8_t> ttl;
  bool has_rport = false;           ///< "rport" present (RFC 3581 §4), with or without value
  std::optional<std::uint16_t> rport;  ///< rport value when present
  ParamList params;                 ///< all via-params incl. the above (Kind::kHeader)
  /// Index in Message::headers() of the header line this value came from (0 when parsed alone).
  std::uint32_t header_index = 0;

  /// Branch starts with the RFC 3261 magic cookie "z9hG4bK" (§8.1.1.7). Case-sensitive.
  bool has_magic_cookie() const { return branch.size() >= 7 && branch.substr(0, 7) == "z9hG4bK"; }
  /// "host[:port]" as received.
  std::string_view sent_by() const;
};

/// Parses one via-parm (no commas); LWS is allowed where RFC 3261 §25.1 allows it (around '/',
/// ';', '='). Offsets are relative to `text`. No allocation, never throws.
ParseResult<Via> parse_via(std::string_view text) noexcept;

}  // namespace wimpu::sip
