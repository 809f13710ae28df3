#pragma once
// The version-6 record form of the W4 Redis functions (docs/w4.md 5.2): how the client encodes
// a contact's `part` for w4_register_records, and decodes the record the function returns.
// The functions compare and splice these byte strings without decoding them (w4.lua), which is
// what brought the refresh under 10 µs of Redis CPU (bench/RESULTS.md, redis session 4).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wimpu/registrar/types.hpp"

namespace wimpu::registrar::detail {

/// Bytes of an entry before its part: expires_at (6), registered_at (6), updated_at (6), cseq (4).
inline constexpr std::size_t kEntryHead = 22;
/// Bytes of a part before its key: key, call_id and flow lengths (2 each), rest length (4).
inline constexpr std::size_t kPartHead = 10;
/// First byte of a version-6 record.
inline constexpr unsigned char kRecordFormat = 6;

/// Appends the part of `c` to `out`: its lengths, its binding key ("o<reg-id>:<instance>" when
/// both are set, RFC 5626 §6, else "u<uri>", RFC 3261 §10.3: equal keys <=> the same binding),
/// Call-ID, flow and MessagePack rest.
void append_part(const ContactInfo& c, std::string& out);

/// Appends the 8 bytes w4_register_records takes per contact: expires_s and cseq (big-endian).
void append_nums(std::uint32_t expires_s, std::uint32_t cseq, std::string& out);

/// Decodes a stored value of either form (version 6, or version 5's MessagePack) into its
/// contacts, appended to `out` with their remaining expiry at `now_ms`, and its owner's identity
/// key into `*owner` if given. False on any malformed input (nothing is trusted).
bool decode_record(std::string_view rec, std::int64_t now_ms, std::vector<ContactView>& out,
                   std::string_view* owner = nullptr);

}  // namespace wimpu::registrar::detail
