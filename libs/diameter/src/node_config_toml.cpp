#include "wimpu/diameter/node_config_toml.hpp"

namespace wimpu::diameter {
namespace {

using Result = wimpu::Expected<NodeConfig, std::string>;

// NodeConfig is an aggregate whose first member is a string, so C++20 makes it constructible from
// a string: the error must be built explicitly.
Result fail(std::string why) { return Result(boost::system::in_place_error, std::move(why)); }

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  const std::filesystem::path path(p);
  return path.is_absolute() || p.empty() ? path : base / path;
}

template <class T>
bool read_int(const toml::table& t, std::string_view key, T min, T max, T& out) {
  const toml::node* node = t.get(key);
  if (node == nullptr) {
    return true;
  }
  const auto* v = node->as_integer();
  if (v == nullptr || v->get() < static_cast<std::int64_t>(min) ||
      v->get() > static_cast<std::int64_t>(max)) {
    return false;
  }
  out = static_cast<T>(v->get());
  return true;
}

bool read_strings(const toml::table& t, std::string_view key, std::vector<std::string>& out) {
  const toml::node* node = t.get(key);
  if (node == nullptr) {
    return true;
  }
  const toml::array* arr = node->as_array();
  if (arr == nullptr) {
    return false;
  }
  for (const toml::node& item : *arr) {
    const auto* s = item.as_string();
    if (s == nullptr) {
      return false;
    }
    out.push_back(s->get());
  }
  return true;
}

}  // namespace

wimpu::Expected<NodeConfig, std::string> parse_node_config(const toml::table& t,
                                                           const std::filesystem::path& base) {
  NodeConfig c;
  c.identity = t["identity"].value_or(std::string());
  c.realm = t["realm"].value_or(std::string());
  c.listen_address = t["listen_address"].value_or(c.listen_address);
  c.require_tls = t["require_tls"].value_or(false);
  c.log_level = t["log_level"].value_or(c.log_level);
  c.state_dir = resolve(base, t["state_dir"].value_or(std::string()));
  std::int64_t tc = c.tc_timer.count();
  std::int64_t tw = c.tw_timer.count();
  if (!read_int<std::uint16_t>(t, "port", 0, 65535, c.port) ||
      !read_int<std::uint16_t>(t, "tls_port", 0, 65535, c.tls_port) ||
      !read_int<std::int64_t>(t, "tc_timer", 1, 3600, tc) ||
      !read_int<std::int64_t>(t, "tw_timer", 6, 3600, tw) ||
      !read_int<unsigned>(t, "app_threads", 1, 255, c.app_threads)) {
    return fail("[diameter]: port/tls_port must be 0..65535, tc_timer 1..3600, tw_timer "
                       "6..3600, app_threads 1..255");
  }
  c.tc_timer = std::chrono::seconds(tc);
  c.tw_timer = std::chrono::seconds(tw);
  if (!read_strings(t, "accept_peers", c.accept_peers)) {
    return fail("[diameter]: accept_peers must be an array of strings");
  }
  std::vector<std::string> extensions;
  if (!read_strings(t, "extensions", extensions)) {
    return fail("[diameter]: extensions must be an array of strings");
  }
  for (const std::string& e : extensions) {
    c.extensions.push_back(resolve(base, e));
  }
  if (const toml::table* tls = t["tls"].as_table()) {
    TlsFiles files;
    files.cert = resolve(base, (*tls)["cert"].value_or(std::string()));
    files.key = resolve(base, (*tls)["key"].value_or(std::string()));
    files.ca = resolve(base, (*tls)["ca"].value_or(std::string()));
    c.tls = files;
  }
  if (const toml::node* peers = t.get("peer")) {
    const toml::array* arr = peers->as_array();
    if (arr == nullptr) {
      return fail("[diameter]: peer must be an array of tables ([[diameter.peer]])");
    }
    for (const toml::node& node : *arr) {
      const toml::table* p = node.as_table();
      if (p == nullptr) {
        return fail("[diameter]: peer must be an array of tables ([[diameter.peer]])");
      }
      PeerConfig peer;
      peer.identity = (*p)["identity"].value_or(std::string());
      peer.address = (*p)["address"].value_or(peer.address);
      peer.tls = (*p)["tls"].value_or(false);
      peer.realm = (*p)["realm"].value_or(std::string());
      if (!read_int<std::uint16_t>(*p, "port", 1, 65535, peer.port)) {
        return fail("[diameter.peer] " + peer.identity + ": port must be 1..65535");
      }
      c.peers.push_back(std::move(peer));
    }
  }
  if (std::string error = validate(c); !error.empty()) {
    return fail("[diameter]: " + error);
  }
  return c;
}

}  // namespace wimpu::diameter
