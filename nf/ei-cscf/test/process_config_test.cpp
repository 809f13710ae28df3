#include <gtest/gtest.h>

#include <stdexcept>

#include "wimpu/ei_cscf/process_config.hpp"

namespace wimpu::ei_cscf {
namespace {

TEST(EiCscfProcessConfig, TheExampleLoadsWithTheMemoryW4) {
  const auto c = load_process_config(WIMPU_SOURCE_DIR "/examples/ei-cscf.toml");
  EXPECT_EQ(c.w4_backend, EiCscfProcessConfig::W4Backend::kMemory);
  EXPECT_EQ(c.redis.port, 6379);
  EXPECT_EQ(c.redis.op_timeout.count(), 2000);
  EXPECT_EQ(c.blocks.size(), 1u);
}

}  // namespace
}  // namespace wimpu::ei_cscf
