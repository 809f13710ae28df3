#pragma once
// Static files (the WIC bundle) under a root directory: content types by extension, ETag from
// size and modification time with If-None-Match -> 304, Cache-Control per file kind, and no way
// out of the root (no "..", no backslash, no NUL, no symlink escape).
#include <filesystem>
#include <string>

#include "wimpu/http/types.hpp"

namespace wimpu::http {

/// Serves files below `root`. "/" and every "dir/" map to index.html. Thread-safe (stateless).
class StaticFiles {
public:
  /// `root` must exist; a request never reads outside its canonical path.
  explicit StaticFiles(std::filesystem::path root);
  /// Answers GET/HEAD for `req` (200, 304, 404). Never throws.
  Response serve(const Request& req) const;
  /// The Content-Type for a file name by its extension (application/octet-stream if unknown).
  static std::string_view content_type(std::string_view filename);

private:
  std::filesystem::path root_;
};

}  // namespace wimpu::http
