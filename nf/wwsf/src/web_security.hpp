#pragma once
// Origin checks (CSRF defence, requirements W-11) and CORS answers for the WWSF API.
#include <string>
#include <vector>

#include "wimpu/http/types.hpp"

namespace wimpu::wwsf {

/// The configured cross-origin callers plus the WWSF's own origin, derived per request.
class OriginPolicy {
public:
  OriginPolicy(std::vector<std::string> allowed, bool secure)
      : allowed_(std::move(allowed)), scheme_(secure ? "https://" : "http://") {}

  /// True when `req` carries an Origin that is the WWSF's own (scheme://Host) or configured.
  /// A state-changing request without Origin is refused: browsers send it on every POST
  /// (Fetch standard), and non-browser clients can add it.
  bool allows_request(const http::Request& req) const;
  /// True when `origin` is a configured cross-origin caller (CORS answers go only to those).
  bool is_cross_origin_allowed(std::string_view origin) const;
  /// Adds Access-Control-Allow-Origin/-Credentials and Vary for configured origins.
  void add_cors_headers(const http::Request& req, http::Response& res) const;
  /// The answer to a CORS preflight (OPTIONS): 204 with the allowed methods/headers, or 403.
  http::Response preflight(const http::Request& req) const;
  /// The configured cross-origin callers.
  const std::vector<std::string>& allowed() const { return allowed_; }

private:
  std::vector<std::string> allowed_;
  std::string scheme_;
};

/// Constant-time comparison of two secrets (CSRF tokens).
bool secret_equals(std::string_view a, std::string_view b);

}  // namespace wimpu::wwsf
