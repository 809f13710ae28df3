#pragma once
// The HTTP message types every piece of libs/http speaks: Beast's string-bodied request and
// response. Bodies are small JSON documents or static files of the WIC (tens of KiB), so a
// std::string body is simpler than a file body and lets handlers be plain functions.
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <string>

namespace wimpu::http {

namespace bhttp = boost::beast::http;

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;
using Status = bhttp::status;
using Verb = bhttp::verb;
using Field = bhttp::field;

/// What the server knows about the peer of one request, beside the request itself.
struct RequestInfo {
  boost::asio::ip::address remote_address;  ///< TCP peer address (no proxy headers are trusted).
  std::uint16_t remote_port = 0;
  bool secure = false;  ///< True when the request came over TLS.
};

/// Returns the path part of a request target (everything before '?' or '#').
std::string_view target_path(std::string_view target);

/// Makes an empty response with the request's HTTP version and keep-alive wish.
Response make_response(const Request& req, Status status);

}  // namespace wimpu::http
