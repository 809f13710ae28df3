#include "wimpu/ei_cscf/process_config.hpp"

#include <stdexcept>

#include <toml++/toml.h>

#include "wimpu/diameter/node_config_toml.hpp"

namespace wimpu::ei_cscf {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("ei-cscf config: " + what);
}

std::vector<std::string> strings(const toml::node_view<const toml::node>& n) {
  std::vector<std::string> out;
  if (const toml::array* a = n.as_array()) {
    for (const toml::node& e : *a) {
      auto s = e.value<std::string>();
      if (!s) {
        fail("expected an array of strings");
      }
      out.push_back(*s);
    }
  }
  return out;
}

}  // namespace

EiCscfProcessConfig load_process_config(const std::filesystem::path& path) {
  toml::table root;
  try {
    root = toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    fail(std::string(e.description()) + " in " + path.string());
  }
  const toml::node_view<const toml::node> cfg{static_cast<const toml::node&>(root)};
  EiCscfProcessConfig c;
  c.sip = cscf_node::parse_sip_node_config(root);
  c.sip.record_route = false;  // an I-CSCF does not stay on the path
  c.ei_cscf.wimpu_domains = strings(cfg["ei_cscf"]["wimpu_domains"]);
  c.ei_cscf.visited_network = cfg["ei_cscf"]["visited_network"].value_or(std::string("wimpu"));
  if (const toml::array* s = cfg["ei_cscf"]["scscf"].as_array()) {
    for (const toml::node& n : *s) {
      const toml::node_view<const toml::node> e{n};
      ScscfEntry entry;
      entry.name = e["name"].value_or(std::string());
      if (entry.name.empty()) {
        fail("every [[ei_cscf.scscf]] needs a name (SIP URI)");
      }
      if (const toml::array* caps = e["capabilities"].as_array()) {
        for (const toml::node& cap : *caps) {
          entry.capabilities.push_back(static_cast<std::uint32_t>(cap.value_or(0)));
        }
      }
      c.ei_cscf.scscfs.push_back(std::move(entry));
    }
  }
  const toml::table* diameter = root["diameter"].as_table();
  if (diameter == nullptr) {
    fail("a [diameter] section is required");
  }
  auto node = diameter::parse_node_config(*diameter, path.parent_path());
  if (!node) {
    fail(node.error());
  }
  c.diameter = std::move(*node);
  c.hss_realm = cfg["hss"]["realm"].value_or(c.diameter.realm);
  c.hss_host = cfg["hss"]["host"].value_or(std::string());
  c.hss_timeout = std::chrono::milliseconds(cfg["hss"]["timeout_ms"].value_or(2000));
  if (const toml::array* blocks = cfg["blocks"].as_array()) {
    for (const toml::node& n : *blocks) {
      const toml::node_view<const toml::node> b{n};
      registrar::BlockConfig bc;
      bc.id = b["id"].value_or(std::string());
      bc.domains = strings(b["domains"]);
      bc.range_first = b["range_first"].value_or(std::string());
      bc.range_last = b["range_last"].value_or(std::string());
      c.blocks.push_back(std::move(bc));
    }
  }
  const std::string backend = cfg["w4"]["backend"].value_or(std::string("memory"));
  if (backend == "redis") {
    c.w4_backend = EiCscfProcessConfig::W4Backend::kRedis;
  } else if (backend != "memory") {
    fail("w4.backend must be \"memory\" or \"redis\", not '" + backend + "'");
  }
  const auto redis = cfg["w4"]["redis"];
  c.redis.host = redis["host"].value_or(c.redis.host);
  const std::int64_t port = redis["port"].value_or(std::int64_t{c.redis.port});
  if (port < 1 || port > 65535) {
    fail("w4.redis.port must be an integer in [1, 65535]");
  }
  c.redis.port = static_cast<std::uint16_t>(port);
  const std::int64_t op_timeout =
      redis["op_timeout_ms"].value_or(std::int64_t{c.redis.op_timeout.count()});
  if (op_timeout < 1 || op_timeout > 60000) {
    fail("w4.redis.op_timeout_ms must be an integer in [1, 60000]");
  }
  c.redis.op_timeout = std::chrono::milliseconds(op_timeout);
  if (c.w4_backend == EiCscfProcessConfig::W4Backend::kRedis && c.blocks.empty()) {
    fail("w4.backend = \"redis\" needs the [[blocks]] it serves");
  }
  return c;
}

}  // namespace wimpu::ei_cscf
