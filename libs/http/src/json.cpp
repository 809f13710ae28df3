#include "wimpu/http/json.hpp"

#include "wimpu/common/counter.hpp"

namespace wimpu::http {

Response json_response(const Request& req, Status status, const nlohmann::json& body) {
  Response res = make_response(req, status);
  res.set(Field::content_type, "application/json");
  res.set(Field::cache_control, "no-store");
  res.body() = body.dump();
  return res;
}

Response json_error(const Request& req, Status status, std::string_view code,
                    std::string_view message) {
  return json_response(req, status, {{"error", code}, {"message", message}});
}

std::optional<nlohmann::json> parse_json_object(const Request& req) {
  const auto ct = req[Field::content_type];
  // "application/json" optionally followed by parameters (charset).
  const std::string_view kJson = "application/json";
  if (ct.size() < kJson.size() || !boost::beast::iequals(ct.substr(0, kJson.size()), kJson) ||
      (ct.size() > kJson.size() && ct[kJson.size()] != ';' && ct[kJson.size()] != ' ')) {
    common::counter("http.json.bad_content_type").inc();
    return std::nullopt;
  }
  auto j = nlohmann::json::parse(req.body(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    common::counter("http.json.malformed").inc();
    return std::nullopt;
  }
  return j;
}

}  // namespace wimpu::http
