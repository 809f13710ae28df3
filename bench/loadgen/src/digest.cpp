#include "wimpu/loadgen/digest.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdio>

#include "wimpu/common/assert.hpp"
#include "wimpu/sip/params.hpp"

namespace wimpu::loadgen {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto ca = static_cast<unsigned char>(a[i]);
    const auto cb = static_cast<unsigned char>(b[i]);
    if ((ca | 0x20) != (cb | 0x20)) {
      return false;
    }
  }
  return true;
}

std::string unquoted(std::string_view v) {
  std::string out;
  sip::append_unquoted(v, out);
  return out;
}

const EVP_MD* md_for(std::string_view algorithm) {
  if (algorithm.empty() || iequals(algorithm, "MD5")) {
    return EVP_md5();
  }
  if (iequals(algorithm, "SHA-256")) {
    return EVP_sha256();
  }
  return nullptr;
}

void append_hex(std::string& out, const unsigned char* p, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 0xf]);
  }
}

}  // namespace

Expected<DigestChallenge, Error> parse_digest_challenge(const sip::AuthValue& value) {
  if (!iequals(value.scheme, "Digest")) {
    return Error("challenge scheme is not Digest: " + std::string(value.scheme));
  }
  DigestChallenge c;
  c.realm = unquoted(value.param("realm"));
  c.nonce = unquoted(value.param("nonce"));
  c.opaque = unquoted(value.param("opaque"));
  c.algorithm = unquoted(value.param("algorithm"));
  if (c.algorithm.empty()) {
    c.algorithm = "MD5";  // RFC 2617 §3.2.1: absent means MD5
  }
  if (md_for(c.algorithm) == nullptr) {
    return Error("unsupported digest algorithm " + c.algorithm);
  }
  if (c.nonce.empty()) {
    return Error("digest challenge without nonce");
  }
  const std::string qop = unquoted(value.param("qop"));
  if (!qop.empty()) {
    // qop-options is a comma-separated list of tokens (RFC 2617 §3.2.1).
    std::string_view rest = qop;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      std::string_view tok = rest.substr(0, comma);
      while (!tok.empty() && (tok.front() == ' ' || tok.front() == '\t')) {
        tok.remove_prefix(1);
      }
      while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t')) {
        tok.remove_suffix(1);
      }
      if (iequals(tok, "auth")) {
        c.qop_auth = true;
      }
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    if (!c.qop_auth) {
      return Error("digest challenge offers qop '" + qop + "' without auth");
    }
  }
  c.stale = iequals(unquoted(value.param("stale")), "true");
  return c;
}

std::string ephemeral_username(std::int64_t expiry_unix_seconds, std::string_view user) {
  std::string out = std::to_string(expiry_unix_seconds);
  out.push_back(':');
  out.append(user);
  return out;
}

std::string ephemeral_password(std::string_view secret, std::string_view username) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  const unsigned char* ok =
      HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(username.data()), username.size(), mac.data(),
           &mac_len);
  WIMPU_RELEASE_ASSERT(ok != nullptr);
  std::string out(4 * ((mac_len + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac.data(),
                                static_cast<int>(mac_len));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string digest_hex(std::string_view algorithm, std::string_view data) {
  const EVP_MD* md = md_for(algorithm);
  WIMPU_RELEASE_ASSERT(md != nullptr);
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  WIMPU_RELEASE_ASSERT(EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) == 1);
  std::string hex;
  hex.reserve(2 * len);
  append_hex(hex, out.data(), len);
  return hex;
}

std::string digest_response(std::string_view algorithm, std::string_view username,
                            std::string_view realm, std::string_view password,
                            std::string_view method, std::string_view uri, std::string_view nonce,
                            std::string_view nc, std::string_view cnonce, bool qop_auth) {
  std::string a1;
  a1.append(username).append(":").append(realm).append(":").append(password);
  std::string a2;
  a2.append(method).append(":").append(uri);
  std::string kd = digest_hex(algorithm, a1);
  kd.append(":").append(nonce).append(":");
  if (qop_auth) {
    kd.append(nc).append(":").append(cnonce).append(":auth:");
  }
  kd.append(digest_hex(algorithm, a2));
  return digest_hex(algorithm, kd);
}

void build_digest_authorization(DigestCredentials& creds, const DigestChallenge& challenge,
                                std::string_view method, std::string_view uri, std::string& out) {
  ++creds.nc;
  char nc[9];
  std::snprintf(nc, sizeof(nc), "%08x", creds.nc);
  const std::string response =
      digest_response(challenge.algorithm, creds.username, challenge.realm, creds.password,
                      method, uri, challenge.nonce, nc, creds.cnonce, challenge.qop_auth);
  out.clear();
  out.append("Digest username=\"").append(creds.username);
  out.append("\", realm=\"").append(challenge.realm);
  out.append("\", nonce=\"").append(challenge.nonce);
  out.append("\", uri=\"").append(uri);
  out.append("\", response=\"").append(response);
  out.append("\", algorithm=").append(challenge.algorithm);
  if (challenge.qop_auth) {
    out.append(", qop=auth, nc=").append(nc);
    out.append(", cnonce=\"").append(creds.cnonce).append("\"");
  }
  if (!challenge.opaque.empty()) {
    out.append(", opaque=\"").append(challenge.opaque).append("\"");
  }
}

}  // namespace wimpu::loadgen
