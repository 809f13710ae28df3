#pragma once
// Admin JSON routes over the WWSF's user store (the same file `wimpuctl user` edits directly):
//   GET    /admin/users           -> 200 {"users":[{"username","block","enabled"}]}
//   POST   /admin/users {"username","password","block"?} -> 201; 409 taken; 400 invalid
//   DELETE /admin/users/<name>    -> 204; 404 unknown
// Edits take the store's advisory lock, so they serialise with `wimpuctl user`; the WWSF picks the
// change up itself (it re-reads the file when it changes). argon2id hashing blocks the admin thread
// for tens of ms, which only delays other admin requests.
#include <string>

#include "wimpu/http/router.hpp"

namespace wimpu::wimpud {

/// Adds the routes above for the store at `path`.
void add_user_routes(http::Router& router, std::string path);

}  // namespace wimpu::wimpud
