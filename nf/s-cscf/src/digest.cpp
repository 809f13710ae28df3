#include "wimpu/s_cscf/digest.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>

#include "wimpu/common/counter.hpp"
#include "wimpu/sip/header_values.hpp"

namespace wimpu::s_cscf {
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string hex(const unsigned char* p, std::size_t n) {
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 0xf];
  }
  return out;
}

std::string unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    v = v.substr(1, v.size() - 2);
  }
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      ++i;
    }
    out += v[i];
  }
  return out;
}

}  // namespace

std::string md5_hex(std::string_view text) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), out, &len, EVP_md5(), nullptr);
  return hex(out, len);
}

DigestCredentials parse_digest_params(std::string_view params) {
  sip::AuthValue v;
  v.params = params;
  DigestCredentials c;
  c.username = unquote(v.param("username"));
  c.realm = unquote(v.param("realm"));
  c.nonce = unquote(v.param("nonce"));
  c.uri = unquote(v.param("uri"));
  c.response = unquote(v.param("response"));
  c.qop = unquote(v.param("qop"));
  c.nc = unquote(v.param("nc"));
  c.cnonce = unquote(v.param("cnonce"));
  c.algorithm = unquote(v.param("algorithm"));
  c.integrity_protected = unquote(v.param("integrity-protected"));
  return c;
}

std::string digest_response(std::string_view ha1, std::string_view nonce, std::string_view nc,
                            std::string_view cnonce, std::string_view qop,
                            std::string_view method, std::string_view uri) {
  std::string a2(method);
  a2 += ':';
  a2 += uri;
  std::string kd(ha1);
  for (std::string_view part : {nonce, nc, cnonce, qop}) {
    kd += ':';
    kd += part;
  }
  kd += ':';
  kd += md5_hex(a2);
  return md5_hex(kd);
}

NonceTable::NonceTable(common::ClockPtr clock, std::chrono::seconds ttl)
    : clock_(std::move(clock)), ttl_(ttl) {}

std::string NonceTable::issue(Issued issued) {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    common::counter("s_cscf.digest.rand_failed").inc();
  }
  std::string nonce = hex(raw, sizeof raw);
  const std::lock_guard lock(mutex_);
  entries_[nonce] = Entry{std::move(issued), clock_->now() + ttl_, 0};
  return nonce;
}

std::optional<std::string> NonceTable::reissue(std::string_view old_nonce) {
  Issued copy;
  {
    const std::lock_guard lock(mutex_);
    auto it = entries_.find(old_nonce);
    if (it == entries_.end()) {
      return std::nullopt;
    }
    copy = it->second.issued;
    entries_.erase(it);
  }
  return issue(std::move(copy));
}

DigestCheck NonceTable::check(const DigestCredentials& creds, std::string_view method,
                              Issued* out) {
  const std::lock_guard lock(mutex_);
  auto it = entries_.find(creds.nonce);
  if (it == entries_.end()) {
    return DigestCheck::kUnknownNonce;
  }
  Entry& e = it->second;
  if (creds.username != e.issued.impi || creds.realm != e.issued.realm) {
    return DigestCheck::kWrongUser;
  }
  // We offer qop="auth" only (TS 33.203 Annex N): the RFC 2069 form without qop is refused.
  std::uint64_t nc = 0;
  const char* first = creds.nc.data();
  const char* last = first + creds.nc.size();
  auto [end, ec] = std::from_chars(first, last, nc, 16);
  if (creds.qop != "auth" || creds.cnonce.empty() || creds.nc.size() != 8 || ec != std::errc() ||
      end != last || nc == 0) {
    return DigestCheck::kBadResponse;
  }
  const std::string expected = digest_response(e.issued.ha1, creds.nonce, creds.nc, creds.cnonce,
                                               creds.qop, method, creds.uri);
  if (expected != creds.response) {
    return DigestCheck::kBadResponse;
  }
  if (out != nullptr) {
    *out = e.issued;
  }
  if (clock_->now() >= e.expires) {
    return DigestCheck::kStale;
  }
  if (nc <= e.last_nc) {
    return DigestCheck::kReplay;
  }
  e.last_nc = nc;
  return DigestCheck::kOk;
}

std::size_t NonceTable::purge() {
  const std::lock_guard lock(mutex_);
  const common::TimePoint limit = clock_->now() - ttl_;
  std::size_t n = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.expires < limit) {
      it = entries_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

std::size_t NonceTable::size() const {
  const std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace wimpu::s_cscf
