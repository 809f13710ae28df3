#include "p256_fixed_key.hpp"

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>

#include <array>

namespace wimpu::token {

std::unique_ptr<P256FixedKey> P256FixedKey::create(EVP_PKEY* pkey) {
  std::array<unsigned char, 65> pub{};
  std::size_t pub_len = 0;
  if (pkey == nullptr ||
      EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size(),
                                      &pub_len) != 1) {
    return nullptr;
  }
  std::unique_ptr<P256FixedKey> k(new P256FixedKey());
  k->curve_ = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  k->key_ = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  k->bn_ = BN_CTX_new();
  if (k->curve_ == nullptr || k->key_ == nullptr || k->bn_ == nullptr) {
    return nullptr;
  }
  k->p1_ = EC_POINT_new(k->curve_);
  k->p2_ = EC_POINT_new(k->curve_);
  for (BIGNUM** b : {&k->r_, &k->s_, &k->e_, &k->w_, &k->u1_, &k->u2_, &k->x_}) {
    *b = BN_new();
    if (*b == nullptr) {
      return nullptr;
    }
  }
  if (k->p1_ == nullptr || k->p2_ == nullptr) {
    return nullptr;
  }
  // Q becomes the generator of the second group (same curve, order n, cofactor 1): its
  // precomputed table then serves every u2*Q. oct2point checks that Q is on the curve.
  EC_POINT* q = EC_POINT_new(k->key_);
  BIGNUM* one = BN_new();
  bool ok = q != nullptr && one != nullptr && BN_one(one) == 1 &&
            EC_POINT_oct2point(k->key_, q, pub.data(), pub_len, k->bn_) == 1 &&
            EC_POINT_is_at_infinity(k->key_, q) == 0 &&
            EC_GROUP_set_generator(k->key_, q, EC_GROUP_get0_order(k->curve_), one) == 1;
  EC_POINT_free(q);
  BN_free(one);
#pragma GCC diagnostic push
  // Deprecated in OpenSSL 3.0 with no replacement for an arbitrary point; present in every 3.x.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  ok = ok && EC_GROUP_precompute_mult(k->key_, k->bn_) == 1;
#pragma GCC diagnostic pop
  return ok ? std::move(k) : nullptr;
}

P256FixedKey::~P256FixedKey() {
  for (BIGNUM* b : {r_, s_, e_, w_, u1_, u2_, x_}) {
    BN_free(b);
  }
  EC_POINT_free(p1_);
  EC_POINT_free(p2_);
  BN_CTX_free(bn_);
  EC_GROUP_free(key_);
  EC_GROUP_free(curve_);
}

bool P256FixedKey::verify(std::span<const std::uint8_t, 32> digest,
                          std::span<const std::uint8_t, 64> jose) noexcept {
  const BIGNUM* n = EC_GROUP_get0_order(curve_);
  // SEC 1 §4.1.4 step 1: r, s in [1, n-1].
  if (BN_bin2bn(jose.data(), 32, r_) == nullptr || BN_bin2bn(jose.data() + 32, 32, s_) == nullptr ||
      BN_is_zero(r_) || BN_is_zero(s_) || BN_cmp(r_, n) >= 0 || BN_cmp(s_, n) >= 0) {
    return false;
  }
  // Steps 2-3: e = the digest as an integer (n has 256 bits: no truncation).
  // Step 4: w = s^-1, u1 = e*w, u2 = r*w (mod n).
  if (BN_bin2bn(digest.data(), 32, e_) == nullptr ||
      BN_mod_inverse(w_, s_, n, bn_) == nullptr || BN_mod_mul(u1_, e_, w_, n, bn_) != 1 ||
      BN_mod_mul(u2_, r_, w_, n, bn_) != 1) {
    return false;
  }
  // Step 5: R = u1*G + u2*Q, both fixed-base; the point at infinity is refused.
  if (EC_POINT_mul(curve_, p1_, u1_, nullptr, nullptr, bn_) != 1 ||
      EC_POINT_mul(key_, p2_, u2_, nullptr, nullptr, bn_) != 1 ||
      EC_POINT_add(curve_, p1_, p1_, p2_, bn_) != 1 || EC_POINT_is_at_infinity(curve_, p1_) == 1) {
    return false;
  }
  // Steps 6-8: v = x_R mod n; valid iff v == r.
  return EC_POINT_get_affine_coordinates(curve_, p1_, x_, nullptr, bn_) == 1 &&
         BN_nnmod(x_, x_, n, bn_) == 1 && BN_cmp(x_, r_) == 0;
}

}  // namespace wimpu::token
