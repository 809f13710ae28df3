#pragma once
// `wimpuctl health | bindings list|kick | blocks`: talk to a process's admin endpoint
// (libs/admin, bound to loopback by default) over HTTP. Output is tab-separated lines, or the
// endpoint's JSON with --json. Exit status 0 on success, 1 on any failure (message on stderr).
#include <CLI/CLI.hpp>

namespace wimpu::ctl {

/// Adds the "health", "bindings" and "blocks" subcommands to `app`; their callbacks set
/// `exit_code`. The admin address comes from --admin HOST:PORT, else $WIMPU_ADMIN, else
/// 127.0.0.1:9180 (wimpud's default).
void add_admin_commands(CLI::App& app, int& exit_code);

}  // namespace wimpu::ctl
