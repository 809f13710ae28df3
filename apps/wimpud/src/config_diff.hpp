#pragma once
// What a SIGHUP reload may change (issue 7): the keys whose new value a running wimpud puts in
// force, and the diff of two parsed config files that names every other changed key, so the log
// says exactly what still needs a restart ("ep_cscf.listeners[0].port").
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace wimpu::wimpud {

/// Dotted keys (array indexes as "[n]") whose values differ between `running` and `next`: a key
/// present in only one of them, a value of another type or value, or an array of another length
/// (named as the array). Tables and same-length arrays are compared element by element.
std::vector<std::string> changed_keys(const toml::table& running, const toml::table& next);

/// True when a reload puts a new value of `key` (a changed_keys() entry) in force:
/// wwsf.allowed_origins, wwsf.signing_key_file, wwsf.retired_key_files, ep_cscf.allowed_origins,
/// ep_cscf.domains[n].issuers (and everything below) and hss.subscribers.
bool is_reloadable(std::string_view key);

/// Copies the reloadable keys of `next` into `running` (removing those `next` lacks), so that
/// `running` describes what is in force after a reload; ep_cscf.domains[n].issuers goes to the
/// running domain with the same `domain` name.
void adopt_reloadable(toml::table& running, const toml::table& next);

}  // namespace wimpu::wimpud
