#include "wimpu/example_proxy/static_routes.hpp"

#include "wimpu/sip/uri.hpp"

namespace wimpu::example_proxy {

proxy::Decision StaticRoutePolicy::on_request(proxy::RequestContext& ctx) {
  if (!ctx.request_uri_is_local() || ctx.has_remaining_route()) {
    return proxy::Decision::proceed();
  }
  auto uri = sip::parse_uri(ctx.request_uri());
  if (!uri) {
    return proxy::Decision::respond(400, "Bad Request-URI");
  }
  auto it = routes_.find(uri->user);
  if (it == routes_.end()) {
    it = routes_.find(std::string_view("*"));
  }
  if (it != routes_.end()) {
    for (const std::string& t : it->second) {
      proxy::Target target;
      target.uri = t;
      ctx.add_target(std::move(target));
    }
  }
  return proxy::Decision::proceed();
}

}  // namespace wimpu::example_proxy
