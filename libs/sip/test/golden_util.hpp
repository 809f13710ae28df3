#pragma once
// Loading golden messages from libs/sip/test/golden.
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace wimpu::sip::test {

inline std::string load_golden(std::string_view name) {
  std::ifstream in(std::string(WIMPU_SIP_GOLDEN_DIR) + "/" + std::string(name), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace wimpu::sip::test
