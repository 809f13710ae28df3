#include "config_diff.hpp"

#include <array>
#include <type_traits>

namespace wimpu::wimpud {
namespace {

void diff(const toml::node* a, const toml::node* b, const std::string& key,
          std::vector<std::string>& out) {
  if (a == nullptr || b == nullptr) {
    if (a != b) {
      out.push_back(key);
    }
    return;
  }
  if (a->is_table() && b->is_table()) {
    const toml::table& ta = *a->as_table();
    const toml::table& tb = *b->as_table();
    for (const auto& [k, v] : ta) {
      const std::string sub = key.empty() ? std::string(k.str()) : key + "." + std::string(k.str());
      diff(&v, tb.get(k.str()), sub, out);
    }
    for (const auto& [k, v] : tb) {
      if (ta.get(k.str()) == nullptr) {
        out.push_back(key.empty() ? std::string(k.str()) : key + "." + std::string(k.str()));
      }
    }
    return;
  }
  if (a->is_array() && b->is_array() && a->as_array()->size() == b->as_array()->size()) {
    const toml::array& aa = *a->as_array();
    const toml::array& ab = *b->as_array();
    for (std::size_t i = 0; i < aa.size(); ++i) {
      diff(aa.get(i), ab.get(i), key + "[" + std::to_string(i) + "]", out);
    }
    return;
  }
  bool same = a->type() == b->type();
  if (same) {
    a->visit([&](const auto& va) {
      using T = std::remove_cvref_t<decltype(va)>;
      const T* vb = dynamic_cast<const T*>(b);
      same = vb != nullptr && va == *vb;
    });
  }
  if (!same) {
    out.push_back(key);
  }
}

// "ep_cscf.domains[0].issuers[1].jwks_file" -> "ep_cscf.domains.issuers.jwks_file".
std::string without_indexes(std::string_view key) {
  std::string out;
  bool in_index = false;
  for (char c : key) {
    if (c == '[') {
      in_index = true;
    } else if (c == ']') {
      in_index = false;
    } else if (!in_index) {
      out += c;
    }
  }
  return out;
}

constexpr std::array<std::string_view, 6> kReloadable = {
    "wwsf.allowed_origins",  "wwsf.signing_key_file",    "wwsf.retired_key_files",
    "ep_cscf.allowed_origins", "ep_cscf.domains.issuers", "hss.subscribers"};

void copy_key(toml::table& running, const toml::table& next, std::string_view section,
              std::string_view key) {
  const toml::table* from = next[section].as_table();
  toml::table* to = running[section].as_table();
  if (to == nullptr) {
    return;  // the section is not running here: nothing to adopt
  }
  const toml::node* v = from != nullptr ? from->get(key) : nullptr;
  if (v == nullptr) {
    to->erase(key);
  } else {
    v->visit([&](const auto& n) { to->insert_or_assign(key, n); });
  }
}

}  // namespace

std::vector<std::string> changed_keys(const toml::table& running, const toml::table& next) {
  std::vector<std::string> out;
  diff(&running, &next, "", out);
  return out;
}

bool is_reloadable(std::string_view key) {
  const std::string k = without_indexes(key);
  for (std::string_view r : kReloadable) {
    if (k == r || (k.size() > r.size() && k.compare(0, r.size(), r) == 0 && k[r.size()] == '.')) {
      return true;
    }
  }
  return false;
}

void adopt_reloadable(toml::table& running, const toml::table& next) {
  copy_key(running, next, "wwsf", "allowed_origins");
  copy_key(running, next, "wwsf", "signing_key_file");
  copy_key(running, next, "wwsf", "retired_key_files");
  copy_key(running, next, "ep_cscf", "allowed_origins");
  copy_key(running, next, "hss", "subscribers");
  toml::array* domains = running["ep_cscf"]["domains"].as_array();
  const toml::array* next_domains = next["ep_cscf"]["domains"].as_array();
  if (domains == nullptr || next_domains == nullptr) {
    return;
  }
  for (toml::node& d : *domains) {
    toml::table* rd = d.as_table();
    if (rd == nullptr) {
      continue;
    }
    for (const toml::node& n : *next_domains) {
      const toml::table* nd = n.as_table();
      if (nd != nullptr && (*nd)["domain"].value<std::string>() ==
                               (*rd)["domain"].value<std::string>()) {
        if (const toml::node* iss = nd->get("issuers")) {
          iss->visit([&](const auto& v) { rd->insert_or_assign("issuers", v); });
        }
      }
    }
  }
}

}  // namespace wimpu::wimpud
