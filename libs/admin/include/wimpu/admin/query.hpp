#pragma once
// Query-string access for the admin routes. Only %XX is decoded: a literal '+' stays '+', since
// the values are IMPUs ("sip:+15550000000@block.example") and wimpuctl percent-encodes anyway.
#include <optional>
#include <string>
#include <string_view>

namespace wimpu::admin {

/// Percent-decodes `in` (RFC 3986 §2.1). nullopt on a malformed escape. Pure.
std::optional<std::string> percent_decode(std::string_view in);

/// Percent-encodes every byte outside RFC 3986 unreserved characters. Pure.
std::string percent_encode(std::string_view in);

/// The decoded value of the first `name` parameter of `target`'s query, or nullopt when absent or
/// malformed. Pure.
std::optional<std::string> query_param(std::string_view target, std::string_view name);

}  // namespace wimpu::admin
