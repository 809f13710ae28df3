#include "user_cmd.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "wimpu/wwsf/user_store.hpp"

namespace wimpu::ctl {
namespace {

struct UserOptions {
  std::string store;
  std::string name;
  std::string block;
  std::string password;
  bool password_stdin = false;
  bool disabled = false;
  bool json = false;
};

// One line from stdin without its line end. On a terminal, prompts with echo off.
std::string read_password() {
  const bool tty = ::isatty(STDIN_FILENO) == 1;
  termios old{};
  if (tty) {
    std::cerr << "password: " << std::flush;
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return line;
}

// Runs `edit` on the store under the cross-process lock and saves it.
template <class Edit>
int edit_store(const std::string& path, Edit&& edit) {
  auto lock = wwsf::UserStoreLock::acquire(path);
  if (!lock) {
    std::cerr << "wimpuctl: " << lock.error() << "\n";
    return 1;
  }
  auto store = wwsf::UserStore::load(path);
  if (!store) {
    std::cerr << "wimpuctl: " << store.error() << "\n";
    return 1;
  }
  if (auto r = edit(*store); !r) {
    std::cerr << "wimpuctl: " << r.error() << "\n";
    return 1;
  }
  if (auto r = store->save(); !r) {
    std::cerr << "wimpuctl: " << r.error() << "\n";
    return 1;
  }
  return 0;
}

int user_add(const UserOptions& o) {
  std::string password = o.password;
  if (password.empty()) {
    password = read_password();
  }
  if (password.empty()) {
    std::cerr << "wimpuctl: empty password\n";
    return 2;
  }
  auto hash = wwsf::hash_password(password);
  if (!hash) {
    std::cerr << "wimpuctl: " << hash.error().message << "\n";
    return 1;
  }
  return edit_store(o.store, [&](wwsf::UserStore& s) {
    return s.add(wwsf::User{o.name, *hash, o.block, !o.disabled});
  });
}

int user_del(const UserOptions& o) {
  return edit_store(o.store, [&](wwsf::UserStore& s) { return s.remove(o.name); });
}

int user_list(const UserOptions& o) {
  auto store = wwsf::UserStore::load(o.store);
  if (!store) {
    std::cerr << "wimpuctl: " << store.error() << "\n";
    return 1;
  }
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [name, u] : store->users()) {
      out.push_back({{"username", u.username}, {"block", u.block}, {"enabled", u.enabled}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& [name, u] : store->users()) {
    std::cout << u.username << "\t" << (u.block.empty() ? "-" : u.block) << "\t"
              << (u.enabled ? "enabled" : "disabled") << "\n";
  }
  return 0;
}

}  // namespace

void add_user_commands(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<UserOptions>();
  const char* env = std::getenv("WIMPU_USER_STORE");
  opts->store = env != nullptr ? env : "/var/lib/wimpu/users.json";

  CLI::App* user = app.add_subcommand("user", "Manage the WWSF's web users");
  user->require_subcommand(1);
  user->add_option("--store", opts->store, "User store file (env WIMPU_USER_STORE)")
      ->capture_default_str();

  CLI::App* add = user->add_subcommand("add", "Add a user (password hashed with argon2id)");
  add->add_option("name", opts->name, "User name (1-64 of A-Z a-z 0-9 . _ @ + -)")->required();
  add->add_option("--block", opts->block, "wIMPU block the user may use (default: the WWSF's)");
  auto* pw = add->add_option("--password", opts->password,
                             "Password (visible to ps: prefer --password-stdin)");
  add->add_flag("--password-stdin", opts->password_stdin, "Read the password from stdin")
      ->excludes(pw);
  add->add_flag("--disabled", opts->disabled, "Create the user disabled");
  add->callback([opts, &exit_code] { exit_code = user_add(*opts); });

  CLI::App* del = user->add_subcommand("del", "Delete a user");
  del->add_option("name", opts->name, "User name")->required();
  del->callback([opts, &exit_code] { exit_code = user_del(*opts); });

  CLI::App* list = user->add_subcommand("list", "List users (name, block, state)");
  list->add_flag("--json", opts->json, "JSON output");
  list->callback([opts, &exit_code] { exit_code = user_list(*opts); });
}

}  // namespace wimpu::ctl
