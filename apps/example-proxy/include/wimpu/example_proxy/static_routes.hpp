#pragma once
// The example proxy's plug-in: static routes by Request-URI user. It shows the smallest useful
// RequestPolicy: only the target set is decided here; RFC 3261 §16 is the core's.
#include <map>
#include <string>
#include <vector>

#include "wimpu/proxy/policy.hpp"

namespace wimpu::example_proxy {

class StaticRoutePolicy final : public proxy::RequestPolicy {
public:
  /// `routes`: user -> target URIs ("*" = any user). Immutable after construction, so one
  /// instance may serve every shard.
  explicit StaticRoutePolicy(std::map<std::string, std::vector<std::string>, std::less<>> routes)
      : routes_(std::move(routes)) {}

  /// Requests for us (Request-URI names the proxy) are routed by their user part; others go to
  /// their Request-URI / Route (the core's default). No target: the core answers 480.
  proxy::Decision on_request(proxy::RequestContext& ctx) override;

private:
  std::map<std::string, std::vector<std::string>, std::less<>> routes_;
};

}  // namespace wimpu::example_proxy
