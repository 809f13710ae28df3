#include "wimpu/token/error.hpp"

#include <array>
#include <stdexcept>
#include <string>

#include "wimpu/common/counter.hpp"

namespace wimpu::token {
namespace {

constexpr std::array<std::string_view, kTokenErrorCount> kNames = {
    "malformed",     "too_large",       "crit_unsupported", "alg_not_allowed",   "unknown_issuer",
    "unknown_kid",   "bad_signature",   "missing_claim",    "expired",           "not_yet_valid",
    "iat_in_future", "lifetime_too_long", "wrong_audience", "wrong_block",       "wrong_scope",
};

std::array<common::Counter*, kTokenErrorCount> make_counters() {
  std::array<common::Counter*, kTokenErrorCount> out{};
  for (std::size_t i = 0; i < kTokenErrorCount; ++i) {
    out[i] = &common::counter(std::string("token.verify.fail.") + std::string(kNames[i]));
  }
  return out;
}

}  // namespace

std::string_view name(TokenError e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < kNames.size() ? kNames[i] : std::string_view("unknown");
}

std::string_view bearer_error(TokenError e) noexcept {
  return e == TokenError::kWrongScope ? "invalid_scope" : "invalid_token";
}

common::Counter& failure_counter(TokenError e) noexcept {
  // Registered once: the registry lookup takes a lock, the hot path must not.
  static const std::array<common::Counter*, kTokenErrorCount> counters = make_counters();
  const auto i = static_cast<std::size_t>(e);
  return *counters[i < kTokenErrorCount ? i : 0];
}

void throw_exception_from_error(TokenError e, const boost::source_location&) {
  throw std::runtime_error("token error: " + std::string(name(e)));
}

}  // namespace wimpu::token
