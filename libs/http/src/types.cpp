#include "wimpu/http/types.hpp"

namespace wimpu::http {

std::string_view target_path(std::string_view target) {
  const auto end = target.find_first_of("?#");
  return end == std::string_view::npos ? target : target.substr(0, end);
}

Response make_response(const Request& req, Status status) {
  Response res{status, req.version()};
  res.keep_alive(req.keep_alive());
  return res;
}

}  // namespace wimpu::http
