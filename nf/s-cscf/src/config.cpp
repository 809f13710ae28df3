#include "wimpu/s_cscf/config.hpp"

#include <charconv>
#include <stdexcept>

#include "wimpu/diameter/node_config_toml.hpp"
#include "wimpu/sip/uri.hpp"

namespace wimpu::s_cscf {
namespace {

using NodeView = toml::node_view<const toml::node>;

// Every helper returns an error text or empty; the caller adds the key.
std::string read_strings(NodeView n, std::vector<std::string>& out) {
  if (!n) {
    return {};
  }
  const toml::array* a = n.as_array();
  if (a == nullptr) {
    return "must be an array of strings";
  }
  for (const toml::node& e : *a) {
    auto s = e.value<std::string>();
    if (!s || s->empty()) {
      return "must be an array of non-empty strings";
    }
    out.push_back(*s);
  }
  return {};
}

std::string read_int(NodeView n, std::int64_t min, std::int64_t max, std::int64_t& out) {
  if (!n) {
    return {};
  }
  auto v = n.value<std::int64_t>();
  if (!n.is_integer() || !v || *v < min || *v > max) {
    return "must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  }
  out = *v;
  return {};
}

bool is_sip_uri_without_user(std::string_view text) {
  auto u = sip::parse_uri(text);
  return u && u->is_sip() && u->user.empty() && !u->host.empty();
}

std::string parse_address(std::string_view text, TrustedAddress& out) {
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return "bad IPv6 reference '" + std::string(text) + "'";
    }
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') {
        return "bad address '" + std::string(text) + "'";
      }
      port = text.substr(close + 2);
    }
  } else if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) {
    return "empty host in '" + std::string(text) + "'";
  }
  out.host = std::string(host);
  if (!port.empty()) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc() || end != port.data() + port.size() || v == 0 || v > 65535) {
      return "bad port in '" + std::string(text) + "'";
    }
    out.port = static_cast<std::uint16_t>(v);
  }
  return {};
}

std::string read_addresses(NodeView n, std::vector<TrustedAddress>& out) {
  std::vector<std::string> texts;
  if (std::string e = read_strings(n, texts); !e.empty()) {
    return e;
  }
  for (const std::string& t : texts) {
    TrustedAddress a;
    if (std::string e = parse_address(t, a); !e.empty()) {
      return e;
    }
    out.push_back(std::move(a));
  }
  return {};
}

}  // namespace

Expected<ScscfConfig, ConfigError> parse_s_cscf_config(const toml::table& section) {
  static constexpr std::string_view kKnown[] = {
      "server_name", "home_domains",   "icscf",         "trusted_nodes",
      "trusted_proxies", "nonce_ttl_s", "default_expires_s", "min_expires_s",
      "max_expires_s", "sweep_interval_ms"};
  for (const auto& [k, v] : section) {
    (void)v;
    if (std::find(std::begin(kKnown), std::end(kKnown), k.str()) == std::end(kKnown)) {
      return ConfigError{"s_cscf." + std::string(k.str()), "unknown key"};
    }
  }
  const NodeView s{static_cast<const toml::node&>(section)};
  ScscfConfig c;
  auto err = [](std::string key, std::string reason) {
    return ConfigError{"s_cscf." + std::move(key), std::move(reason)};
  };
  c.server_name = s["server_name"].value_or(std::string());
  if (c.server_name.empty()) {
    return err("server_name", "required (our SIP URI, e.g. \"sip:127.0.0.1:5070\")");
  }
  if (!is_sip_uri_without_user(c.server_name)) {
    return err("server_name", "must be a sip: URI without user part, not '" + c.server_name + "'");
  }
  if (std::string e = read_strings(s["home_domains"], c.home_domains); !e.empty()) {
    return err("home_domains", e);
  }
  if (std::string e = read_addresses(s["trusted_nodes"], c.trusted_nodes); !e.empty()) {
    return err("trusted_nodes", e);
  }
  if (std::string e = read_addresses(s["trusted_proxies"], c.trusted_proxies); !e.empty()) {
    return err("trusted_proxies", e);
  }
  if (NodeView icscf = s["icscf"]) {
    const toml::array* a = icscf.as_array();
    if (a == nullptr) {
      return err("icscf", "must be an array of tables ([[s_cscf.icscf]])");
    }
    for (std::size_t i = 0; i < a->size(); ++i) {
      const NodeView e{(*a)[i]};
      const std::string key = "icscf[" + std::to_string(i) + "]";
      IcscfRoute r;
      r.domain = e["domain"].value_or(std::string());
      r.uri = e["uri"].value_or(std::string());
      if (r.domain.empty()) {
        return err(key + ".domain", "required");
      }
      if (!is_sip_uri_without_user(r.uri)) {
        return err(key + ".uri", "must be a sip: URI without user part");
      }
      c.icscfs.push_back(std::move(r));
    }
  }
  std::int64_t v = c.nonce_ttl.count();
  if (std::string e = read_int(s["nonce_ttl_s"], 1, 86400, v); !e.empty()) {
    return err("nonce_ttl_s", e);
  }
  c.nonce_ttl = std::chrono::seconds(v);
  v = c.default_expires;
  if (std::string e = read_int(s["default_expires_s"], 1, 4294967295LL, v); !e.empty()) {
    return err("default_expires_s", e);
  }
  c.default_expires = static_cast<std::uint32_t>(v);
  v = c.min_expires;
  if (std::string e = read_int(s["min_expires_s"], 1, 4294967295LL, v); !e.empty()) {
    return err("min_expires_s", e);
  }
  c.min_expires = static_cast<std::uint32_t>(v);
  v = c.max_expires;
  if (std::string e = read_int(s["max_expires_s"], 1, 4294967295LL, v); !e.empty()) {
    return err("max_expires_s", e);
  }
  c.max_expires = static_cast<std::uint32_t>(v);
  if (c.min_expires > c.max_expires) {
    return err("min_expires_s", "must not exceed max_expires_s");
  }
  v = c.sweep_interval.count();
  if (std::string e = read_int(s["sweep_interval_ms"], 10, 3600000, v); !e.empty()) {
    return err("sweep_interval_ms", e);
  }
  c.sweep_interval = std::chrono::milliseconds(v);
  return c;
}

ScscfProcessConfig load_s_cscf_process_config(const std::filesystem::path& path) {
  auto fail = [](const std::string& what) -> void {
    throw std::runtime_error("s-cscf config: " + what);
  };
  toml::table root;
  try {
    root = toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    fail(std::string(e.description()) + " in " + path.string());
  }
  ScscfProcessConfig c;
  c.sip = cscf_node::parse_sip_node_config(root);
  const toml::table* section = root["s_cscf"].as_table();
  if (section == nullptr) {
    fail("an [s_cscf] section is required");
  }
  auto s = parse_s_cscf_config(*section);
  if (!s) {
    fail(s.error().message());
  }
  c.s_cscf = std::move(*s);
  // Requests to our home domains are ours to route (RFC 3261 §16.5), whatever [proxy] says.
  for (const std::string& d : c.s_cscf.home_domains) {
    c.sip.domains.push_back(d);
  }
  const toml::table* diameter = root["diameter"].as_table();
  if (diameter == nullptr) {
    fail("a [diameter] section is required");
  }
  auto node = diameter::parse_node_config(*diameter, path.parent_path());
  if (!node) {
    fail("diameter: " + node.error());
  }
  c.diameter = std::move(*node);
  const NodeView hss = NodeView{static_cast<const toml::node&>(root)}["hss"];
  c.hss_realm = hss["realm"].value_or(c.diameter.realm);
  c.hss_host = hss["host"].value_or(std::string());
  const std::int64_t timeout = hss["timeout_ms"].value_or(std::int64_t{2000});
  if (timeout < 1 || timeout > 60000) {
    fail("hss.timeout_ms: must be an integer in [1, 60000]");
  }
  c.hss_timeout = std::chrono::milliseconds(timeout);
  return c;
}

}  // namespace wimpu::s_cscf
