#pragma once
// One UTF-8 validator for every place that must refuse malformed text: Diameter UTF8String AVPs
// (RFC 6733 §4.3.1), token claims (RFC 8259 §8.1) and WebSocket text frames (RFC 6455 §5.6,
// RFC 7118 §4.2).
#include <string_view>

namespace wimpu::common {

/// True when `text` is well-formed UTF-8 exactly as RFC 3629 §4 defines it: no overlong forms,
/// no UTF-16 surrogates (U+D800-U+DFFF), nothing above U+10FFFF, no truncated sequence at the
/// end. The empty string is valid. Runs of ASCII are checked 32 (SSE2) or 8 octets at a time, since
/// SIP and Diameter text is nearly always ASCII. Pure function: thread-safe, no allocation.
bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace wimpu::common
