#pragma once
// The WWSF's users: a JSON file the admin edits with `wimpuctl user add|del|list`, written
// atomically (temp file + fsync + rename) under an advisory lock, read by the WWSF, which reloads
// it when the file changes. Passwords are argon2id hashes (libsodium crypto_pwhash_str).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "wimpu/common/clock.hpp"
#include "wimpu/common/expected.hpp"
#include "wimpu/wwsf/error.hpp"

namespace wimpu::wwsf {

/// One web user.
struct User {
  std::string username;
  std::string password_hash;  ///< "$argon2id$v=19$m=...,t=...,p=1$salt$hash"
  std::string block;          ///< wIMPU block the user may use; empty: the WWSF default
  bool enabled = true;
};

/// Users by name. Immutable once loaded; shared as a snapshot.
using UserMap = std::map<std::string, User, std::less<>>;

/// argon2id cost. 2 passes over 32 MiB cost about 25 ms per hash or verify on this project's
/// machines (AMD EPYC, 1 core; see nf/wwsf/README.md): slow enough for offline guessing, cheap
/// enough that a login does not stall the WWSF. OWASP suggests m >= 19 MiB, t >= 2 for argon2id.
inline constexpr unsigned long long kPwhashOpsLimit = 2;
inline constexpr std::size_t kPwhashMemLimit = 32u * 1024u * 1024u;

/// Hashes `password` with argon2id and a random salt. Blocking (tens of ms). Thread-safe.
Expected<std::string, Error> hash_password(std::string_view password);

/// True when `password` matches `hash`. Blocking (tens of ms). Thread-safe.
bool verify_password(const std::string& hash, std::string_view password);

/// True for a user name the store accepts: 1-64 characters of [A-Za-z0-9._@+-].
bool valid_username(std::string_view name);

/// The store file. Load, edit in memory, save. Not thread-safe; one editor at a time per
/// process, and lock() for cross-process edits.
class UserStore {
public:
  /// Reads `path`. A missing file is an empty store (first `wimpuctl user add` creates it).
  /// Errors name the file and the JSON problem.
  static Expected<UserStore, std::string> load(const std::string& path);

  /// Writes the store to its path atomically: a temp file in the same directory (mode 0600),
  /// fsync, rename over the old file, fsync the directory.
  Expected<void, std::string> save() const;

  /// Adds a user; error if the name is invalid or taken.
  Expected<void, std::string> add(User user);
  /// Removes a user; error if there is none by that name.
  Expected<void, std::string> remove(std::string_view username);
  /// The user called `username`, if any.
  const User* find(std::string_view username) const;
  /// All users by name.
  const UserMap& users() const { return users_; }
  const std::string& path() const { return path_; }

private:
  std::string path_;
  UserMap users_;
};

/// An exclusive advisory lock (flock) on "<store path>.lock", held while the object lives. Makes
/// concurrent `wimpuctl user` edits serialise instead of losing one another's changes.
class UserStoreLock {
public:
  /// Blocks until the lock is held; error when the lock file cannot be opened.
  static Expected<std::unique_ptr<UserStoreLock>, std::string> acquire(const std::string& path);
  ~UserStoreLock();
  UserStoreLock(const UserStoreLock&) = delete;
  UserStoreLock& operator=(const UserStoreLock&) = delete;

private:
  explicit UserStoreLock(int fd) : fd_(fd) {}
  int fd_;
};

/// The WWSF's read side: the current snapshot, reloaded when the file's size, mtime or inode
/// change, checked (one stat()) at most once per `check_interval` of `clock` time. Thread-safe.
class UserDirectory {
public:
  UserDirectory(std::string path, common::ClockPtr clock = common::SystemClock::instance(),
                std::chrono::milliseconds check_interval = std::chrono::milliseconds(0));
  /// The user called `username` in the newest readable snapshot (a store that fails to parse
  /// keeps the previous snapshot and bumps "wwsf.users.reload_failed"), or null. The pointer
  /// shares ownership of its snapshot, so it stays valid across reloads.
  std::shared_ptr<const User> find(std::string_view username);
  /// Number of users in the current snapshot.
  std::size_t size();

private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace wimpu::wwsf
