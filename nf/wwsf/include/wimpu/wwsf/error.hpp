#pragma once
// A textual error for Expected<std::string, ...> results, where a bare std::string error type
// would be ambiguous with the value type.
#include <boost/system/result.hpp>
#include <string>

namespace wimpu::wwsf {

/// Why an operation failed, in words for logs and CLI output.
/// Error is constructible from a string, so a std::string success value must be returned with
/// boost::system::in_place_value (see ok_string()).
struct Error {
  std::string message;
};

/// Wraps a std::string success value for Expected<std::string, Error>.
inline boost::system::result<std::string, Error> ok_string(std::string value) {
  return {boost::system::in_place_value, std::move(value)};
}

}  // namespace wimpu::wwsf
