#pragma once
// SIP request methods. Method names are case-sensitive tokens (RFC 3261 §7.1); extension methods
// are any other token and keep their text (see Message::method_text()).
#include <cstdint>
#include <string_view>

namespace wimpu::sip {

/// Well-known methods; kExtension stands for any other token (RFC 3261 §7.1, RFC 4475 §3.1.1.2).
enum class Method : std::uint8_t {
  kExtension,
  kInvite,
  kAck,
  kBye,
  kCancel,
  kRegister,
  kOptions,
  kInfo,
  kPrack,
  kUpdate,
  kSubscribe,
  kNotify,
  kRefer,
  kMessage,
  kPublish,
};

/// Maps a method token (exact, case-sensitive match) to its enum; any other text -> kExtension.
/// Does not validate that `text` is a token. Thread-safe, allocation-free.
Method method_from_text(std::string_view text) noexcept;

/// Canonical upper-case name of `m` ("INVITE"); empty for kExtension. Static storage.
std::string_view to_string(Method m) noexcept;

}  // namespace wimpu::sip
