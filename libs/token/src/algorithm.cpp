#include "wimpu/token/algorithm.hpp"

namespace wimpu::token {

std::string_view jose_name(Algorithm a) noexcept {
  switch (a) {
    case Algorithm::kEdDSA:
      return "EdDSA";
    case Algorithm::kES256:
      return "ES256";
  }
  return "invalid";
}

std::optional<Algorithm> algorithm_from_name(std::string_view name) noexcept {
  if (name == "EdDSA" || name == "Ed25519") {
    return Algorithm::kEdDSA;
  }
  if (name == "ES256") {
    return Algorithm::kES256;
  }
  return std::nullopt;
}

}  // namespace wimpu::token
