#include "wimpu/token/issuer.hpp"

#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <stdexcept>

#include "signature.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/common/utf8.hpp"
#include "wimpu/token/base64url.hpp"

namespace wimpu::token {
namespace {

// RFC 8259 §7: quote, backslash and control characters are escaped; the rest is copied.
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  out += '"';
}

void append_member(std::string& out, std::string_view name, std::string_view value) {
  out += out.size() > 1 ? "," : "";
  append_json_string(out, name);
  out += ':';
  append_json_string(out, value);
}

void append_member(std::string& out, std::string_view name, std::int64_t value) {
  out += out.size() > 1 ? "," : "";
  append_json_string(out, name);
  out += ':';
  std::array<char, 24> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  out.append(buf.data(), r.ptr);
}

common::Counter& issue_counter(std::string_view what) {
  return common::counter(std::string("token.issue.") + std::string(what));
}

Expected<std::string, IssueError> failed(IssueError e) {
  static common::Counter* const counters[] = {&issue_counter("fail.bad_input"),
                                              &issue_counter("fail.random_failed"),
                                              &issue_counter("fail.signing_failed")};
  counters[static_cast<std::size_t>(e)]->inc();
  return e;
}

}  // namespace

std::string_view name(IssueError e) noexcept {
  switch (e) {
    case IssueError::kBadInput:
      return "bad_input";
    case IssueError::kRandomFailed:
      return "random_failed";
    case IssueError::kSigningFailed:
      return "signing_failed";
  }
  return "unknown";
}

TokenIssuer::TokenIssuer(IssuerOptions options, SigningKeyPtr key, common::ClockPtr clock)
    : options_(std::move(options)), clock_(std::move(clock)) {
  if (!key || !clock_) {
    throw std::invalid_argument("token issuer: no key or no clock");
  }
  if (options_.issuer.empty() || options_.audience.empty() || options_.lifetime.count() <= 0 ||
      options_.block_claim.empty()) {
    throw std::invalid_argument("token issuer: empty issuer/audience/block claim or bad lifetime");
  }
  // RFC 3629 §4 only: the verifier's JSON parser refuses anything else (RFC 8259 §8.1), so a
  // token carrying it would never verify.
  using common::is_valid_utf8;
  if (!is_valid_utf8(options_.issuer) || !is_valid_utf8(options_.audience) ||
      !is_valid_utf8(options_.scope) || !is_valid_utf8(options_.block_claim)) {
    throw std::invalid_argument("token issuer: options are not valid UTF-8");
  }
  std::string header = "{";
  append_member(header, "alg", jose_name(key->algorithm()));
  append_member(header, "kid", key->kid());
  append_member(header, "typ", "JWT");  // RFC 7519 §5.1
  header += '}';
  header_b64_ = base64url::encode(header);
  maker_ = std::make_unique<SignatureMaker>(std::move(key));
}

TokenIssuer::~TokenIssuer() = default;

const SigningKeyPtr& TokenIssuer::key() const noexcept { return maker_->key(); }

Expected<std::string, IssueError> TokenIssuer::issue(std::string_view subject,
                                                     std::string_view block) {
  static common::Counter& ok = issue_counter("ok");
  if (subject.empty() || block.empty() || !common::is_valid_utf8(subject) ||
      !common::is_valid_utf8(block)) {
    return failed(IssueError::kBadInput);
  }
  // jti bytes come from a per-issuer pool refilled 64 jtis at a time: OpenSSL 3.0's RAND_bytes
  // makes a getpid() system call per call (its DRBG's fork check), one syscall per token.
  if (random_used_ == random_.size()) {
    if (RAND_bytes(random_.data(), static_cast<int>(random_.size())) != 1) {
      return failed(IssueError::kRandomFailed);
    }
    random_used_ = 0;
  }
  const std::span<const std::uint8_t> jti(random_.data() + random_used_, kJtiBytes);
  random_used_ += kJtiBytes;
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_->wall_now().time_since_epoch())
          .count();
  payload_.assign("{");
  append_member(payload_, "iss", options_.issuer);
  append_member(payload_, "sub", subject);
  append_member(payload_, "aud", options_.audience);
  append_member(payload_, "exp", now + options_.lifetime.count());
  append_member(payload_, "nbf", now);
  append_member(payload_, "iat", now);
  payload_ += R"(,"jti":")";  // base64url needs no JSON escaping
  base64url::encode_append(jti, payload_);
  payload_ += '"';
  append_member(payload_, options_.block_claim, block);
  if (!options_.scope.empty()) {
    append_member(payload_, "scope", options_.scope);
  }
  payload_ += '}';

  out_.assign(header_b64_);
  out_ += '.';
  base64url::encode_append(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(payload_.data()),
                                    payload_.size()),
      out_);
  const std::size_t input_size = out_.size();
  out_ += '.';
  if (!maker_->sign_append(std::string_view(out_.data(), input_size), out_)) {
    return failed(IssueError::kSigningFailed);
  }
  ok.inc();
  return out_;
}

}  // namespace wimpu::token
