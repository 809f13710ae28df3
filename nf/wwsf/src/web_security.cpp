#include "web_security.hpp"

#include <sodium.h>

#include <algorithm>

#include "wimpu/common/counter.hpp"

namespace wimpu::wwsf {

using http::Field;

bool OriginPolicy::is_cross_origin_allowed(std::string_view origin) const {
  return std::find(allowed_.begin(), allowed_.end(), origin) != allowed_.end();
}

bool OriginPolicy::allows_request(const http::Request& req) const {
  const auto origin = req[Field::origin];
  if (origin.empty() || origin == "null") {
    return false;
  }
  if (is_cross_origin_allowed(origin)) {
    return true;
  }
  // Same origin: the page that posts was served by us under the Host it is talking to.
  const auto host = req[Field::host];
  return !host.empty() && origin.size() == scheme_.size() + host.size() &&
         origin.substr(0, scheme_.size()) == scheme_ && origin.substr(scheme_.size()) == host;
}

void OriginPolicy::add_cors_headers(const http::Request& req, http::Response& res) const {
  const auto origin = req[Field::origin];
  if (origin.empty()) {
    return;
  }
  res.set(Field::vary, "Origin");
  if (!is_cross_origin_allowed(origin)) {
    return;  // No CORS headers: the browser keeps the answer from the foreign page.
  }
  res.set(Field::access_control_allow_origin, origin);
  res.set(Field::access_control_allow_credentials, "true");
  res.set(Field::access_control_expose_headers, "Retry-After");
}

http::Response OriginPolicy::preflight(const http::Request& req) const {
  const auto origin = req[Field::origin];
  const auto method = req[Field::access_control_request_method];
  if (!is_cross_origin_allowed(origin) || (method != "GET" && method != "POST")) {
    common::counter("wwsf.cors.preflight_refused").inc();
    auto res = http::make_response(req, http::Status::forbidden);
    res.set(Field::vary, "Origin");
    return res;
  }
  auto res = http::make_response(req, http::Status::no_content);
  res.set(Field::access_control_allow_methods, "GET, POST");
  res.set(Field::access_control_allow_headers, "Content-Type, X-CSRF-Token");
  res.set(Field::access_control_max_age, "600");
  return res;
}

bool secret_equals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && !a.empty() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace wimpu::wwsf
