#include "wimpu/example_proxy/config.hpp"

#include <toml++/toml.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace wimpu::example_proxy {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("example-proxy config: " + what);
}

}  // namespace

ExampleConfig parse_config(std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << e.description() << " at line " << e.source().begin.line;
    fail(os.str());
  }
  const toml::node_view<const toml::node> cfg{static_cast<const toml::node&>(root)};
  ExampleConfig c;

  // The shared sections throw "config: <key> ..." themselves.
  c.node = cscf_node::parse_sip_node_config(root);
  c.allowed_origins =
      cscf_node::string_list(cfg["websocket"]["allowed_origins"], "websocket.allowed_origins");
  if (!cfg["proxy"]["expected_transactions"]) {
    c.node.expected_transactions = std::size_t{1} << 18;
  }

  if (const toml::array* routes = cfg["routes"].as_array()) {
    for (const toml::node& n : *routes) {
      const toml::node_view<const toml::node> r{n};
      auto user = r["user"].value<std::string>();
      if (!user) {
        fail("every [[routes]] entry needs user = \"name\" (or \"*\")");
      }
      std::vector<std::string> targets = cscf_node::string_list(r["targets"], "routes.targets");
      if (targets.empty()) {
        fail("route '" + *user + "' has no targets");
      }
      c.routes[*user] = std::move(targets);
    }
  }
  return c;
}

ExampleConfig load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    fail("cannot read " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str());
}

}  // namespace wimpu::example_proxy
