#include "wimpu/token/key_set.hpp"

#include <nlohmann/json.hpp>

#include "wimpu/common/counter.hpp"
#include "wimpu/token/base64url.hpp"

namespace wimpu::token {
namespace {

using Json = nlohmann::json;

// Reads member `name` as a non-empty string; null when absent or of another type.
const std::string* string_member(const Json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) {
    return nullptr;
  }
  const auto& s = it->get_ref<const std::string&>();
  return s.empty() ? nullptr : &s;
}

// Decodes a fixed-size coordinate (RFC 7518 §6.2.1.2 and RFC 8037 §2: full length, no padding).
bool coordinate(const Json& obj, const char* name, std::size_t size, std::string& out) {
  const std::string* s = string_member(obj, name);
  if (s == nullptr) {
    return false;
  }
  auto r = base64url::decode_append(*s, out);
  return r.has_value() && *r == size;
}

// One JWK -> a usable key for `pinned`, or the reason it is skipped.
Expected<PublicKeyPtr, std::string> parse_key(const Json& jwk, Algorithm pinned) {
  if (!jwk.is_object()) {
    return std::string("not an object");
  }
  const std::string* kty = string_member(jwk, "kty");
  if (kty == nullptr) {
    return std::string("no kty");
  }
  const std::string* kid = string_member(jwk, "kid");
  const std::string kid_text = kid ? *kid : std::string("(none)");
  if (jwk.contains("d") || jwk.contains("k") || jwk.contains("p")) {
    // A private or symmetric member in a public set: a publishing mistake we must not use.
    return "kid " + kid_text + ": private key material";
  }
  if (kid == nullptr) {
    return std::string("kty ") + *kty + ": no kid";
  }
  if (const auto* use = string_member(jwk, "use"); jwk.contains("use") && (!use || *use != "sig")) {
    return "kid " + kid_text + ": use is not sig";
  }
  if (auto ops = jwk.find("key_ops"); ops != jwk.end()) {
    bool verify = false;
    if (ops->is_array()) {
      for (const auto& op : *ops) {
        verify = verify || (op.is_string() && op.get_ref<const std::string&>() == "verify");
      }
    }
    if (!verify) {
      return "kid " + kid_text + ": key_ops lacks verify";
    }
  }
  if (const auto* alg = string_member(jwk, "alg");
      jwk.contains("alg") && (!alg || *alg != jose_name(pinned))) {
    return "kid " + kid_text + ": alg is not " + std::string(jose_name(pinned));
  }
  const std::string* crv = string_member(jwk, "crv");
  std::string raw;
  if (*kty == "OKP" && crv && *crv == "Ed25519" && pinned == Algorithm::kEdDSA) {
    if (!coordinate(jwk, "x", 32, raw)) {
      return "kid " + kid_text + ": bad Ed25519 x";
    }
  } else if (*kty == "EC" && crv && *crv == "P-256" && pinned == Algorithm::kES256) {
    raw.push_back('\x04');
    if (!coordinate(jwk, "x", 32, raw) || !coordinate(jwk, "y", 32, raw)) {
      return "kid " + kid_text + ": bad P-256 x/y";
    }
  } else {
    return "kid " + kid_text + ": kty " + *kty + (crv ? "/" + *crv : std::string()) +
           " unusable for " + std::string(jose_name(pinned));
  }
  auto key = PublicKey::from_raw(
      pinned, *kid,
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()));
  if (!key) {
    return "kid " + kid_text + ": " + std::string(name(key.error()));
  }
  return *key;
}

}  // namespace

std::string_view name(JwksError e) noexcept {
  switch (e) {
    case JwksError::kTooLarge:
      return "too_large";
    case JwksError::kMalformedJson:
      return "malformed_json";
    case JwksError::kDuplicateKid:
      return "duplicate_kid";
    case JwksError::kNoUsableKey:
      return "no_usable_key";
  }
  return "unknown";
}

KeySet::KeySet(Algorithm alg, std::vector<PublicKeyPtr> keys, std::vector<std::string> ignored)
    : alg_(alg), keys_(std::move(keys)), ignored_(std::move(ignored)) {}

Expected<KeySetPtr, JwksError> KeySet::parse(std::string_view jwks, Algorithm pinned) {
  static common::Counter& rejected = common::counter("token.jwks.rejected");
  static common::Counter& ignored_keys = common::counter("token.jwks.key_ignored");
  if (jwks.size() > kMaxJwksSize) {
    rejected.inc();
    return JwksError::kTooLarge;
  }
  // Non-throwing parse: a refresh runs after start-up, where exceptions are not welcome.
  const Json doc = Json::parse(jwks, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    rejected.inc();
    return JwksError::kMalformedJson;
  }
  auto it = doc.find("keys");
  if (it == doc.end() || !it->is_array()) {
    rejected.inc();
    return JwksError::kMalformedJson;
  }
  std::vector<PublicKeyPtr> keys;
  std::vector<std::string> ignored;
  for (const auto& jwk : *it) {
    auto key = parse_key(jwk, pinned);
    if (key) {
      keys.push_back(std::move(*key));
    } else {
      ignored_keys.inc();
      ignored.push_back(std::move(key.error()));
    }
  }
  auto set = from_keys(std::move(keys), pinned);
  if (!set) {
    rejected.inc();
    return set.error();
  }
  // from_keys builds without reasons; attach them.
  return KeySetPtr(new KeySet(pinned, (*set)->keys_, std::move(ignored)));
}

Expected<KeySetPtr, JwksError> KeySet::from_keys(std::vector<PublicKeyPtr> keys,
                                                 Algorithm pinned) {
  std::vector<PublicKeyPtr> usable;
  for (auto& k : keys) {
    if (k == nullptr || k->algorithm() != pinned) {
      continue;
    }
    usable.push_back(std::move(k));
  }
  if (usable.empty()) {
    return JwksError::kNoUsableKey;
  }
  for (std::size_t i = 0; i < usable.size(); ++i) {
    for (std::size_t j = i + 1; j < usable.size(); ++j) {
      if (usable[i]->kid() == usable[j]->kid()) {
        return JwksError::kDuplicateKid;
      }
    }
  }
  return KeySetPtr(new KeySet(pinned, std::move(usable), {}));
}

const PublicKeyPtr* KeySet::find(std::string_view kid) const noexcept {
  for (const auto& k : keys_) {
    if (k->kid() == kid) {
      return &k;
    }
  }
  return nullptr;
}

bool KeySet::same_keys(const KeySet& other) const noexcept {
  if (alg_ != other.alg_ || keys_.size() != other.keys_.size()) {
    return false;
  }
  for (const auto& k : keys_) {
    const PublicKeyPtr* o = other.find(k->kid());
    if (o == nullptr || !k->same_key(**o)) {
      return false;
    }
  }
  return true;
}

std::string KeySet::to_jwks_json() const { return jwks_document(keys_); }

std::string jwks_document(const std::vector<PublicKeyPtr>& keys) {
  Json arr = Json::array();
  for (const auto& k : keys) {
    if (k) {
      arr.push_back(Json::parse(k->to_jwk_json()));
    }
  }
  Json doc;
  doc["keys"] = std::move(arr);
  return doc.dump();
}

}  // namespace wimpu::token
