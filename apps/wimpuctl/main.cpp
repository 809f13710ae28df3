// wimpuctl: the wimpu admin CLI. Each area adds its own subcommand group.
#include <CLI/CLI.hpp>

#include "admin_cmd.hpp"
#include "user_cmd.hpp"

int main(int argc, char** argv) {
  CLI::App app{"wimpuctl: wimpu administration"};
  app.require_subcommand(1);
  int exit_code = 0;
  wimpu::ctl::add_user_commands(app, exit_code);
  wimpu::ctl::add_admin_commands(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
