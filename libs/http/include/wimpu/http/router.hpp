#pragma once
// Method + path -> handler. Exact paths first, then the longest registered prefix (static files
// live under a prefix). Handlers are either plain functions (JSON API, static files) or Asio
// coroutines, for handlers that move slow work (argon2id password checks) off the I/O thread.
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "wimpu/http/types.hpp"

namespace wimpu::http {

/// A handler that answers at once on the session's strand. Must not block for long.
using SyncHandler = std::function<Response(const Request&, const RequestInfo&)>;

/// A handler that may suspend (e.g. post work to a pool and come back). It is started on the
/// session's strand and must resume there before it returns. The request is passed by value so
/// the coroutine frame owns it (no reference into the session outlives a suspension).
using AsyncHandler = std::function<boost::asio::awaitable<Response>(Request, RequestInfo)>;

/// One routed handler: exactly one of the two members is set.
struct Route {
  SyncHandler sync;
  AsyncHandler async;
};

/// Result of a lookup: the route, or why there is none (404 vs 405).
struct RouteMatch {
  const Route* route = nullptr;    ///< Null when nothing matched.
  bool path_known = false;         ///< True when the path matched but not the method (405).
  std::string allow;               ///< Allowed methods for a 405 answer, comma separated.
};

/// Routing table. Fill it before the server starts; lookups are const and thread-safe after that.
class Router {
public:
  /// Routes `method` on exactly `path` (no query string) to `handler`. Replaces an earlier route.
  void add(Verb method, std::string path, SyncHandler handler);
  /// Same as add() for a coroutine handler.
  void add_async(Verb method, std::string path, AsyncHandler handler);
  /// Routes `method` on every path that starts with `prefix` (e.g. "/" for static files).
  void add_prefix(Verb method, std::string prefix, SyncHandler handler);
  /// Finds the handler for a method and a path (query already stripped). HEAD falls back to GET.
  RouteMatch find(Verb method, std::string_view path) const;

private:
  using Methods = std::map<Verb, Route>;
  RouteMatch match_in(const Methods& methods, Verb method) const;
  std::map<std::string, Methods, std::less<>> exact_;
  std::vector<std::pair<std::string, Methods>> prefixes_;  // Longest first.
};

}  // namespace wimpu::http
