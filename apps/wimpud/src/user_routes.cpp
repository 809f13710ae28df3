#include "user_routes.hpp"

#include "wimpu/admin/query.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/http/json.hpp"
#include "wimpu/wwsf/user_store.hpp"

namespace wimpu::wimpud {
namespace {

using http::Request;
using http::RequestInfo;
using http::Response;
using http::Status;
using http::Verb;
using nlohmann::json;

Response fail(const Request& req, Status s, std::string_view code, std::string_view message) {
  common::counter("admin.users." + std::string(code)).inc();
  return http::json_error(req, s, code, message);
}

}  // namespace

void add_user_routes(http::Router& router, std::string path) {
  router.add(Verb::get, "/admin/users", [path](const Request& req, const RequestInfo&) {
    auto store = wwsf::UserStore::load(path);
    if (!store) {
      return fail(req, Status::internal_server_error, "store_unreadable", store.error());
    }
    json users = json::array();
    for (const auto& [name, u] : store->users()) {
      users.push_back(json{{"username", name}, {"block", u.block}, {"enabled", u.enabled}});
    }
    return http::json_response(req, Status::ok, json{{"users", users}});
  });
  router.add(Verb::post, "/admin/users", [path](const Request& req, const RequestInfo&) {
    auto body = http::parse_json_object(req);
    if (!body || !(*body)["username"].is_string() || !(*body)["password"].is_string()) {
      return fail(req, Status::bad_request, "bad_request",
                  "expected {\"username\", \"password\", optional \"block\"}");
    }
    wwsf::User user;
    user.username = (*body)["username"].get<std::string>();
    user.block = body->value("block", std::string());
    if (!wwsf::valid_username(user.username)) {
      return fail(req, Status::bad_request, "bad_username", "1-64 characters of [A-Za-z0-9._@+-]");
    }
    auto hash = wwsf::hash_password((*body)["password"].get<std::string>());
    if (!hash) {
      return fail(req, Status::internal_server_error, "hash_failed", "password hashing failed");
    }
    user.password_hash = std::move(*hash);
    auto lock = wwsf::UserStoreLock::acquire(path);
    if (!lock) {
      return fail(req, Status::internal_server_error, "lock_failed", lock.error());
    }
    auto store = wwsf::UserStore::load(path);
    if (!store) {
      return fail(req, Status::internal_server_error, "store_unreadable", store.error());
    }
    if (store->find(user.username) != nullptr) {
      return fail(req, Status::conflict, "exists", "a user by that name exists");
    }
    if (auto r = store->add(std::move(user)); !r) {
      return fail(req, Status::bad_request, "rejected", r.error());
    }
    if (auto r = store->save(); !r) {
      return fail(req, Status::internal_server_error, "save_failed", r.error());
    }
    return http::json_response(req, Status::created, json{{"created", true}});
  });
  router.add_prefix(Verb::delete_, "/admin/users/", [path](const Request& req, const RequestInfo&) {
    const std::string_view target = http::target_path(req.target());
    auto name = admin::percent_decode(target.substr(std::string_view("/admin/users/").size()));
    if (!name || name->empty()) {
      return fail(req, Status::bad_request, "bad_username", "DELETE /admin/users/<name>");
    }
    auto lock = wwsf::UserStoreLock::acquire(path);
    if (!lock) {
      return fail(req, Status::internal_server_error, "lock_failed", lock.error());
    }
    auto store = wwsf::UserStore::load(path);
    if (!store) {
      return fail(req, Status::internal_server_error, "store_unreadable", store.error());
    }
    if (store->find(*name) == nullptr) {
      return fail(req, Status::not_found, "unknown_user", "no user by that name");
    }
    if (auto r = store->remove(*name); !r) {
      return fail(req, Status::internal_server_error, "rejected", r.error());
    }
    if (auto r = store->save(); !r) {
      return fail(req, Status::internal_server_error, "save_failed", r.error());
    }
    return http::make_response(req, Status::no_content);
  });
}

}  // namespace wimpu::wimpud
