#pragma once
// TLS 1.3 record protection (RFC 8446 §5.2-§5.3) and traffic-key derivation (§7.1-§7.3) for the
// application phase of a server connection whose handshake OpenSSL did: after it, TlsStream
// frees its SSL object and keeps only what this file needs (DirectionKeys, a few hundred bytes),
// the user-space equivalent of kTLS. All cryptography is OpenSSL's EVP.
//
// Layout of one record in a buffer: [5-byte header][ciphertext of TLSInnerPlaintext][16-byte
// tag]; TLSInnerPlaintext = content || content type || zeros (§5.2). Sealing and opening work in
// place. Threading: the functions use one EVP_CIPHER_CTX per suite and thread (thread_local),
// re-keyed per record, so a connection holds no cipher context; call them from any thread.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "wimpu/common/expected.hpp"

namespace wimpu::transport::detail::tls13 {

/// The cipher suites this record layer implements (RFC 8446 §B.4). Others stay on OpenSSL.
enum class Suite : std::uint8_t { kAes128GcmSha256, kAes256GcmSha384, kChacha20Poly1305Sha256 };

/// The suite for an IANA cipher-suite value (SSL_CIPHER_get_protocol_id), or nullopt.
std::optional<Suite> suite_from_id(std::uint16_t id);

/// RFC 8446 §5.1 and §5.2 limits.
inline constexpr std::size_t kHeaderSize = 5;
inline constexpr std::size_t kTagSize = 16;
inline constexpr std::size_t kMaxPlaintext = 16384;         // 2^14
inline constexpr std::size_t kMaxCiphertext = 16384 + 256;  // 2^14 + 256
inline constexpr std::size_t kMaxSecret = 48;               // SHA-384

/// ContentType (RFC 8446 §5.1).
enum class ContentType : std::uint8_t {
  kInvalid = 0,
  kChangeCipherSpec = 20,
  kAlert = 21,
  kHandshake = 22,
  kApplicationData = 23,
};

/// AlertDescription values this layer sends or interprets (RFC 8446 §6).
enum class Alert : std::uint8_t {
  kCloseNotify = 0,
  kUnexpectedMessage = 10,
  kBadRecordMac = 20,
  kRecordOverflow = 22,
  kDecodeError = 50,
  kInternalError = 80,
  kUserCanceled = 90,
};

/// One direction's traffic state: its current traffic secret (kept for KeyUpdate, §7.2), the
/// write key and IV derived from it (§7.3) and the record sequence number (§5.3).
struct DirectionKeys {
  std::array<std::uint8_t, kMaxSecret> secret{};
  std::array<std::uint8_t, 32> key{};
  std::array<std::uint8_t, 12> iv{};
  std::uint64_t seq = 0;
  std::uint8_t secret_size = 0;

  /// Overwrites everything with zeros (OPENSSL_cleanse).
  void wipe();
};

/// HKDF-Expand-Label(secret, label, context, out.size()) with the suite's hash (RFC 8446 §7.1;
/// the "tls13 " prefix is added here). False if OpenSSL fails.
bool hkdf_expand_label(Suite suite, const std::uint8_t* secret, std::size_t secret_size,
                       std::string_view label, std::string_view context, std::uint8_t* out,
                       std::size_t out_size);

/// Installs `secret` (the suite's hash length) in `keys`: key and IV derived, sequence 0.
bool install_secret(Suite suite, const std::uint8_t* secret, std::size_t secret_size,
                    DirectionKeys& keys);

/// KeyUpdate (RFC 8446 §7.2): secret = HKDF-Expand-Label(secret, "traffic upd", "", Hash.length),
/// new key and IV, sequence 0.
bool update_secret(Suite suite, DirectionKeys& keys);

/// Size of the record protecting `plaintext_size` content bytes without padding.
constexpr std::size_t sealed_size(std::size_t plaintext_size) {
  return kHeaderSize + plaintext_size + 1 + kTagSize;
}

/// Protects one record in place. `record` has sealed_size(n) bytes; the content is at
/// record + kHeaderSize (n <= kMaxPlaintext). Writes the header (type 23, version 0x0303), the
/// inner type, encrypts and appends the tag; the sequence number advances. False if OpenSSL fails.
bool seal(Suite suite, DirectionKeys& keys, ContentType type, std::uint8_t* record,
          std::size_t plaintext_size);

/// Checks a record header (RFC 8446 §5.1, §5.2): the number of bytes that follow it, or the
/// alert to send. The outer type must be application_data (23): after the handshake nothing else
/// is legal, change_cipher_spec included (§5). legacy_record_version is ignored (§5.1).
Expected<std::size_t, Alert> parse_header(const std::uint8_t* header);

/// A record opened in place: its inner type and its content, which starts right after the
/// header (record + kHeaderSize).
struct Opened {
  ContentType type = ContentType::kInvalid;
  std::size_t size = 0;
};

/// Removes the protection of one whole record (header included, `size` = kHeaderSize + the
/// header's length) in place: bad_record_mac if the tag does not verify, record_overflow over
/// 2^14 content bytes, unexpected_message for an all-zero TLSInnerPlaintext (§5.4). The sequence
/// number advances on success only.
Expected<Opened, Alert> open(Suite suite, DirectionKeys& keys, std::uint8_t* record,
                             std::size_t size);

}  // namespace wimpu::transport::detail::tls13

namespace wimpu::transport::detail::tls13 {

/// What the next record of an inbound byte stream was (RFC 8446 §5, §6, §4.6.3).
struct Inbound {
  enum class Kind : std::uint8_t {
    kNeedMore,     ///< No whole record yet: read more bytes (`consumed` is 0).
    kData,         ///< application_data: `size` content bytes (maybe none) at kHeaderSize.
    kCloseNotify,  ///< The peer's close_notify (§6.1).
    kIgnored,      ///< A record with nothing for the caller (user_canceled, §6.1).
    kKeyUpdate,    ///< The peer's KeyUpdate: the read keys are updated (§4.6.3).
    kPeerAlert,    ///< The peer's error alert (`alert`): the connection is over, send nothing.
    kFatal,        ///< Bad input: send the fatal `alert` and close.
  };
  Kind kind = Kind::kNeedMore;
  std::size_t consumed = 0;  ///< Bytes of the input this record took (header included).
  std::size_t size = 0;      ///< kData: content bytes, from kHeaderSize in the input.
  bool update_requested = false;  ///< kKeyUpdate: the peer wants ours (update_requested).
  std::uint8_t alert = 0;         ///< kPeerAlert, kFatal: the AlertDescription.
};

/// Takes the next record from `data` (`size` bytes received and not yet consumed), opens it in
/// place with `read` and interprets it. Handshake messages after the handshake: only a KeyUpdate
/// that fills its record exactly (§5.1: a message preceding a key change must end at the
/// record boundary); NewSessionTicket, CertificateRequest or anything else from a client is
/// unexpected_message. Never reads outside [data, data + size).
Inbound next_record(Suite suite, DirectionKeys& read, std::uint8_t* data, std::size_t size);

/// A KeyUpdate handshake message (§4.6.3) as content for seal(): 5 bytes.
inline constexpr std::size_t kKeyUpdateSize = 5;
void write_key_update(std::uint8_t* out, bool update_requested);

}  // namespace wimpu::transport::detail::tls13
