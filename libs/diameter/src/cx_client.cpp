#include "wimpu/diameter/cx_client.hpp"

namespace wimpu::diameter {

std::string_view to_string(CxError error) noexcept {
  switch (error) {
    case CxError::kTimeout: return "timeout";
    case CxError::kUnavailable: return "unavailable";
    case CxError::kBadAnswer: return "bad_answer";
    case CxError::kOverload: return "overload";
    case CxError::kShutdown: return "shutdown";
    case CxError::kInternal: return "internal";
  }
  return "unknown";
}

}  // namespace wimpu::diameter
