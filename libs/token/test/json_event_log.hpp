#pragma once
// A SAX handler that writes every event into a string, so a test or the fuzzer can compare the
// built-in scanner with nlohmann's parser event for event.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace wimpu::token::test {

class JsonEventLog {
public:
  using Json = nlohmann::json;
  bool null() { return add("null"); }
  bool boolean(bool v) { return add(v ? "true" : "false"); }
  bool number_integer(Json::number_integer_t v) { return add("i" + std::to_string(v)); }
  bool number_unsigned(Json::number_unsigned_t v) { return add("u" + std::to_string(v)); }
  bool number_float(Json::number_float_t v, const Json::string_t&) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "f%.17g", v);
    return add(buf);
  }
  bool string(Json::string_t& v) { return add("s" + std::to_string(v.size()) + ":" + v); }
  bool binary(Json::binary_t&) { return add("binary"); }
  bool start_object(std::size_t n) { return add("{" + std::to_string(n)); }
  bool key(Json::string_t& v) { return add("k" + std::to_string(v.size()) + ":" + v); }
  bool end_object() { return add("}"); }
  bool start_array(std::size_t n) { return add("[" + std::to_string(n)); }
  bool end_array() { return add("]"); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }
  std::string log;

private:
  bool add(const std::string& e) {
    log += e;
    log += '\n';
    return true;
  }
};

}  // namespace wimpu::token::test
