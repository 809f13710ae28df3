#pragma once
// Server-side web sessions: a random 256-bit id in the cookie maps to the user, a CSRF token bound
// to the session, and two expiries (idle and absolute). Logout erases the entry, so a stolen
// cookie dies with it. Time from the injected Clock.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>

#include "wimpu/common/clock.hpp"

namespace wimpu::wwsf {

/// What a session id stands for.
struct Session {
  std::string username;
  std::string csrf_token;  ///< 256 random bits, hex; sent back in X-CSRF-Token
  common::TimePoint created;
  common::TimePoint last_seen;
};

/// Sessions by id. Not thread-safe: the WWSF guards it with its own mutex.
class SessionTable {
public:
  /// At most `max_sessions` live sessions; creating one more drops the least recently used.
  SessionTable(common::ClockPtr clock, std::chrono::seconds idle_timeout,
               std::chrono::seconds max_lifetime, std::size_t max_sessions);

  /// Creates a session for `username` and returns its id (64 hex characters from libsodium's
  /// CSPRNG).
  std::string create(const std::string& username);
  /// The live session for `id`, refreshing its idle timer; nullopt if unknown or expired (an
  /// expired one is erased).
  std::optional<Session> touch(const std::string& id);
  /// Ends a session. Unknown ids are ignored.
  void erase(const std::string& id);
  /// Ends every session of `username` (user deleted or disabled).
  void erase_user(const std::string& username);
  /// Drops expired sessions; returns how many.
  std::size_t purge_expired();
  std::size_t size() const { return sessions_.size(); }

  /// 2 * `bytes` hex characters from the CSPRNG. Thread-safe.
  static std::string random_hex(std::size_t bytes);

private:
  bool expired(const Session& s, common::TimePoint now) const;
  common::ClockPtr clock_;
  std::chrono::seconds idle_;
  std::chrono::seconds max_life_;
  std::size_t max_sessions_;
  std::unordered_map<std::string, Session> sessions_;
};

}  // namespace wimpu::wwsf
