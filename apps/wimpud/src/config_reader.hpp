#pragma once
// Strict, typed access to one TOML table for the config parser: every getter names the key's full
// path in its error, and finish() refuses keys nobody asked for (a typo must not be silently
// ignored). Errors are thrown as ConfigFailure and caught once by parse_config() (config load is
// the one place exceptions are allowed, STYLE.md "Errors").
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <toml++/toml.h>

namespace wimpu::wimpud::detail {

struct ConfigFailure {
  std::string key;
  std::string reason;
};

[[noreturn]] void fail(std::string key, std::string reason);

class Section {
public:
  Section(const toml::table& table, std::string path) : table_(table), path_(std::move(path)) {}

  /// Full path of `key` in this section.
  std::string key(std::string_view k) const;
  const std::string& path() const { return path_; }
  bool has(std::string_view k) const { return table_.contains(k); }

  std::string str(std::string_view k, std::string def);
  std::string required_str(std::string_view k);
  bool boolean(std::string_view k, bool def);
  std::int64_t integer(std::string_view k, std::int64_t def, std::int64_t min, std::int64_t max);
  std::vector<std::string> strings(std::string_view k, std::vector<std::string> def = {});
  /// One of `choices`; the error lists them.
  std::string choice(std::string_view k, std::string def, const std::vector<std::string>& choices);
  /// A sub-table, if present (error if present but not a table).
  std::optional<Section> table(std::string_view k);
  /// An array of tables ([[k]]), empty if absent.
  std::vector<Section> tables(std::string_view k);
  /// Marks `k` as known without reading it (sections parsed elsewhere).
  void skip(std::string_view k) { used_.insert(std::string(k)); }
  /// The raw table (for parsers of other libraries).
  const toml::table& raw() const { return table_; }
  /// Refuses every key not read.
  void finish() const;

private:
  const toml::node* get(std::string_view k);
  const toml::table& table_;
  std::string path_;
  std::set<std::string, std::less<>> used_;
};

}  // namespace wimpu::wimpud::detail
