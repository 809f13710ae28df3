#pragma once
// JSON answers (nlohmann-json) and JSON request bodies parsed without exceptions.
#include <nlohmann/json.hpp>
#include <optional>

#include "wimpu/http/types.hpp"

namespace wimpu::http {

/// A response with `body` serialised, Content-Type application/json and Cache-Control: no-store
/// (API answers carry session data and tokens; RFC 6749 §5.1 asks the same for token answers).
Response json_response(const Request& req, Status status, const nlohmann::json& body);

/// An error answer {"error": code, "message": message}.
Response json_error(const Request& req, Status status, std::string_view code,
                    std::string_view message);

/// Parses the request body as a JSON object. Returns nullopt when the Content-Type is not
/// application/json or the body is not a JSON object. Never throws.
std::optional<nlohmann::json> parse_json_object(const Request& req);

}  // namespace wimpu::http
