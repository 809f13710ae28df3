#include "wimpu/hss/hss_config.hpp"

#include <sstream>

#include <toml++/toml.h>

#include "wimpu/diameter/node_config_toml.hpp"

namespace wimpu::hss {

wimpu::Expected<HssConfig, std::string> load_hss_config(const std::filesystem::path& path) {
  toml::table root;
  try {
    root = toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << path.string() << ": " << e.description() << " at line " << e.source().begin.line;
    return msg.str();
  }
  const std::filesystem::path base = std::filesystem::absolute(path).parent_path();
  const toml::table* diameter = root["diameter"].as_table();
  if (diameter == nullptr) {
    return path.string() + ": missing [diameter]";
  }
  auto node = diameter::parse_node_config(*diameter, base);
  if (!node) {
    return path.string() + ": " + node.error();
  }
  HssConfig config;
  config.diameter = std::move(*node);
  const std::string subscribers = root["hss"]["subscribers"].value_or(std::string());
  if (subscribers.empty()) {
    return path.string() + ": missing [hss] subscribers";
  }
  config.subscribers = std::filesystem::path(subscribers).is_absolute()
                           ? std::filesystem::path(subscribers)
                           : base / subscribers;
  return config;
}

}  // namespace wimpu::hss
