#include "wimpu/example_proxy/config.hpp"

#include <toml++/toml.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace wimpu::example_proxy {
namespace {

using transport::Protocol;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("example-proxy config: " + what);
}

Protocol protocol_from(std::string_view s) {
  if (s == "udp") return Protocol::kUdp;
  if (s == "tcp") return Protocol::kTcp;
  if (s == "tls") return Protocol::kTls;
  if (s == "ws") return Protocol::kWs;
  if (s == "wss") return Protocol::kWss;
  fail("unknown listener protocol '" + std::string(s) + "' (udp, tcp, tls, ws, wss)");
}

template <class T>
T integer(const toml::node_view<const toml::node>& n, T fallback, std::int64_t min,
          std::int64_t max, const char* name) {
  if (!n) {
    return fallback;
  }
  auto v = n.value<std::int64_t>();
  if (!v || *v < min || *v > max) {
    fail(std::string(name) + " must be an integer in [" + std::to_string(min) + ", " +
         std::to_string(max) + "]");
  }
  return static_cast<T>(*v);
}

std::vector<std::string> strings(const toml::node_view<const toml::node>& n, const char* name) {
  std::vector<std::string> out;
  if (!n) {
    return out;
  }
  const toml::array* a = n.as_array();
  if (a == nullptr) {
    fail(std::string(name) + " must be an array of strings");
  }
  for (const toml::node& e : *a) {
    auto s = e.value<std::string>();
    if (!s) {
      fail(std::string(name) + " must be an array of strings");
    }
    out.push_back(*s);
  }
  return out;
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

  c.shards = integer<std::size_t>(cfg["proxy"]["shards"], 1, 1, 64, "proxy.shards");
  c.expected_transactions = integer<std::size_t>(cfg["proxy"]["expected_transactions"], 1 << 18,
                                                 1, 1 << 24, "proxy.expected_transactions");
  if (auto rr = cfg["proxy"]["record_route"]) {
    auto b = rr.value<bool>();
    if (!b) {
      fail("proxy.record_route must be a boolean");
    }
    c.record_route = *b;
  }
  c.domains = strings(cfg["proxy"]["domains"], "proxy.domains");

  using std::chrono::milliseconds;
  c.timers.t1 = milliseconds(integer<int>(cfg["timers"]["t1_ms"], 500, 1, 60000, "timers.t1_ms"));
  c.timers.t2 = milliseconds(integer<int>(cfg["timers"]["t2_ms"], 4000, 1, 600000, "timers.t2_ms"));
  c.timers.t4 = milliseconds(integer<int>(cfg["timers"]["t4_ms"], 5000, 0, 600000, "timers.t4_ms"));
  c.timers.timer_d =
      milliseconds(integer<int>(cfg["timers"]["timer_d_ms"], 32000, 0, 600000, "timers.timer_d_ms"));
  c.timer_c = std::chrono::seconds(
      integer<int>(cfg["timers"]["timer_c_s"], 181, 1, 86400, "timers.timer_c_s"));

  const toml::array* listeners = cfg["listeners"].as_array();
  if (listeners == nullptr || listeners->empty()) {
    fail("at least one [[listeners]] entry is required");
  }
  for (const toml::node& n : *listeners) {
    const toml::node_view<const toml::node> l{n};
    transport::ListenerConfig lc;
    lc.protocol = protocol_from(l["protocol"].value_or(std::string("udp")));
    lc.address = l["address"].value_or(std::string("127.0.0.1"));
    lc.port = integer<std::uint16_t>(l["port"], 5060, 0, 65535, "listeners.port");
    lc.tls.cert_file = l["cert_file"].value_or(std::string());
    lc.tls.key_file = l["key_file"].value_or(std::string());
    if (transport::is_secure(lc.protocol) && (lc.tls.cert_file.empty() || lc.tls.key_file.empty())) {
      fail("tls/wss listeners need cert_file and key_file");
    }
    c.transport.listeners.push_back(std::move(lc));
  }
  c.allowed_origins = strings(cfg["websocket"]["allowed_origins"], "websocket.allowed_origins");

  if (const toml::array* routes = cfg["routes"].as_array()) {
    for (const toml::node& n : *routes) {
      const toml::node_view<const toml::node> r{n};
      auto user = r["user"].value<std::string>();
      if (!user) {
        fail("every [[routes]] entry needs user = \"name\" (or \"*\")");
      }
      auto targets = strings(r["targets"], "routes.targets");
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
