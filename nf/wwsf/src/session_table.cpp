#include "wimpu/wwsf/session_table.hpp"

#include <openssl/rand.h>
#include <sodium.h>

#include <algorithm>

#include "wimpu/common/assert.hpp"
#include "wimpu/common/counter.hpp"

namespace wimpu::wwsf {

SessionTable::SessionTable(common::ClockPtr clock, std::chrono::seconds idle_timeout,
                           std::chrono::seconds max_lifetime, std::size_t max_sessions)
    : clock_(std::move(clock)),
      idle_(idle_timeout),
      max_life_(max_lifetime),
      max_sessions_(std::max<std::size_t>(1, max_sessions)) {}

std::string SessionTable::random_hex(std::size_t bytes) {
  // OpenSSL's DRBG (seeded from the OS, reseeded per NIST SP 800-90A) runs in user space;
  // libsodium's randombytes_buf makes a getrandom() system call each time.
  std::string raw(bytes, '\0');
  WIMPU_RELEASE_ASSERT(RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()),
                                  static_cast<int>(raw.size())) == 1);
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  hex.pop_back();
  return hex;
}

bool SessionTable::expired(const Session& s, common::TimePoint now) const {
  return now - s.last_seen >= idle_ || now - s.created >= max_life_;
}

std::string SessionTable::create(const std::string& username) {
  const auto now = clock_->now();
  if (sessions_.size() >= max_sessions_ && purge_expired() == 0) {
    // Still full: drop the least recently used session (a flood of logins must not grow memory).
    auto lru = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
      return a.second.last_seen < b.second.last_seen;
    });
    sessions_.erase(lru);
    common::counter("wwsf.session.evicted").inc();
  }
  std::string id = random_hex(32);
  sessions_[id] = Session{username, random_hex(32), now, now};
  return id;
}

std::optional<Session> SessionTable::touch(const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return std::nullopt;
  }
  const auto now = clock_->now();
  if (expired(it->second, now)) {
    common::counter("wwsf.session.expired").inc();
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen = now;
  return it->second;
}

void SessionTable::erase(const std::string& id) { sessions_.erase(id); }

void SessionTable::erase_user(const std::string& username) {
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.username == username; });
}

std::size_t SessionTable::purge_expired() {
  const auto now = clock_->now();
  return std::erase_if(sessions_, [&](const auto& kv) { return expired(kv.second, now); });
}

}  // namespace wimpu::wwsf
