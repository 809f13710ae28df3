#pragma once
// The slice of MessagePack (https://github.com/msgpack/msgpack/blob/master/spec.md) that the W4
// Redis functions exchange with this client: arrays, strings and integers, as Redis's built-in
// cmsgpack writes them. Passing a contact as one MessagePack argument and getting the stored
// binding back as one string saves the Lua side most of its per-field work (docs/w4.md).
#include <cstdint>
#include <string>
#include <string_view>

namespace wimpu::registrar::detail {

/// Appends MessagePack values to a string.
class MsgpackWriter {
public:
  explicit MsgpackWriter(std::string& out) : out_(out) {}
  void array(std::uint32_t n);
  void str(std::string_view s);
  /// The header of a string of `n` bytes; the caller appends exactly `n` bytes after it.
  void str_header(std::size_t n);
  void uint(std::uint64_t v);

private:
  void be(std::uint64_t v, int bytes);
  std::string& out_;
};

/// Reads MessagePack values from a buffer; every read returns false (and reads nothing more)
/// on malformed or unexpected input, so a foreign or corrupt value is an error, never a crash.
class MsgpackReader {
public:
  explicit MsgpackReader(std::string_view in) : in_(in) {}
  bool array(std::uint32_t& n);
  bool str(std::string_view& s);
  /// Any integer encoding; also a float64 holding an integral value (Lua numbers).
  bool integer(std::int64_t& v);
  bool at_end() const { return pos_ == in_.size(); }

private:
  bool take(std::size_t n, const char*& p);
  bool be(int bytes, std::uint64_t& v);
  std::string_view in_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace wimpu::registrar::detail
