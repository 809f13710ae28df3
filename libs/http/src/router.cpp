#include "wimpu/http/router.hpp"

#include <algorithm>

namespace wimpu::http {

void Router::add(Verb method, std::string path, SyncHandler handler) {
  exact_[std::move(path)][method] = Route{std::move(handler), {}};
}

void Router::add_async(Verb method, std::string path, AsyncHandler handler) {
  exact_[std::move(path)][method] = Route{{}, std::move(handler)};
}

void Router::add_prefix(Verb method, std::string prefix, SyncHandler handler) {
  auto it = std::find_if(prefixes_.begin(), prefixes_.end(),
                         [&](const auto& p) { return p.first == prefix; });
  if (it == prefixes_.end()) {
    prefixes_.emplace_back(std::move(prefix), Methods{});
    it = prefixes_.end() - 1;
  }
  it->second[method] = Route{std::move(handler), {}};
  // Longest prefix first, so "/api/" wins over "/".
  std::stable_sort(prefixes_.begin(), prefixes_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

RouteMatch Router::match_in(const Methods& methods, Verb method) const {
  RouteMatch m;
  m.path_known = true;
  auto it = methods.find(method);
  if (it == methods.end() && method == Verb::head) {
    it = methods.find(Verb::get);  // RFC 9110 §9.3.2: HEAD is GET without the body.
  }
  if (it != methods.end()) {
    m.route = &it->second;
    return m;
  }
  for (const auto& [verb, route] : methods) {
    if (!m.allow.empty()) {
      m.allow += ", ";
    }
    m.allow += std::string(bhttp::to_string(verb));
  }
  return m;
}

RouteMatch Router::find(Verb method, std::string_view path) const {
  if (auto it = exact_.find(path); it != exact_.end()) {
    return match_in(it->second, method);
  }
  for (const auto& [prefix, methods] : prefixes_) {
    if (path.substr(0, prefix.size()) == prefix) {
      return match_in(methods, method);
    }
  }
  return {};
}

}  // namespace wimpu::http
