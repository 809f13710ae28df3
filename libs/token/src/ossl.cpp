#include "ossl.hpp"

#include <openssl/err.h>

#include <algorithm>

#include "wimpu/common/assert.hpp"

namespace wimpu::token::ossl {
namespace {

// Writes one DER INTEGER holding the unsigned big-endian value `v` (X.690 §8.3: minimal length,
// a leading 0x00 when the top bit is set so the value stays positive).
std::size_t put_integer(std::span<const std::uint8_t> v, std::uint8_t* out) noexcept {
  std::size_t skip = 0;
  while (skip + 1 < v.size() && v[skip] == 0) {
    ++skip;
  }
  const std::size_t len = v.size() - skip;
  const bool pad = (v[skip] & 0x80) != 0;
  std::size_t n = 0;
  out[n++] = 0x02;
  out[n++] = static_cast<std::uint8_t>(len + (pad ? 1 : 0));
  if (pad) {
    out[n++] = 0x00;
  }
  for (std::size_t i = skip; i < v.size(); ++i) {
    out[n++] = v[i];
  }
  return n;
}

// Reads one minimal, positive DER INTEGER of at most 32 significant bytes into `out` (32 bytes,
// left-padded with zeros). Advances `p`.
bool get_integer(std::span<const std::uint8_t>& p, std::span<std::uint8_t> out) noexcept {
  if (p.size() < 2 || p[0] != 0x02) {
    return false;
  }
  const std::size_t len = p[1];
  if (len == 0 || len > 33 || p.size() < 2 + len) {
    return false;
  }
  auto v = p.subspan(2, len);
  if (v[0] & 0x80) {
    return false;  // negative
  }
  if (len > 1 && v[0] == 0 && !(v[1] & 0x80)) {
    return false;  // non-minimal
  }
  if (v[0] == 0 && len > 1) {
    v = v.subspan(1);
  }
  if (v.size() > out.size()) {
    return false;
  }
  std::fill(out.begin(), out.end(), 0);
  std::copy(v.begin(), v.end(), out.end() - static_cast<std::ptrdiff_t>(v.size()));
  p = p.subspan(2 + len);
  return true;
}

}  // namespace

const EVP_MD* sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  WIMPU_RELEASE_ASSERT(md != nullptr);
  return md;
}

std::size_t jose_to_der(std::span<const std::uint8_t, 64> jose,
                        std::array<std::uint8_t, kMaxEcdsaDer>& out) noexcept {
  std::size_t n = 2;
  n += put_integer(jose.subspan<0, 32>(), out.data() + n);
  n += put_integer(jose.subspan<32, 32>(), out.data() + n);
  out[0] = 0x30;
  out[1] = static_cast<std::uint8_t>(n - 2);  // <= 70: short-form length
  return n;
}

bool der_to_jose(std::span<const std::uint8_t> der, std::span<std::uint8_t, 64> jose) noexcept {
  if (der.size() < 2 || der[0] != 0x30 || der[1] >= 0x80 || der.size() != 2u + der[1]) {
    return false;
  }
  auto p = der.subspan(2);
  return get_integer(p, jose.subspan(0, 32)) && get_integer(p, jose.subspan(32, 32)) && p.empty();
}

std::string drain_errors() {
  std::string out;
  char buf[256];
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) {
      out += "; ";
    }
    out += buf;
  }
  return out;
}

void clear_errors() noexcept { ERR_clear_error(); }

}  // namespace wimpu::token::ossl
