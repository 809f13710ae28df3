#include "wimpu/wwsf/user_store.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "wimpu/common/counter.hpp"
#include "wimpu/common/fd_io.hpp"

namespace wimpu::wwsf {

namespace {

bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

Expected<UserMap, std::string> parse_store(const std::string& path, const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return "user store " + path + ": not a JSON object";
  }
  const auto users = j.find("users");
  if (users == j.end() || !users->is_array()) {
    return "user store " + path + ": no \"users\" array";
  }
  UserMap out;
  for (const auto& u : *users) {
    if (!u.is_object() || !u.contains("username") || !u["username"].is_string() ||
        !u.contains("password_hash") || !u["password_hash"].is_string()) {
      return "user store " + path + ": a user lacks username or password_hash";
    }
    User user;
    user.username = u["username"].get<std::string>();
    user.password_hash = u["password_hash"].get<std::string>();
    if (auto b = u.find("block"); b != u.end() && b->is_string()) {
      user.block = b->get<std::string>();
    }
    if (auto e = u.find("enabled"); e != u.end() && e->is_boolean()) {
      user.enabled = e->get<bool>();
    }
    if (!valid_username(user.username)) {
      return "user store " + path + ": invalid user name \"" + user.username + "\"";
    }
    std::string name = user.username;
    out.emplace(std::move(name), std::move(user));
  }
  return out;
}

Expected<std::string, Error> read_whole(const std::string& path, bool& missing) {
  missing = false;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) {
      missing = true;
      return ok_string({});
    }
    return Error{errno_text("cannot read user store " + path)};
  }
  std::ostringstream s;
  s << in.rdbuf();
  return ok_string(s.str());
}

}  // namespace

Expected<std::string, Error> hash_password(std::string_view password) {
  if (!sodium_ready()) {
    return Error{"libsodium initialisation failed"};
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), kPwhashOpsLimit,
                        kPwhashMemLimit) != 0) {
    return Error{"argon2id hashing failed (out of memory?)"};
  }
  return ok_string(out);
}

bool verify_password(const std::string& hash, std::string_view password) {
  if (!sodium_ready()) {
    return false;
  }
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool valid_username(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '@' || c == '+' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

Expected<UserStore, std::string> UserStore::load(const std::string& path) {
  bool missing = false;
  auto text = read_whole(path, missing);
  if (!text) {
    return text.error().message;
  }
  UserStore store;
  store.path_ = path;
  if (missing) {
    return store;
  }
  auto users = parse_store(path, *text);
  if (!users) {
    return users.error();
  }
  store.users_ = std::move(*users);
  return store;
}

Expected<void, std::string> UserStore::save() const {
  nlohmann::json users = nlohmann::json::array();
  for (const auto& [name, u] : users_) {
    users.push_back({{"username", u.username}, {"password_hash", u.password_hash},
                     {"block", u.block}, {"enabled", u.enabled}});
  }
  const std::string text = nlohmann::json{{"version", 1}, {"users", users}}.dump(2) + "\n";
  const std::filesystem::path target(path_);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  std::string tmp = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = mkstemp(tmp.data());  // Mode 0600: the file holds password hashes.
  if (fd < 0) {
    return errno_text("cannot create temp file in " + dir.string());
  }
  if (!common::write_all(fd, text)) {
    const auto err = errno_text("cannot write " + tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return err;
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const auto err = errno_text("cannot flush " + tmp);
    ::unlink(tmp.c_str());
    return err;
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    const auto err = errno_text("cannot replace " + path_);
    ::unlink(tmp.c_str());
    return err;
  }
  // The rename itself must survive a crash: sync the directory entry too.
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

Expected<void, std::string> UserStore::add(User user) {
  if (!valid_username(user.username)) {
    return "invalid user name \"" + user.username + "\" (1-64 of A-Z a-z 0-9 . _ @ + -)";
  }
  if (users_.count(user.username) != 0) {
    return "user \"" + user.username + "\" exists";
  }
  std::string name = user.username;
  users_.emplace(std::move(name), std::move(user));
  return {};
}

Expected<void, std::string> UserStore::remove(std::string_view username) {
  auto it = users_.find(username);
  if (it == users_.end()) {
    return "no user \"" + std::string(username) + "\"";
  }
  users_.erase(it);
  return {};
}

const User* UserStore::find(std::string_view username) const {
  auto it = users_.find(username);
  return it == users_.end() ? nullptr : &it->second;
}

Expected<std::unique_ptr<UserStoreLock>, std::string> UserStoreLock::acquire(
    const std::string& path) {
  const std::string lock_path = path + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return errno_text("cannot open lock file " + lock_path);
  }
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      const auto err = errno_text("cannot lock " + lock_path);
      ::close(fd);
      return err;
    }
  }
  return std::unique_ptr<UserStoreLock>(new UserStoreLock(fd));
}

UserStoreLock::~UserStoreLock() { ::close(fd_); }

struct UserDirectory::Impl {
  std::string path;
  common::ClockPtr clock;
  std::chrono::milliseconds check_interval{0};
  common::TimePoint last_check{};
  std::mutex mutex;
  std::shared_ptr<const UserMap> users = std::make_shared<UserMap>();
  struct stat seen {};
  bool loaded = false;

  std::shared_ptr<const UserMap> current() {
    if (check_interval.count() > 0) {
      const auto now = clock->now();
      std::lock_guard lock(mutex);
      if (loaded && now - last_check < check_interval) {
        return users;
      }
      last_check = now;
    }
    struct stat st {};
    const bool exists = ::stat(path.c_str(), &st) == 0;
    std::lock_guard lock(mutex);
    const bool changed = !loaded || !exists || st.st_ino != seen.st_ino ||
                         st.st_size != seen.st_size || st.st_mtim.tv_sec != seen.st_mtim.tv_sec ||
                         st.st_mtim.tv_nsec != seen.st_mtim.tv_nsec;
    if (!changed) {
      return users;
    }
    if (!exists) {
      if (loaded && !users->empty()) {
        common::counter("wwsf.users.store_missing").inc();
      }
      users = std::make_shared<UserMap>();
      loaded = true;
      seen = {};
      return users;
    }
    auto store = UserStore::load(path);
    if (!store) {
      common::counter("wwsf.users.reload_failed").inc();
      return users;  // Keep serving the last good snapshot.
    }
    users = std::make_shared<const UserMap>(store->users());
    seen = st;
    loaded = true;
    common::counter("wwsf.users.reloaded").inc();
    return users;
  }
};

UserDirectory::UserDirectory(std::string path, common::ClockPtr clock,
                             std::chrono::milliseconds check_interval)
    : impl_(std::make_shared<Impl>()) {
  impl_->path = std::move(path);
  impl_->clock = std::move(clock);
  impl_->check_interval = check_interval;
}

std::shared_ptr<const User> UserDirectory::find(std::string_view username) {
  auto users = impl_->current();
  auto it = users->find(username);
  if (it == users->end()) {
    return nullptr;
  }
  return std::shared_ptr<const User>(std::move(users), &it->second);
}

std::size_t UserDirectory::size() { return impl_->current()->size(); }

}  // namespace wimpu::wwsf
