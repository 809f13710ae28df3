#include "tls13_records.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <cstring>

#include "wimpu/common/assert.hpp"

namespace wimpu::transport::detail::tls13 {
namespace {

struct SuiteInfo {
  const char* cipher;  // EVP_CIPHER_fetch name
  const char* digest;  // HKDF hash (RFC 8446 §B.4)
  std::size_t key_size;
  std::size_t hash_size;
};

constexpr SuiteInfo kSuites[] = {
    {"AES-128-GCM", "SHA256", 16, 32},
    {"AES-256-GCM", "SHA384", 32, 48},
    {"ChaCha20-Poly1305", "SHA256", 32, 32},
};

const SuiteInfo& info(Suite s) { return kSuites[static_cast<std::size_t>(s)]; }

// Fetched once per process (OpenSSL 3 implicit fetches per call cost a lock and a lookup).
EVP_CIPHER* cipher_of(Suite s) {
  static EVP_CIPHER* const ciphers[3] = {
      EVP_CIPHER_fetch(nullptr, kSuites[0].cipher, nullptr),
      EVP_CIPHER_fetch(nullptr, kSuites[1].cipher, nullptr),
      EVP_CIPHER_fetch(nullptr, kSuites[2].cipher, nullptr),
  };
  return ciphers[static_cast<std::size_t>(s)];
}

EVP_KDF* hkdf() {
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  return kdf;
}

// One cipher context per suite and thread (a shard is one thread), initialised with its cipher
// once and re-keyed per record with EVP_CipherInit_ex2(ctx, nullptr, key, nonce): AES-GCM key
// setup is ~100 ns with AES-NI, while a context per connection and direction costs ~1 KiB each
// of idle memory (bench/RESULTS.md, figure 3 session 5).
struct ThreadContexts {
  std::array<EVP_CIPHER_CTX*, 3> ctx{};
  ~ThreadContexts() {
    for (EVP_CIPHER_CTX* c : ctx) {
      EVP_CIPHER_CTX_free(c);
    }
  }
};

EVP_CIPHER_CTX* context_for(Suite s) {
  thread_local ThreadContexts contexts;
  EVP_CIPHER_CTX*& c = contexts.ctx[static_cast<std::size_t>(s)];
  if (c == nullptr) {
    EVP_CIPHER* cipher = cipher_of(s);
    if (cipher == nullptr) {
      return nullptr;
    }
    c = EVP_CIPHER_CTX_new();
    if (c == nullptr || EVP_CipherInit_ex2(c, cipher, nullptr, nullptr, 1, nullptr) != 1) {
      EVP_CIPHER_CTX_free(c);
      c = nullptr;
    }
  }
  return c;
}

// RFC 8446 §5.3: the 64-bit sequence number, big-endian and left-padded to the IV length,
// XORed with the static IV.
std::array<std::uint8_t, 12> nonce_for(const DirectionKeys& k) {
  std::array<std::uint8_t, 12> nonce = k.iv;
  for (int i = 0; i < 8; ++i) {
    nonce[11 - static_cast<std::size_t>(i)] ^= static_cast<std::uint8_t>(k.seq >> (8 * i));
  }
  return nonce;
}

void write_header(std::uint8_t* h, std::size_t length) {
  h[0] = static_cast<std::uint8_t>(ContentType::kApplicationData);
  h[1] = 0x03;  // legacy_record_version 0x0303 (§5.1)
  h[2] = 0x03;
  h[3] = static_cast<std::uint8_t>(length >> 8);
  h[4] = static_cast<std::uint8_t>(length);
}

enum class Direction { kSeal, kOpen };
enum class AeadResult { kOk, kBadTag, kFailed };

// AEAD-Encrypt or AEAD-Decrypt of one record in place (RFC 8446 §5.2): the additional data is
// the 5-byte header, the `inner` bytes of TLSInnerPlaintext follow it, then the tag, which
// sealing writes and opening verifies (kBadTag when it does not: bad_record_mac). kFailed when
// OpenSSL fails otherwise.
AeadResult aead(Suite suite, const DirectionKeys& keys, Direction direction, std::uint8_t* record,
                std::size_t inner) {
  EVP_CIPHER_CTX* ctx = context_for(suite);
  if (ctx == nullptr) {
    return AeadResult::kFailed;
  }
  const bool seal = direction == Direction::kSeal;
  std::uint8_t* body = record + kHeaderSize;
  std::uint8_t* tag = body + inner;
  const auto nonce = nonce_for(keys);
  int n = 0;
  int fin = 0;
  if (EVP_CipherInit_ex2(ctx, nullptr, keys.key.data(), nonce.data(), seal ? 1 : 0, nullptr) !=
          1 ||
      EVP_CipherUpdate(ctx, nullptr, &n, record, static_cast<int>(kHeaderSize)) != 1 ||
      EVP_CipherUpdate(ctx, body, &n, body, static_cast<int>(inner)) != 1 ||
      (!seal && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagSize),
                                    tag) != 1)) {
    return AeadResult::kFailed;
  }
  if (EVP_CipherFinal_ex(ctx, body + n, &fin) != 1) {
    return seal ? AeadResult::kFailed : AeadResult::kBadTag;
  }
  if (seal &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagSize), tag) != 1) {
    return AeadResult::kFailed;
  }
  return AeadResult::kOk;
}

bool derive_keys(Suite suite, DirectionKeys& k) {
  const SuiteInfo& si = info(suite);
  return hkdf_expand_label(suite, k.secret.data(), k.secret_size, "key", "", k.key.data(),
                           si.key_size) &&
         hkdf_expand_label(suite, k.secret.data(), k.secret_size, "iv", "", k.iv.data(),
                           k.iv.size());
}

}  // namespace

void DirectionKeys::wipe() {
  OPENSSL_cleanse(secret.data(), secret.size());
  OPENSSL_cleanse(key.data(), key.size());
  OPENSSL_cleanse(iv.data(), iv.size());
  seq = 0;
  secret_size = 0;
}

std::optional<Suite> suite_from_id(std::uint16_t id) {
  switch (id) {
    case 0x1301:
      return Suite::kAes128GcmSha256;
    case 0x1302:
      return Suite::kAes256GcmSha384;
    case 0x1303:
      return Suite::kChacha20Poly1305Sha256;
    default:
      return std::nullopt;
  }
}

bool hkdf_expand_label(Suite suite, const std::uint8_t* secret, std::size_t secret_size,
                       std::string_view label, std::string_view context, std::uint8_t* out,
                       std::size_t out_size) {
  // struct { uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255>; }
  static constexpr std::string_view kPrefix = "tls13 ";
  if (label.size() + kPrefix.size() > 255 || context.size() > 255 || out_size > 0xffff) {
    return false;
  }
  std::array<std::uint8_t, 2 + 1 + 255 + 1 + 255> info_bytes{};
  std::size_t n = 0;
  info_bytes[n++] = static_cast<std::uint8_t>(out_size >> 8);
  info_bytes[n++] = static_cast<std::uint8_t>(out_size);
  info_bytes[n++] = static_cast<std::uint8_t>(kPrefix.size() + label.size());
  std::memcpy(&info_bytes[n], kPrefix.data(), kPrefix.size());
  n += kPrefix.size();
  std::memcpy(&info_bytes[n], label.data(), label.size());
  n += label.size();
  info_bytes[n++] = static_cast<std::uint8_t>(context.size());
  std::memcpy(&info_bytes[n], context.data(), context.size());
  n += context.size();

  EVP_KDF* kdf = hkdf();
  if (kdf == nullptr) {
    return false;
  }
  EVP_KDF_CTX* kctx = EVP_KDF_CTX_new(kdf);
  if (kctx == nullptr) {
    return false;
  }
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;  // the secret is already a PRK (§7.1)
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                       const_cast<char*>(info(suite).digest), 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(secret),
                                        secret_size),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info_bytes.data(), n),
      OSSL_PARAM_construct_end(),
  };
  const bool ok = EVP_KDF_derive(kctx, out, out_size, params) == 1;
  EVP_KDF_CTX_free(kctx);
  return ok;
}

bool install_secret(Suite suite, const std::uint8_t* secret, std::size_t secret_size,
                    DirectionKeys& keys) {
  if (secret_size != info(suite).hash_size || secret_size > keys.secret.size()) {
    return false;
  }
  std::memcpy(keys.secret.data(), secret, secret_size);
  keys.secret_size = static_cast<std::uint8_t>(secret_size);
  keys.seq = 0;
  return derive_keys(suite, keys);
}

bool update_secret(Suite suite, DirectionKeys& keys) {
  std::array<std::uint8_t, kMaxSecret> next{};
  if (!hkdf_expand_label(suite, keys.secret.data(), keys.secret_size, "traffic upd", "",
                         next.data(), keys.secret_size)) {
    return false;
  }
  const bool ok = install_secret(suite, next.data(), keys.secret_size, keys);
  OPENSSL_cleanse(next.data(), next.size());
  return ok;
}

bool seal(Suite suite, DirectionKeys& keys, ContentType type, std::uint8_t* record,
          std::size_t plaintext_size) {
  WIMPU_ASSERT(plaintext_size <= kMaxPlaintext);
  const std::size_t inner = plaintext_size + 1;
  write_header(record, inner + kTagSize);
  record[kHeaderSize + plaintext_size] = static_cast<std::uint8_t>(type);
  if (aead(suite, keys, Direction::kSeal, record, inner) != AeadResult::kOk) {
    return false;
  }
  ++keys.seq;
  return true;
}

Expected<std::size_t, Alert> parse_header(const std::uint8_t* header) {
  if (header[0] != static_cast<std::uint8_t>(ContentType::kApplicationData)) {
    return Alert::kUnexpectedMessage;
  }
  const std::size_t length = (std::size_t{header[3]} << 8) | header[4];
  if (length > kMaxCiphertext) {
    return Alert::kRecordOverflow;
  }
  if (length < kTagSize + 1) {
    return Alert::kBadRecordMac;  // too short to hold a tag and a content type: cannot verify
  }
  return length;
}

Expected<Opened, Alert> open(Suite suite, DirectionKeys& keys, std::uint8_t* record,
                             std::size_t size) {
  WIMPU_ASSERT(size >= kHeaderSize + kTagSize + 1);
  std::uint8_t* body = record + kHeaderSize;
  const std::size_t inner = size - kHeaderSize - kTagSize;
  if (inner > kMaxPlaintext + 1) {
    return Alert::kRecordOverflow;  // §5.2: TLSInnerPlaintext is at most 2^14 + 1 bytes
  }
  switch (aead(suite, keys, Direction::kOpen, record, inner)) {
    case AeadResult::kOk:
      break;
    case AeadResult::kBadTag:
      return Alert::kBadRecordMac;
    case AeadResult::kFailed:
      return Alert::kInternalError;
  }
  ++keys.seq;
  // §5.4: the content type is the last non-zero byte; padding zeros follow it.
  std::size_t end = inner;
  while (end > 0 && body[end - 1] == 0) {
    --end;
  }
  if (end == 0) {
    return Alert::kUnexpectedMessage;
  }
  const std::size_t content = end - 1;
  return Opened{static_cast<ContentType>(body[content]), content};
}

}  // namespace wimpu::transport::detail::tls13

namespace wimpu::transport::detail::tls13 {
namespace {

constexpr std::uint8_t kKeyUpdateType = 24;  // HandshakeType key_update (§4)

Inbound fatal(Alert a, std::size_t consumed) {
  Inbound in;
  in.kind = Inbound::Kind::kFatal;
  in.alert = static_cast<std::uint8_t>(a);
  in.consumed = consumed;
  return in;
}

// A post-handshake handshake record (§4.6): only a whole KeyUpdate alone in its record.
Inbound handshake_record(Suite suite, DirectionKeys& read, const std::uint8_t* m, std::size_t n,
                         std::size_t consumed) {
  if (n < 4) {
    return fatal(Alert::kUnexpectedMessage, consumed);  // a fragment of a message
  }
  const std::size_t length = (std::size_t{m[1]} << 16) | (std::size_t{m[2]} << 8) | m[3];
  if (m[0] != kKeyUpdateType) {
    return fatal(Alert::kUnexpectedMessage, consumed);
  }
  if (length != 1 || (n > 4 && m[4] > 1)) {
    return fatal(Alert::kDecodeError, consumed);  // KeyUpdateRequest is one byte, 0 or 1
  }
  if (n != 4 + length) {
    return fatal(Alert::kUnexpectedMessage, consumed);  // not aligned with the record (§5.1)
  }
  if (!update_secret(suite, read)) {
    return fatal(Alert::kInternalError, consumed);
  }
  Inbound in;
  in.kind = Inbound::Kind::kKeyUpdate;
  in.consumed = consumed;
  in.update_requested = m[4] == 1;
  return in;
}

}  // namespace

Inbound next_record(Suite suite, DirectionKeys& read, std::uint8_t* data, std::size_t size) {
  if (size < kHeaderSize) {
    return Inbound{};
  }
  const auto length = parse_header(data);
  if (!length) {
    return fatal(length.error(), 0);
  }
  const std::size_t total = kHeaderSize + *length;
  if (size < total) {
    return Inbound{};
  }
  const auto opened = open(suite, read, data, total);
  if (!opened) {
    return fatal(opened.error(), total);
  }
  const std::uint8_t* content = data + kHeaderSize;
  switch (opened->type) {
    case ContentType::kApplicationData: {
      Inbound in;
      in.kind = Inbound::Kind::kData;
      in.consumed = total;
      in.size = opened->size;
      return in;
    }
    case ContentType::kAlert: {
      if (opened->size != 2) {
        return fatal(Alert::kDecodeError, total);
      }
      Inbound in;
      in.consumed = total;
      in.alert = content[1];
      // §6: close_notify ends the stream; user_canceled is followed by one; any other alert,
      // whatever its level, is an error alert.
      if (content[1] == static_cast<std::uint8_t>(Alert::kCloseNotify)) {
        in.kind = Inbound::Kind::kCloseNotify;
      } else if (content[1] == static_cast<std::uint8_t>(Alert::kUserCanceled)) {
        in.kind = Inbound::Kind::kIgnored;
      } else {
        in.kind = Inbound::Kind::kPeerAlert;
      }
      return in;
    }
    case ContentType::kHandshake:
      return handshake_record(suite, read, content, opened->size, total);
    default:
      return fatal(Alert::kUnexpectedMessage, total);
  }
}

void write_key_update(std::uint8_t* out, bool update_requested) {
  out[0] = kKeyUpdateType;
  out[1] = 0;
  out[2] = 0;
  out[3] = 1;
  out[4] = update_requested ? 1 : 0;
}

}  // namespace wimpu::transport::detail::tls13
