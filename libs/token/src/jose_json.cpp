#include "jose_json.hpp"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace wimpu::token::jose {
namespace {

using Json = nlohmann::json;

// A JOSE object is flat; anything deeper than this is not ours and only costs stack and time.
constexpr int kMaxDepth = 8;

// Shared SAX plumbing: tracks depth, insists the document is one object, refuses excessive
// nesting. Derived handlers see top-level members through on_key/on_string/on_number/... and the
// elements of a top-level array through on_array_string.
template <class Derived>
class ObjectHandler {
public:
  bool null() { return scalar(); }
  bool boolean(bool) { return scalar(); }
  bool number_integer(Json::number_integer_t v) { return number(v); }
  bool number_unsigned(Json::number_unsigned_t v) {
    const auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    return number(static_cast<std::int64_t>(v > max ? max : v));
  }
  bool number_float(Json::number_float_t v, const Json::string_t&) {
    // NumericDate may be fractional (RFC 7519 §2); floor and saturate.
    constexpr double kMax = 9.2e18;
    const double f = std::floor(v);
    const auto i = f >= kMax ? std::numeric_limits<std::int64_t>::max()
                   : f <= -kMax ? std::numeric_limits<std::int64_t>::min()
                                : static_cast<std::int64_t>(f);
    return number(i);
  }
  bool string(Json::string_t& v) {
    if (depth_ == 1) {
      return self().on_string(v);
    }
    if (depth_ == 2 && in_member_array_) {
      return self().on_array_string(v);
    }
    return depth_ > 1;  // a bare string document is not an object
  }
  bool binary(Json::binary_t&) { return false; }
  bool start_object(std::size_t) {
    if (depth_ == 1 && self().member_is_known()) {
      return false;  // every member we use is a scalar or an array of strings
    }
    if (in_member_array_) {
      return false;
    }
    return ++depth_ <= kMaxDepth;
  }
  bool key(Json::string_t& k) { return depth_ != 1 || self().on_key(k); }
  bool end_object() {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) {
    if (depth_ == 0 || in_member_array_) {
      return false;
    }
    if (depth_ == 1 && self().member_is_known()) {
      if (!self().member_takes_array()) {
        return false;
      }
      in_member_array_ = true;
    }
    return ++depth_ <= kMaxDepth;
  }
  bool end_array() {
    if (in_member_array_ && depth_ == 2) {
      in_member_array_ = false;
    }
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

protected:
  int depth_ = 0;
  bool in_member_array_ = false;

private:
  Derived& self() { return static_cast<Derived&>(*this); }
  // null/true/false: never a valid value for a member we use (except `crit`, refused later).
  bool scalar() {
    if (depth_ == 1) {
      return !self().member_is_known() || self().member_takes_anything();
    }
    return depth_ > 1 && !in_member_array_;
  }
  bool number(std::int64_t i) {
    if (depth_ == 1) {
      return self().on_number(i);
    }
    return depth_ > 1 && !in_member_array_;
  }
};

class HeaderHandler : public ObjectHandler<HeaderHandler> {
public:
  explicit HeaderHandler(Header& out) : out_(out) {}

  bool on_key(const std::string& k) {
    field_ = k == "alg" ? Field::kAlg : k == "kid" ? Field::kKid : k == "crit" ? Field::kCrit
           : k == "typ" ? Field::kTyp : Field::kOther;
    if (field_ == Field::kOther) {
      return true;
    }
    const auto bit = 1u << static_cast<unsigned>(field_);
    if (seen_ & bit) {
      return false;
    }
    seen_ |= bit;
    if (field_ == Field::kCrit) {
      out_.has_crit = true;
    }
    return true;
  }
  bool on_string(std::string& v) {
    switch (field_) {
      case Field::kAlg:
        out_.alg = v;
        out_.has_alg = true;
        return true;
      case Field::kKid:
        out_.kid = v;
        out_.has_kid = true;
        return true;
      case Field::kCrit:  // RFC 7515 §4.1.11: an array; any value is refused later anyway
      case Field::kTyp:
      case Field::kOther:
        return true;
    }
    return true;
  }
  bool on_array_string(std::string&) { return true; }
  bool on_number(std::int64_t) { return !member_is_known() || field_ == Field::kCrit; }
  bool member_is_known() const { return field_ != Field::kOther; }
  bool member_takes_array() const { return field_ == Field::kCrit; }
  bool member_takes_anything() const { return field_ == Field::kCrit; }

private:
  enum class Field : unsigned { kAlg, kKid, kCrit, kTyp, kOther };
  Header& out_;
  Field field_ = Field::kOther;
  std::uint32_t seen_ = 0;
};

class ClaimsHandler : public ObjectHandler<ClaimsHandler> {
public:
  ClaimsHandler(std::string_view block_claim, Claims& out, std::uint32_t& present)
      : block_claim_(block_claim), out_(out), present_(present) {}

  bool on_key(const std::string& k) {
    bit_ = classify(k);
    if (bit_ == 0) {
      return true;
    }
    if (seen_ & bit_) {
      return false;  // duplicate member
    }
    seen_ |= bit_;
    return true;
  }
  bool on_string(std::string& v) {
    std::string* target = nullptr;
    switch (bit_) {
      case 0:
        return true;
      case kIss:
        target = &out_.issuer;
        break;
      case kSub:
        target = &out_.subject;
        break;
      case kJti:
        target = &out_.jwt_id;
        break;
      case kBlock:
        target = &out_.block;
        break;
      case kScope:
        target = &out_.scope;
        break;
      case kAud:  // RFC 7519 §4.1.3: a single string is a one-element audience
        if (!v.empty()) {
          out_.audience.push_back(v);
          present_ |= kAud;
        }
        return true;
      default:
        return false;  // a NumericDate given as a string
    }
    *target = v;
    if (!v.empty()) {
      present_ |= bit_;
    }
    return true;
  }
  bool on_array_string(std::string& v) {
    if (!v.empty()) {
      out_.audience.push_back(v);
      present_ |= kAud;
    }
    return true;
  }
  bool on_number(std::int64_t i) {
    switch (bit_) {
      case 0:
        return true;
      case kExp:
        out_.expires_at = i;
        break;
      case kIat:
        out_.issued_at = i;
        break;
      case kNbf:
        out_.not_before = i;
        break;
      default:
        return false;  // a string claim given as a number
    }
    present_ |= bit_;
    return true;
  }
  bool member_is_known() const { return bit_ != 0; }
  bool member_takes_array() const { return bit_ == kAud; }
  bool member_takes_anything() const { return false; }

private:
  std::uint32_t classify(const std::string& k) const {
    struct Name {
      std::string_view name;
      std::uint32_t bit;
    };
    static constexpr Name kRegistered[] = {{"iss", kIss}, {"sub", kSub}, {"aud", kAud},
                                           {"exp", kExp}, {"nbf", kNbf}, {"iat", kIat},
                                           {"jti", kJti}, {"scope", kScope}};
    if (k == block_claim_) {
      return kBlock;
    }
    for (const auto& n : kRegistered) {
      if (k == n.name) {
        return n.bit;
      }
    }
    return 0;
  }

  std::string_view block_claim_;
  Claims& out_;
  std::uint32_t& present_;
  std::uint32_t bit_ = 0;
  std::uint32_t seen_ = 0;
};

template <class Handler>
bool run(std::string_view json, Handler& h) {
  // strict=true: nothing but whitespace may follow the object.
  return Json::sax_parse(json.data(), json.data() + json.size(), &h, Json::input_format_t::json,
                         /*strict=*/true);
}

}  // namespace

bool parse_header(std::string_view json, Header& out) {
  HeaderHandler h(out);
  return run(json, h);
}

bool parse_claims(std::string_view json, std::string_view block_claim, Claims& out,
                  std::uint32_t& present) {
  present = 0;
  ClaimsHandler h(block_claim, out, present);
  return run(json, h);
}

}  // namespace wimpu::token::jose
