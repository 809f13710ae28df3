#pragma once
// `wimpuctl user add|del|list`: edits the WWSF's user store (nf/wwsf UserStore).
#include <CLI/CLI.hpp>

namespace wimpu::ctl {

/// Adds the "user" subcommand with add/del/list to `app`. The callbacks set `exit_code`.
void add_user_commands(CLI::App& app, int& exit_code);

}  // namespace wimpu::ctl
