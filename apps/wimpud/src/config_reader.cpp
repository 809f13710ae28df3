#include "config_reader.hpp"

namespace wimpu::wimpud::detail {
namespace {

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date/time";
  }
}

}  // namespace

void fail(std::string key, std::string reason) {
  throw ConfigFailure{std::move(key), std::move(reason)};
}

std::string Section::key(std::string_view k) const {
  return path_.empty() ? std::string(k) : path_ + "." + std::string(k);
}

const toml::node* Section::get(std::string_view k) {
  used_.insert(std::string(k));
  return table_.get(k);
}

std::string Section::str(std::string_view k, std::string def) {
  const toml::node* n = get(k);
  if (n == nullptr) {
    return def;
  }
  if (!n->is_string()) {
    fail(key(k), "expected a string, got " + type_name(*n));
  }
  return n->as_string()->get();
}

std::string Section::required_str(std::string_view k) {
  if (table_.get(k) == nullptr) {
    used_.insert(std::string(k));
    fail(key(k), "required");
  }
  std::string s = str(k, {});
  if (s.empty()) {
    fail(key(k), "must not be empty");
  }
  return s;
}

bool Section::boolean(std::string_view k, bool def) {
  const toml::node* n = get(k);
  if (n == nullptr) {
    return def;
  }
  if (!n->is_boolean()) {
    fail(key(k), "expected a boolean, got " + type_name(*n));
  }
  return n->as_boolean()->get();
}

std::int64_t Section::integer(std::string_view k, std::int64_t def, std::int64_t min,
                              std::int64_t max) {
  const toml::node* n = get(k);
  if (n == nullptr) {
    return def;
  }
  const std::string range = std::to_string(min) + ".." + std::to_string(max);
  if (!n->is_integer()) {
    fail(key(k), "expected an integer in " + range + ", got " + type_name(*n));
  }
  const std::int64_t v = n->as_integer()->get();
  if (v < min || v > max) {
    fail(key(k), "expected an integer in " + range + ", got " + std::to_string(v));
  }
  return v;
}

std::vector<std::string> Section::strings(std::string_view k, std::vector<std::string> def) {
  const toml::node* n = get(k);
  if (n == nullptr) {
    return def;
  }
  const toml::array* a = n->as_array();
  if (a == nullptr) {
    fail(key(k), "expected an array of strings, got " + type_name(*n));
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const toml::node& e = *a->get(i);
    if (!e.is_string()) {
      fail(key(k) + "[" + std::to_string(i) + "]", "expected a string, got " + type_name(e));
    }
    out.push_back(e.as_string()->get());
  }
  return out;
}

std::string Section::choice(std::string_view k, std::string def,
                            const std::vector<std::string>& choices) {
  std::string v = str(k, std::move(def));
  for (const std::string& c : choices) {
    if (c == v) {
      return v;
    }
  }
  std::string list;
  for (const std::string& c : choices) {
    list += (list.empty() ? "\"" : ", \"") + c + "\"";
  }
  fail(key(k), "expected one of " + list + ", got \"" + v + "\"");
}

std::optional<Section> Section::table(std::string_view k) {
  const toml::node* n = get(k);
  if (n == nullptr) {
    return std::nullopt;
  }
  if (!n->is_table()) {
    fail(key(k), "expected a table, got " + type_name(*n));
  }
  return Section(*n->as_table(), key(k));
}

std::vector<Section> Section::tables(std::string_view k) {
  const toml::node* n = get(k);
  std::vector<Section> out;
  if (n == nullptr) {
    return out;
  }
  const toml::array* a = n->as_array();
  if (a == nullptr) {
    fail(key(k), "expected an array of tables ([[" + key(k) + "]]), got " + type_name(*n));
  }
  for (std::size_t i = 0; i < a->size(); ++i) {
    const toml::node& e = *a->get(i);
    if (!e.is_table()) {
      fail(key(k) + "[" + std::to_string(i) + "]", "expected a table, got " + type_name(e));
    }
    out.emplace_back(*e.as_table(), key(k) + "[" + std::to_string(i) + "]");
  }
  return out;
}

void Section::finish() const {
  for (const auto& [k, v] : table_) {
    if (used_.find(k.str()) == used_.end()) {
      fail(key(k.str()), "unknown key");
    }
  }
}

}  // namespace wimpu::wimpud::detail
