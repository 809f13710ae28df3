#pragma once
// What the eP-CSCF knows about each block's registration with the IMS core (seed TR §5.2.2.5.1):
// up or down, the Service-Route and P-Associated-URI of the last 200 OK, and the flow token of
// the Path we registered (terminating requests come back with it as their Route).
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wimpu::ep_cscf {

/// Threading: every method is safe from any thread (one short mutex; written by the block
/// registration on shard 0 a few times an hour, read per originating request).
class BlockDirectory {
public:
  struct State {
    /// False while the block is not registered with the core: WIC REGISTERs get 503.
    bool up = true;
    /// Service-Route values of the block registration's 200 OK (RFC 3608), top first.
    std::vector<std::string> service_route;
    /// P-Associated-URI values of that 200 OK (RFC 7315 §4.1).
    std::vector<std::string> associated;
    /// The user part of our Path URI in the block REGISTER (a flow token, RFC 5626 §5.2).
    std::string path_token;
    /// While down: when the block registration tries again after a failure (its back-off).
    /// Default (or past): an attempt is on its way now.
    std::chrono::steady_clock::time_point next_attempt{};
  };

  /// Replaces the state of `block`.
  void set(const std::string& block, State s) const {
    std::lock_guard<std::mutex> lock(m_);
    states_[block] = std::move(s);
  }
  /// The state of `block`; a default State (up, no routes) when never set.
  State get(const std::string& block) const {
    std::lock_guard<std::mutex> lock(m_);
    auto it = states_.find(block);
    return it == states_.end() ? State{} : it->second;
  }
  /// nullopt when `block` is up; when it is down, its State::next_attempt. For the WIC REGISTER
  /// path, which reads this for every REGISTER and must not copy the routes get() returns.
  std::optional<std::chrono::steady_clock::time_point> down_until(const std::string& block) const {
    std::lock_guard<std::mutex> lock(m_);
    auto it = states_.find(block);
    if (it == states_.end() || it->second.up) {
      return std::nullopt;
    }
    return it->second.next_attempt;
  }
  /// get(block).service_route.
  std::vector<std::string> service_route(const std::string& block) const {
    return get(block).service_route;
  }
  /// True when `token` is the Path token of some block.
  bool is_path_token(std::string_view token) const {
    std::lock_guard<std::mutex> lock(m_);
    for (const auto& [id, st] : states_) {
      if (!st.path_token.empty() && st.path_token == token) {
        return true;
      }
    }
    return false;
  }

private:
  mutable std::mutex m_;
  mutable std::unordered_map<std::string, State> states_;
};

}  // namespace wimpu::ep_cscf
