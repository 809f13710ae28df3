#include "p256_fixed_key.hpp"

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>

#include <array>
#include <mutex>
#include <unordered_map>

#include "wimpu/common/counter.hpp"

namespace wimpu::token {
namespace {

// One build per key object: the first caller runs it, a concurrent one waits on the flag.
struct TableBuild {
  std::once_flag once;
  std::shared_ptr<const P256KeyTable> table;
};

struct TableEntry {
  std::weak_ptr<const PublicKey> key;  // expired: the address may belong to a new key now
  std::shared_ptr<TableBuild> build;
};

// Keyed by the key object's address. Looked up only when a shard's slot reaches its threshold
// (once per key per shard), never per verification, so one mutex is enough. Never destroyed: a
// shard still verifying during process exit must not find it gone.
struct TableRegistry {
  std::mutex mutex;
  std::unordered_map<const PublicKey*, TableEntry> tables;
};

TableRegistry& registry() {
  static auto* r = new TableRegistry();
  return *r;
}

}  // namespace

std::unique_ptr<P256KeyTable> P256KeyTable::create(EVP_PKEY* pkey) {
  std::array<unsigned char, 65> pub{};
  std::size_t pub_len = 0;
  if (pkey == nullptr ||
      EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size(),
                                      &pub_len) != 1) {
    return nullptr;
  }
  std::unique_ptr<P256KeyTable> t(new P256KeyTable());
  t->curve_ = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  t->key_ = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  BN_CTX* bn = BN_CTX_new();
  // Q becomes the generator of the second group (same curve, order n, cofactor 1): its
  // precomputed table then serves every u2*Q. oct2point checks that Q is on the curve.
  EC_POINT* q = t->key_ != nullptr ? EC_POINT_new(t->key_) : nullptr;
  BIGNUM* one = BN_new();
  bool ok = t->curve_ != nullptr && bn != nullptr && q != nullptr && one != nullptr &&
            BN_one(one) == 1 && EC_POINT_oct2point(t->key_, q, pub.data(), pub_len, bn) == 1 &&
            EC_POINT_is_at_infinity(t->key_, q) == 0 &&
            EC_GROUP_set_generator(t->key_, q, EC_GROUP_get0_order(t->curve_), one) == 1;
  EC_POINT_free(q);
  BN_free(one);
#pragma GCC diagnostic push
  // Deprecated in OpenSSL 3.0 with no replacement for an arbitrary point; present in every 3.x.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  ok = ok && EC_GROUP_precompute_mult(t->key_, bn) == 1;
#pragma GCC diagnostic pop
  BN_CTX_free(bn);
  return ok ? std::move(t) : nullptr;
}

std::shared_ptr<const P256KeyTable> P256KeyTable::shared_for(const PublicKeyPtr& key) {
  if (!key) {
    return nullptr;
  }
  std::shared_ptr<TableBuild> build;
  {
    TableRegistry& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.tables.find(key.get());
    // A live entry at this address is this very key: two live objects never share an address.
    if (it != r.tables.end() && !it->second.key.expired()) {
      build = it->second.build;
    } else {
      // Tables of keys that are gone are freed here (key rotation is rare: the map stays small).
      std::erase_if(r.tables, [](const auto& e) { return e.second.key.expired(); });
      build = std::make_shared<TableBuild>();
      r.tables[key.get()] = TableEntry{key, build};
    }
  }
  // Outside the mutex: a build for one key (~14 ms) does not hold up lookups for another.
  std::call_once(build->once, [&build, &key] {
    static common::Counter& built = common::counter("token.verify.p256_table_built");
    static common::Counter& failed = common::counter("token.verify.p256_table_failed");
    build->table = create(key->native());
    (build->table ? built : failed).inc();
  });
  return build->table;
}

P256KeyTable::~P256KeyTable() {
  EC_GROUP_free(key_);
  EC_GROUP_free(curve_);
}

std::unique_ptr<P256FixedKey> P256FixedKey::for_key(const PublicKeyPtr& key) {
  std::shared_ptr<const P256KeyTable> table = P256KeyTable::shared_for(key);
  if (!table) {
    return nullptr;
  }
  std::unique_ptr<P256FixedKey> k(new P256FixedKey(std::move(table)));
  k->bn_ = BN_CTX_new();
  k->p1_ = EC_POINT_new(k->table_->curve_);
  k->p2_ = EC_POINT_new(k->table_->curve_);
  if (k->bn_ == nullptr || k->p1_ == nullptr || k->p2_ == nullptr) {
    return nullptr;
  }
  for (BIGNUM** b : {&k->r_, &k->s_, &k->e_, &k->w_, &k->u1_, &k->u2_, &k->x_}) {
    *b = BN_new();
    if (*b == nullptr) {
      return nullptr;
    }
  }
  return k;
}

P256FixedKey::~P256FixedKey() {
  for (BIGNUM* b : {r_, s_, e_, w_, u1_, u2_, x_}) {
    BN_free(b);
  }
  EC_POINT_free(p1_);
  EC_POINT_free(p2_);
  BN_CTX_free(bn_);
}

bool P256FixedKey::verify(std::span<const std::uint8_t, 32> digest,
                          std::span<const std::uint8_t, 64> jose) noexcept {
  // The groups are only read (EC_POINT_mul takes them const): every shard shares them.
  const EC_GROUP* curve = table_->curve_;
  const EC_GROUP* key = table_->key_;
  const BIGNUM* n = EC_GROUP_get0_order(curve);
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
  if (EC_POINT_mul(curve, p1_, u1_, nullptr, nullptr, bn_) != 1 ||
      EC_POINT_mul(key, p2_, u2_, nullptr, nullptr, bn_) != 1 ||
      EC_POINT_add(curve, p1_, p1_, p2_, bn_) != 1 || EC_POINT_is_at_infinity(curve, p1_) == 1) {
    return false;
  }
  // Steps 6-8: v = x_R mod n; valid iff v == r.
  return EC_POINT_get_affine_coordinates(curve, p1_, x_, nullptr, bn_) == 1 &&
         BN_nnmod(x_, x_, n, bn_) == 1 && BN_cmp(x_, r_) == 0;
}

}  // namespace wimpu::token
