// Golden tests of the one self-signed certificate generator: the certificate parses, has the key
// type, subjectAltName entries, validity window and CA profile asked for, and a loopback TLS
// handshake verifying the peer against it as the only trust anchor succeeds (for a name it lists)
// and fails (for a name it does not list, or with another trust anchor).
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "wimpu/http/self_signed.hpp"
#include "wimpu/http/tls.hpp"

namespace wimpu::http {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using namespace std::chrono_literals;

struct Free {
  void operator()(X509* x) const { X509_free(x); }
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
};

std::unique_ptr<X509, Free> parse_cert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  std::unique_ptr<X509, Free> x(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return x;
}

std::unique_ptr<EVP_PKEY, Free> parse_key(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  std::unique_ptr<EVP_PKEY, Free> k(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return k;
}

// The subjectAltName entries as "DNS:name" / "IP:a.b.c.d" / "IP6:<16 bytes in hex>".
std::vector<std::string> san_entries(X509* x) {
  std::vector<std::string> out;
  std::unique_ptr<GENERAL_NAMES, Free> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    if (n->type == GEN_DNS) {
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(
                                             ASN1_STRING_get0_data(n->d.dNSName)),
                                         static_cast<std::size_t>(ASN1_STRING_length(n->d.dNSName))));
    } else if (n->type == GEN_IPADD) {
      const unsigned char* b = ASN1_STRING_get0_data(n->d.iPAddress);
      const int len = ASN1_STRING_length(n->d.iPAddress);
      std::ostringstream s;
      if (len == 4) {
        s << "IP:" << int{b[0]} << '.' << int{b[1]} << '.' << int{b[2]} << '.' << int{b[3]};
      } else {
        s << "IP6:" << std::hex;
        for (int j = 0; j < len; ++j) {
          s << int{b[j]} / 16 << int{b[j]} % 16;
        }
      }
      out.push_back(s.str());
    } else {
      out.push_back("other");
    }
  }
  return out;
}

std::string subject_field(X509* x, int nid) {
  char buf[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), nid, buf, sizeof buf) < 0) {
    return {};
  }
  return buf;
}

// Seconds from now to `t` (negative: in the past).
long seconds_from_now(const ASN1_TIME* t) {
  int days = 0;
  int secs = 0;
  EXPECT_EQ(ASN1_TIME_diff(&days, &secs, nullptr, t), 1);
  return days * 86400L + secs;
}

// One loopback TLS handshake: a server with `pem`, a client trusting only `anchor` and checking
// the certificate names `host` (RFC 6125 via OpenSSL's X509_check_host / X509_check_ip_asc).
// Returns the client's handshake error (success: no error).
boost::system::error_code handshake(const CertificatePem& pem, const std::string& anchor,
                                    const std::string& host) {
  asio::io_context io;
  auto server_ctx = make_server_tls_context(pem);
  EXPECT_TRUE(server_ctx) << (server_ctx ? "" : server_ctx.error());
  if (!server_ctx) {
    return asio::error::invalid_argument;
  }
  auto client_ctx = make_client_tls_context(anchor);
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  ssl::stream<tcp::socket> server(io, **server_ctx);
  ssl::stream<tcp::socket> client(io, *client_ctx);
  client.set_verify_callback(ssl::host_name_verification(host));

  boost::system::error_code client_ec = asio::error::would_block;
  acceptor.async_accept(server.next_layer(), [&](boost::system::error_code ec) {
    if (!ec) {
      server.async_handshake(ssl::stream_base::server, [](boost::system::error_code) {});
    }
  });
  client.next_layer().async_connect(acceptor.local_endpoint(), [&](boost::system::error_code ec) {
    if (ec) {
      client_ec = ec;
      return;
    }
    client.async_handshake(ssl::stream_base::client, [&](boost::system::error_code hs) {
      client_ec = hs;
      // Close both ends so that a server still waiting for the client's last flight stops.
      boost::system::error_code ignored;
      client.next_layer().close(ignored);
    });
  });
  io.run_for(20s);
  return client_ec;
}

class SelfSignedByKeyType : public ::testing::TestWithParam<CertKeyType> {};

TEST_P(SelfSignedByKeyType, ParsesWithRequestedKeySansAndValidity) {
  SelfSignedOptions o;
  o.key_type = GetParam();
  o.hosts = {"localhost", "127.0.0.1", "::1", "sip.example"};
  o.valid_for = 48h;
  o.backdate = 10min;
  auto pem = make_self_signed_certificate(o);
  ASSERT_TRUE(pem) << pem.error();

  auto x = parse_cert(pem->certificate);
  ASSERT_TRUE(x);
  auto key = parse_key(pem->private_key);
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(x.get(), key.get()), 1);
  EXPECT_EQ(X509_get_version(x.get()), X509_VERSION_3);

  EVP_PKEY* pub = X509_get0_pubkey(x.get());
  switch (GetParam()) {
    case CertKeyType::kP256: {
      EXPECT_EQ(EVP_PKEY_get_base_id(pub), EVP_PKEY_EC);
      char group[64] = {};
      std::size_t len = 0;
      ASSERT_EQ(EVP_PKEY_get_group_name(pub, group, sizeof group, &len), 1);
      EXPECT_STREQ(group, "prime256v1");
      break;
    }
    case CertKeyType::kEd25519:
      EXPECT_EQ(EVP_PKEY_get_base_id(pub), EVP_PKEY_ED25519);
      break;
    case CertKeyType::kRsa2048:
      EXPECT_EQ(EVP_PKEY_get_base_id(pub), EVP_PKEY_RSA);
      EXPECT_EQ(EVP_PKEY_get_bits(pub), 2048);
      break;
  }

  // Self-signed: issuer == subject, and the signature verifies with its own key.
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(x.get()), X509_get_issuer_name(x.get())), 0);
  EXPECT_EQ(X509_verify(x.get(), pub), 1);
  const ASN1_INTEGER* serial = X509_get0_serialNumber(x.get());
  EXPECT_GT(ASN1_STRING_length(serial), 8);  // random, not 1
  EXPECT_EQ(serial->type, V_ASN1_INTEGER);   // positive (RFC 5280 §4.1.2.2)

  const std::vector<std::string> expected = {"DNS:localhost", "IP:127.0.0.1",
                                             "IP6:00000000000000000000000000000001",
                                             "DNS:sip.example"};
  EXPECT_EQ(san_entries(x.get()), expected);
  EXPECT_EQ(subject_field(x.get(), NID_commonName), "localhost");  // the first host

  // The window: now - 10 min .. now + 48 h, give or take the test's own run time.
  EXPECT_NEAR(seconds_from_now(X509_get0_notBefore(x.get())), -600, 60);
  EXPECT_NEAR(seconds_from_now(X509_get0_notAfter(x.get())), 48 * 3600, 60);

  // The default profile is a CA (a trust anchor), for any purpose.
  EXPECT_EQ(X509_check_ca(x.get()), 1);
  EXPECT_TRUE(X509_get_key_usage(x.get()) & KU_KEY_CERT_SIGN);
  EXPECT_NE(X509_get0_subject_key_id(x.get()), nullptr);
  EXPECT_EQ(X509_get_extension_flags(x.get()) & EXFLAG_XKUSAGE, 0u);
}

TEST_P(SelfSignedByKeyType, LoopbackHandshakeVerifiesAgainstIt) {
  SelfSignedOptions o;
  o.key_type = GetParam();
  o.hosts = {"localhost", "127.0.0.1", "::1"};
  auto pem = make_self_signed_certificate(o);
  ASSERT_TRUE(pem) << pem.error();
  EXPECT_FALSE(handshake(*pem, pem->certificate, "localhost"));
  EXPECT_FALSE(handshake(*pem, pem->certificate, "127.0.0.1"));
  // A name it does not list, and another certificate as the trust anchor, fail.
  EXPECT_TRUE(handshake(*pem, pem->certificate, "other.example"));
  auto other = make_self_signed_certificate(o);
  ASSERT_TRUE(other) << other.error();
  EXPECT_TRUE(handshake(*pem, other->certificate, "localhost"));
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, SelfSignedByKeyType,
                         ::testing::Values(CertKeyType::kP256, CertKeyType::kEd25519,
                                           CertKeyType::kRsa2048),
                         [](const auto& p) {
                           switch (p.param) {
                             case CertKeyType::kP256:
                               return "P256";
                             case CertKeyType::kEd25519:
                               return "Ed25519";
                             case CertKeyType::kRsa2048:
                               return "Rsa2048";
                           }
                           return "unknown";
                         });

// The daemon's browser-facing profile: an end entity for the server role only.
TEST(SelfSigned, EndEntityServerAuthProfile) {
  SelfSignedOptions o;
  o.hosts = {"127.0.0.1", "wimpu.example"};
  o.organization = "wimpu self-signed";
  o.ca = false;
  o.server_auth_only = true;
  o.valid_for = 365 * 24h;
  auto pem = make_self_signed_certificate(o);
  ASSERT_TRUE(pem) << pem.error();
  auto x = parse_cert(pem->certificate);
  ASSERT_TRUE(x);
  EXPECT_EQ(X509_check_ca(x.get()), 0);
  EXPECT_TRUE(X509_get_extension_flags(x.get()) & EXFLAG_BCONS);  // CA:FALSE is stated
  EXPECT_EQ(X509_get_extended_key_usage(x.get()), static_cast<std::uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(subject_field(x.get(), NID_organizationName), "wimpu self-signed");
  EXPECT_EQ(subject_field(x.get(), NID_commonName), "127.0.0.1");
  EXPECT_NEAR(seconds_from_now(X509_get0_notAfter(x.get())), 365 * 86400L, 60);
  const std::vector<std::string> expected = {"IP:127.0.0.1", "DNS:wimpu.example"};
  EXPECT_EQ(san_entries(x.get()), expected);
  // Still usable as its own trust anchor by an OpenSSL client.
  EXPECT_FALSE(handshake(*pem, pem->certificate, "wimpu.example"));
}

TEST(SelfSigned, NoHostsMeansNoSanAndTheGivenCommonName) {
  SelfSignedOptions o;
  o.hosts = {};
  o.common_name = "127.0.0.1";
  auto pem = make_self_signed_certificate(o);
  ASSERT_TRUE(pem) << pem.error();
  auto x = parse_cert(pem->certificate);
  ASSERT_TRUE(x);
  EXPECT_TRUE(san_entries(x.get()).empty());
  EXPECT_EQ(subject_field(x.get(), NID_commonName), "127.0.0.1");

  o.common_name.clear();
  pem = make_self_signed_certificate(o);
  ASSERT_TRUE(pem) << pem.error();
  EXPECT_EQ(subject_field(parse_cert(pem->certificate).get(), NID_commonName), "wimpu");
}

TEST(SelfSigned, RefusesAHostTheSanSyntaxCannotCarry) {
  for (const std::string bad : {"", "a,b", "a b"}) {
    SelfSignedOptions o;
    o.hosts = {"localhost", bad};
    auto pem = make_self_signed_certificate(o);
    ASSERT_FALSE(pem) << bad;
    EXPECT_NE(pem.error().find("bad certificate host"), std::string::npos) << pem.error();
  }
}

TEST(SelfSigned, EveryCallMakesANewKeyAndSerial) {
  auto a = make_self_signed_certificate();
  auto b = make_self_signed_certificate();
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->private_key, b->private_key);
  auto xa = parse_cert(a->certificate);
  auto xb = parse_cert(b->certificate);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(xa.get()), X509_get0_serialNumber(xb.get())),
            0);
}

class TempDir {
public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "wimpu-selfsigned-XXXXXX").string();
    if (::mkdtemp(t.data()) == nullptr) {
      throw std::runtime_error("mkdtemp");
    }
    path_ = t;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

TEST(SelfSigned, WritesPemFilesWithPrivateKeyMode) {
  TempDir dir;
  const auto cert = dir.path() / "a" / "cert.pem";
  const auto key = dir.path() / "b" / "key.pem";
  // A key left world-readable by someone else is replaced, not reused with its mode.
  std::filesystem::create_directories(key.parent_path());
  std::ofstream(key) << "old";
  std::filesystem::permissions(key, std::filesystem::perms::all);

  auto pem = make_self_signed_certificate();
  ASSERT_TRUE(pem) << pem.error();
  auto written = write_pem_files(*pem, cert, key);
  ASSERT_TRUE(written) << written.error();
  EXPECT_EQ(read_all(cert), pem->certificate);
  EXPECT_EQ(read_all(key), pem->private_key);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(mode_of(key), 0600u);
  EXPECT_EQ(mode_of(cert), 0644u & ~mask);
  // The files serve a TLS server directly.
  EXPECT_TRUE(make_server_tls_context_files(cert.string(), key.string()));
}

TEST(SelfSigned, WriteReportsTheFileItCannotWrite) {
  TempDir dir;
  std::ofstream(dir.path() / "plain") << "x";
  auto pem = make_self_signed_certificate();
  ASSERT_TRUE(pem) << pem.error();
  auto written =
      write_pem_files(*pem, dir.path() / "cert.pem", dir.path() / "plain" / "sub" / "key.pem");
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().find("plain"), std::string::npos) << written.error();
}

}  // namespace
}  // namespace wimpu::http
