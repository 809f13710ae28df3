#pragma once
// The few fields the load engine needs from a response to its REGISTER, found by one pass over
// the status line and header names instead of a full SIP parse (most responses are a 200 that
// only has to be matched and counted). Anything unusual makes the scan give up, and the engine
// then parses the message fully with libs/sip.
#include <cstdint>
#include <string_view>

namespace wimpu::loadgen {

/// Matching fields of a SIP response (views into the scanned text).
struct ResponseHead {
  int status = 0;                ///< status code (RFC 3261 §7.2)
  std::string_view branch;       ///< branch param of the first Via value (§8.1.1.7, §17.1.3)
  std::string_view call_id;      ///< Call-ID (or compact "i")
  std::uint32_t cseq = 0;        ///< CSeq number
  std::string_view cseq_method;  ///< CSeq method
};

/// Scans `message` (one complete SIP message, RFC 7118: one per WebSocket message). True when it
/// is a response with a status line "SIP/2.0 NNN ...", a Via with a branch, a Call-ID and a
/// CSeq; false otherwise (not a response, a folded or malformed line, a missing field): the
/// caller then parses the message fully. Header names are case-insensitive and the compact
/// forms v (Via) and i (Call-ID) are understood (RFC 3261 §7.3.3). Pure function.
bool scan_response(std::string_view message, ResponseHead& head) noexcept;

}  // namespace wimpu::loadgen
