#include "wimpu/http/static_files.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <system_error>

#include "wimpu/common/counter.hpp"

namespace wimpu::http {

namespace fs = std::filesystem;

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Rejects anything that could leave the root or confuse the file system: parent segments,
// backslashes, NUL, percent-escapes (the WIC never needs them), and a leading "//".
bool safe_relative_path(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.find("..") != std::string_view::npos ||
      path.find('\\') != std::string_view::npos || path.find('%') != std::string_view::npos ||
      path.find('\0') != std::string_view::npos || path.find("//") != std::string_view::npos) {
    return false;
  }
  return true;
}

Response not_found(const Request& req) {
  common::counter("http.static.not_found").inc();
  Response res = make_response(req, Status::not_found);
  res.set(Field::content_type, "text/plain; charset=utf-8");
  res.body() = "not found\n";
  return res;
}

}  // namespace

StaticFiles::StaticFiles(fs::path root) {
  std::error_code ec;
  root_ = fs::weakly_canonical(root, ec);
  if (ec) {
    root_ = std::move(root);
  }
}

std::string_view StaticFiles::content_type(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
      {".woff2", "font/woff2"},
      {".webmanifest", "application/manifest+json"},
      {".wav", "audio/wav"},
      {".ogg", "audio/ogg"},
  }};
  for (const auto& [ext, type] : kTypes) {
    if (ends_with(name, ext)) {
      return type;
    }
  }
  return "application/octet-stream";
}

Response StaticFiles::serve(const Request& req) const {
  std::string path(target_path(req.target()));
  if (!safe_relative_path(path)) {
    common::counter("http.static.bad_path").inc();
    return not_found(req);
  }
  if (path.back() == '/') {
    path += "index.html";
  }
  std::error_code ec;
  const fs::path file = fs::weakly_canonical(root_ / path.substr(1), ec);
  if (ec) {
    return not_found(req);
  }
  // Symlinks pointing out of the root are refused, like "..".
  const auto rel = file.lexically_relative(root_);
  if (rel.empty() || *rel.begin() == "..") {
    common::counter("http.static.escape").inc();
    return not_found(req);
  }
  const auto status = fs::status(file, ec);
  if (ec || !fs::is_regular_file(status)) {
    return not_found(req);
  }
  const auto size = fs::file_size(file, ec);
  const auto mtime = fs::last_write_time(file, ec);
  if (ec) {
    return not_found(req);
  }
  // A strong validator from size and modification time (RFC 9110 §8.8.3): cheap, and it changes
  // whenever the web build rewrites the file.
  char etag[64];
  std::snprintf(etag, sizeof etag, "\"%llx-%llx\"", static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(mtime.time_since_epoch().count()));
  // Hashed bundle names could be cached for a year; the WIC's names are stable, so revalidate
  // every time and rely on the ETag for a cheap 304 (RFC 9111 §5.2.2.4 no-cache).
  const std::string_view cache_control = "no-cache";
  const std::string_view type = content_type(file.native());
  if (const auto inm = req[Field::if_none_match]; !inm.empty() && inm.find(etag) != std::string_view::npos) {
    Response res = make_response(req, Status::not_modified);
    res.set(Field::etag, etag);
    res.set(Field::cache_control, cache_control);
    return res;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return not_found(req);
  }
  std::ostringstream body;
  body << in.rdbuf();
  Response res = make_response(req, Status::ok);
  res.set(Field::content_type, type);
  res.set(Field::etag, etag);
  res.set(Field::cache_control, cache_control);
  res.body() = std::move(body).str();
  return res;
}

}  // namespace wimpu::http
