#pragma once
// The error of the load tool's startup-time helpers (URL, TLS, keys, challenges): a reason for a
// human. Explicit, though boost::system::result
// still sees it as constructible from a string: Expected<std::string, Error> values are built with
// boost::system::in_place_value.
#include <string>

namespace wimpu::loadgen {

struct Error {
  Error() = default;
  explicit Error(std::string text) : message(std::move(text)) {}
  std::string message;
};

}  // namespace wimpu::loadgen
