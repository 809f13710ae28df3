// Golden tests for the TLS 1.3 record layer (src/tls13_records): key and IV derivation and the
// application-data records of RFC 8448 §3 (simple 1-RTT handshake, TLS_AES_128_GCM_SHA256), and
// the error alerts of RFC 8446 §5 for records that are damaged, too long or empty.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "../src/tls13_records.hpp"

namespace wimpu::transport::detail::tls13 {
namespace {

std::vector<std::uint8_t> hex(const std::string& text) {
  std::vector<std::uint8_t> out;
  int hi = -1;
  for (char c : text) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
      continue;
    }
    const int v = std::isdigit(static_cast<unsigned char>(c)) != 0 ? c - '0'
                                                                  : std::tolower(c) - 'a' + 10;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

template <std::size_t N>
std::vector<std::uint8_t> prefix(const std::array<std::uint8_t, N>& a, std::size_t n) {
  return {a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n)};
}

// RFC 8448 §3: {client} / {server} "derive write traffic keys for application data".
const std::string kClientSecret =
    "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 "
    "04 a5";
const std::string kServerSecret =
    "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 "
    "16 43";

// RFC 8448 §3: {client} "send application_data record" (the first record under the client's
// application key, sequence 0) and {server} the answer (sequence 1: the NewSessionTicket was 0).
const std::string kClientRecord =
    "17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea 42 f9 14 aa 66 bc ab "
    "3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b 62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d "
    "ea e6 3a ee bb 21 69 49 15 e4";
const std::string kServerRecord =
    "17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc 32 25 d0 5f 82 aa 1b "
    "36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8 fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 "
    "32 54 0d d0 32 e1 67 c2 95 5d";

std::vector<std::uint8_t> payload_0_to_49() {
  std::vector<std::uint8_t> p(50);
  for (std::size_t i = 0; i < p.size(); ++i) {
    p[i] = static_cast<std::uint8_t>(i);
  }
  return p;
}

DirectionKeys keys_from(const std::string& secret_hex, Suite suite = Suite::kAes128GcmSha256) {
  DirectionKeys k;
  const auto s = hex(secret_hex);
  EXPECT_TRUE(install_secret(suite, s.data(), s.size(), k));
  return k;
}

TEST(Tls13Records, KeyAndIvFromRfc8448ApplicationSecrets) {
  const DirectionKeys client = keys_from(kClientSecret);
  EXPECT_EQ(prefix(client.key, 16), hex("17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51"));
  EXPECT_EQ(prefix(client.iv, 12), hex("5b 78 92 3d ee 08 57 90 33 e5 23 d9"));
  EXPECT_EQ(client.seq, 0u);
  const DirectionKeys server = keys_from(kServerSecret);
  EXPECT_EQ(prefix(server.key, 16), hex("9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56"));
  EXPECT_EQ(prefix(server.iv, 12), hex("cf 78 2b 88 dd 83 54 9a ad f1 e9 84"));
}

TEST(Tls13Records, SecretOfTheWrongLengthForTheSuiteIsRefused) {
  DirectionKeys k;
  const auto s = hex(kClientSecret);  // 32 bytes; AES-256-GCM uses SHA-384 (48)
  EXPECT_FALSE(install_secret(Suite::kAes256GcmSha384, s.data(), s.size(), k));
}

TEST(Tls13Records, OpensRfc8448ClientApplicationData) {
  DirectionKeys k = keys_from(kClientSecret);
  auto record = hex(kClientRecord);
  auto length = parse_header(record.data());
  ASSERT_TRUE(length.has_value());
  ASSERT_EQ(*length + kHeaderSize, record.size());
  auto opened = open(Suite::kAes128GcmSha256, k, record.data(), record.size());
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->type, ContentType::kApplicationData);
  const std::vector<std::uint8_t> content(record.begin() + kHeaderSize,
                                          record.begin() + kHeaderSize + opened->size);
  EXPECT_EQ(content, payload_0_to_49());
  EXPECT_EQ(k.seq, 1u);
}

TEST(Tls13Records, SealsRfc8448ServerApplicationDataByteForByte) {
  DirectionKeys k = keys_from(kServerSecret);
  k.seq = 1;  // the server's NewSessionTicket was record 0
  const auto payload = payload_0_to_49();
  std::vector<std::uint8_t> record(sealed_size(payload.size()));
  std::copy(payload.begin(), payload.end(), record.begin() + kHeaderSize);
  ASSERT_TRUE(seal(Suite::kAes128GcmSha256, k, ContentType::kApplicationData, record.data(),
                   payload.size()));
  EXPECT_EQ(record, hex(kServerRecord));
  EXPECT_EQ(k.seq, 2u);
}

TEST(Tls13Records, EverySuiteRoundTripsAndKeyUpdateChangesTheKeys) {
  for (Suite suite :
       {Suite::kAes128GcmSha256, Suite::kAes256GcmSha384, Suite::kChacha20Poly1305Sha256}) {
    const std::size_t hash = suite == Suite::kAes256GcmSha384 ? 48 : 32;
    std::vector<std::uint8_t> secret(hash, 0x42);
    DirectionKeys writer;
    DirectionKeys reader;
    ASSERT_TRUE(install_secret(suite, secret.data(), secret.size(), writer));
    ASSERT_TRUE(install_secret(suite, secret.data(), secret.size(), reader));
    for (int round = 0; round < 2; ++round) {
      const std::string text = "record " + std::to_string(round);
      std::vector<std::uint8_t> record(sealed_size(text.size()));
      std::copy(text.begin(), text.end(), record.begin() + kHeaderSize);
      ASSERT_TRUE(seal(suite, writer, ContentType::kApplicationData, record.data(), text.size()));
      auto opened = open(suite, reader, record.data(), record.size());
      ASSERT_TRUE(opened.has_value());
      EXPECT_EQ(std::string(record.begin() + kHeaderSize,
                            record.begin() + kHeaderSize + opened->size),
                text);
      const auto old_key = writer.key;
      ASSERT_TRUE(update_secret(suite, writer));
      ASSERT_TRUE(update_secret(suite, reader));
      EXPECT_NE(writer.key, old_key);
      EXPECT_EQ(writer.seq, 0u);
    }
  }
}

TEST(Tls13Records, TamperedRecordFailsWithBadRecordMacAndKeepsTheSequenceNumber) {
  DirectionKeys k = keys_from(kClientSecret);
  auto record = hex(kClientRecord);
  record[20] ^= 0x01;
  auto opened = open(Suite::kAes128GcmSha256, k, record.data(), record.size());
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error(), Alert::kBadRecordMac);
  EXPECT_EQ(k.seq, 0u);
  record = hex(kClientRecord);
  record[4] ^= 0x01;  // the header is the additional data
  EXPECT_FALSE(open(Suite::kAes128GcmSha256, k, record.data(), record.size()).has_value());
}

TEST(Tls13Records, HeaderChecks) {
  auto header = hex("17 03 03 41 00");  // 2^14 + 256
  EXPECT_EQ(*parse_header(header.data()), kMaxCiphertext);
  header = hex("17 03 03 41 01");
  EXPECT_EQ(parse_header(header.data()).error(), Alert::kRecordOverflow);
  header = hex("16 03 03 00 20");  // plaintext handshake after the handshake
  EXPECT_EQ(parse_header(header.data()).error(), Alert::kUnexpectedMessage);
  header = hex("14 03 03 00 01");  // change_cipher_spec after the handshake (§5)
  EXPECT_EQ(parse_header(header.data()).error(), Alert::kUnexpectedMessage);
  header = hex("17 03 03 00 10");  // a tag without content type
  EXPECT_EQ(parse_header(header.data()).error(), Alert::kBadRecordMac);
  header = hex("17 03 01 00 20");  // legacy_record_version is ignored (§5.1)
  EXPECT_TRUE(parse_header(header.data()).has_value());
}

TEST(Tls13Records, PaddingIsStrippedAndAllZeroPlaintextIsUnexpected) {
  std::vector<std::uint8_t> secret(32, 7);
  DirectionKeys w;
  DirectionKeys r;
  ASSERT_TRUE(install_secret(Suite::kAes128GcmSha256, secret.data(), 32, w));
  ASSERT_TRUE(install_secret(Suite::kAes128GcmSha256, secret.data(), 32, r));
  // "hi", type 23 and three zeros of padding: seal's own type byte is the third zero.
  std::vector<std::uint8_t> rec(sealed_size(5));
  const std::uint8_t inner[] = {'h', 'i', 23, 0, 0};
  std::copy(std::begin(inner), std::end(inner), rec.begin() + kHeaderSize);
  ASSERT_TRUE(seal(Suite::kAes128GcmSha256, w, ContentType::kInvalid, rec.data(), 5));
  auto opened = open(Suite::kAes128GcmSha256, r, rec.data(), rec.size());
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->type, ContentType::kApplicationData);
  EXPECT_EQ(opened->size, 2u);

  std::vector<std::uint8_t> zeros(sealed_size(3));
  ASSERT_TRUE(seal(Suite::kAes128GcmSha256, w, ContentType::kInvalid, zeros.data(), 3));
  EXPECT_EQ(open(Suite::kAes128GcmSha256, r, zeros.data(), zeros.size()).error(),
            Alert::kUnexpectedMessage);
}

TEST(Tls13Records, ContentOver2To14IsRecordOverflow) {
  std::vector<std::uint8_t> secret(32, 9);
  DirectionKeys w;
  DirectionKeys r;
  ASSERT_TRUE(install_secret(Suite::kChacha20Poly1305Sha256, secret.data(), 32, w));
  ASSERT_TRUE(install_secret(Suite::kChacha20Poly1305Sha256, secret.data(), 32, r));
  std::vector<std::uint8_t> rec(sealed_size(kMaxPlaintext + 1));
  rec[kHeaderSize] = 'x';
  rec[kHeaderSize + kMaxPlaintext - 1] = 23;  // ends with "type 23" then one zero of padding
  // 2^14 bytes whose last one is the type (23), then seal's type byte as one zero of padding.
  ASSERT_TRUE(seal(Suite::kChacha20Poly1305Sha256, w, ContentType::kInvalid, rec.data(),
                   kMaxPlaintext));
  rec.resize(sealed_size(kMaxPlaintext));
  auto ok = open(Suite::kChacha20Poly1305Sha256, r, rec.data(), rec.size());
  ASSERT_TRUE(ok.has_value());  // 2^14 + 1 inner bytes: the limit itself is legal
  EXPECT_EQ(ok->size, kMaxPlaintext - 1);
  // One byte more (2^14 + 2 inner bytes) is record_overflow, checked before decrypting.
  std::vector<std::uint8_t> big(kHeaderSize + kMaxPlaintext + 2 + kTagSize, 0);
  big[0] = 23;
  EXPECT_EQ(open(Suite::kChacha20Poly1305Sha256, r, big.data(), big.size()).error(),
            Alert::kRecordOverflow);
}

}  // namespace
}  // namespace wimpu::transport::detail::tls13

namespace wimpu::transport::detail::tls13 {
namespace {

// next_record: what each inner content type means after the handshake (RFC 8446 §4.6, §5, §6).
class NextRecord : public ::testing::Test {
protected:
  NextRecord() {
    const std::vector<std::uint8_t> secret(32, 0x5a);
    EXPECT_TRUE(install_secret(Suite::kAes128GcmSha256, secret.data(), 32, writer_));
    EXPECT_TRUE(install_secret(Suite::kAes128GcmSha256, secret.data(), 32, reader_));
  }
  std::vector<std::uint8_t> sealed(ContentType type, const std::vector<std::uint8_t>& content) {
    std::vector<std::uint8_t> rec(sealed_size(content.size()));
    std::copy(content.begin(), content.end(), rec.begin() + kHeaderSize);
    EXPECT_TRUE(seal(Suite::kAes128GcmSha256, writer_, type, rec.data(), content.size()));
    return rec;
  }
  Inbound next(std::vector<std::uint8_t>& wire) {
    return next_record(Suite::kAes128GcmSha256, reader_, wire.data(), wire.size());
  }
  DirectionKeys writer_;
  DirectionKeys reader_;
};

TEST_F(NextRecord, ApplicationDataAndPartialRecords) {
  auto wire = sealed(ContentType::kApplicationData, {'s', 'i', 'p'});
  std::vector<std::uint8_t> half(wire.begin(), wire.begin() + 10);
  EXPECT_EQ(next(half).kind, Inbound::Kind::kNeedMore);
  std::vector<std::uint8_t> four(wire.begin(), wire.begin() + 4);
  EXPECT_EQ(next(four).kind, Inbound::Kind::kNeedMore);
  const Inbound in = next(wire);
  ASSERT_EQ(in.kind, Inbound::Kind::kData);
  EXPECT_EQ(in.consumed, wire.size());
  EXPECT_EQ(std::string(wire.begin() + kHeaderSize, wire.begin() + kHeaderSize + in.size), "sip");
}

TEST_F(NextRecord, AlertsCloseNotifyUserCanceledAndErrors) {
  auto close = sealed(ContentType::kAlert, {1, 0});
  EXPECT_EQ(next(close).kind, Inbound::Kind::kCloseNotify);
  auto canceled = sealed(ContentType::kAlert, {1, 90});
  EXPECT_EQ(next(canceled).kind, Inbound::Kind::kIgnored);
  auto warning_error = sealed(ContentType::kAlert, {1, 42});  // any level: an error (§6)
  const Inbound in = next(warning_error);
  EXPECT_EQ(in.kind, Inbound::Kind::kPeerAlert);
  EXPECT_EQ(in.alert, 42);
  auto long_alert = sealed(ContentType::kAlert, {2, 20, 0});
  EXPECT_EQ(next(long_alert).alert, static_cast<std::uint8_t>(Alert::kDecodeError));
}

TEST_F(NextRecord, KeyUpdateChangesTheReadKeysAtTheRecordBoundary) {
  auto update = sealed(ContentType::kHandshake, {24, 0, 0, 1, 1});
  const Inbound in = next(update);
  ASSERT_EQ(in.kind, Inbound::Kind::kKeyUpdate);
  EXPECT_TRUE(in.update_requested);
  EXPECT_EQ(reader_.seq, 0u);
  ASSERT_TRUE(update_secret(Suite::kAes128GcmSha256, writer_));
  auto after = sealed(ContentType::kApplicationData, {'x'});
  EXPECT_EQ(next(after).kind, Inbound::Kind::kData);
}

TEST_F(NextRecord, OtherPostHandshakeMessagesAreRefused) {
  const auto alert_of = [this](ContentType type, const std::vector<std::uint8_t>& content) {
    auto wire = sealed(type, content);
    const Inbound in = next(wire);
    EXPECT_EQ(in.kind, Inbound::Kind::kFatal);
    return static_cast<Alert>(in.alert);
  };
  const auto unexpected = Alert::kUnexpectedMessage;
  EXPECT_EQ(alert_of(ContentType::kHandshake, {4, 0, 0, 1, 0}), unexpected);   // NewSessionTicket
  EXPECT_EQ(alert_of(ContentType::kHandshake, {13, 0, 0, 1, 0}), unexpected);  // CertificateRequest
  EXPECT_EQ(alert_of(ContentType::kHandshake, {24, 0, 0}), unexpected);        // a fragment
  EXPECT_EQ(alert_of(ContentType::kHandshake, {24, 0, 0, 1, 0, 24, 0, 0, 1, 0}), unexpected);
  EXPECT_EQ(alert_of(ContentType::kHandshake, {24, 0, 0, 1, 2}), Alert::kDecodeError);
  EXPECT_EQ(alert_of(ContentType::kChangeCipherSpec, {1}), unexpected);
}

}  // namespace
}  // namespace wimpu::transport::detail::tls13
