#include "wimpu/admin/registrar_routes.hpp"

#include "wimpu/admin/prometheus.hpp"
#include "wimpu/admin/query.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/http/json.hpp"

namespace wimpu::admin {
namespace {

namespace asio = boost::asio;
using http::Request;
using http::RequestInfo;
using http::Response;
using http::Status;
using http::Verb;
using registrar::W4Error;
using nlohmann::json;

/// Listing every binding of a big block is paged through W4::list(); this caps one answer.
constexpr std::size_t kMaxListed = 10'000;

Response w4_error(const Request& req, W4Error e) {
  common::counter("admin.w4_error." + std::string(registrar::to_string(e))).inc();
  Status s = Status::internal_server_error;
  switch (e) {
    case W4Error::kUnknownImpu:
    case W4Error::kUnknownBlock:
    case W4Error::kNotFound:
      s = Status::not_found;
      break;
    case W4Error::kInvalidArgument:
      s = Status::bad_request;
      break;
    case W4Error::kUnavailable:
      s = Status::service_unavailable;
      break;
    default:
      break;
  }
  return http::json_error(req, s, registrar::to_string(e), "W4 operation failed");
}

Response bad_request(const Request& req, std::string_view message) {
  common::counter("admin.bad_request").inc();
  return http::json_error(req, Status::bad_request, "bad_request", message);
}

// Route coroutines take the W4 by pointer and the request by value (STYLE.md: no captures in
// coroutine lambdas, no references across suspension points).
asio::awaitable<Response> get_bindings(registrar::W4* w4, Request req) {
  const auto impu = query_param(req.target(), "impu");
  const auto issuer = query_param(req.target(), "issuer");
  const auto subject = query_param(req.target(), "subject");
  const auto block = query_param(req.target(), "block");
  json out = json::array();
  if (impu) {
    auto r = co_await w4->lookup(*impu);
    if (!r) {
      co_return w4_error(req, r.error());
    }
    out.push_back(binding_json(*r));
    co_return http::json_response(req, Status::ok, json{{"bindings", out}});
  }
  if (issuer.has_value() != subject.has_value()) {
    co_return bad_request(req, "issuer and subject go together");
  }
  std::vector<std::string> blocks;
  if (block) {
    blocks.push_back(*block);
  } else {
    for (const auto& b : w4->blocks().blocks()) {
      blocks.push_back(b->config.id);
    }
  }
  for (const std::string& id : blocks) {
    if (issuer) {
      registrar::WebIdentity who{*issuer, *subject};
      auto r = co_await w4->lookup_identity(id, std::move(who));
      if (!r && r.error() != W4Error::kNotFound) {
        co_return w4_error(req, r.error());
      }
      if (r) {
        out.push_back(binding_json(*r));
      }
      continue;
    }
    std::uint64_t cursor = 0;
    do {
      auto page = co_await w4->list(id, cursor, registrar::kMaxListLimit);
      if (!page) {
        co_return w4_error(req, page.error());
      }
      for (const registrar::Binding& b : page->entries) {
        out.push_back(binding_json(b));
      }
      cursor = page->next_cursor;
    } while (cursor != 0 && out.size() < kMaxListed);
  }
  co_return http::json_response(req, Status::ok, json{{"bindings", out}});
}

// The contact remove_contact(key) removes, by the W4's binding-key rule: (instance, reg-id) when
// the key has both (RFC 5626 §6), else the Contact URI of a contact without them (RFC 3261
// §10.3). Only those contacts' flows may be closed by a kick.
bool same_binding(const registrar::ContactInfo& c, const registrar::ContactKey& key) {
  const bool c_outbound = c.reg_id != 0 && !c.instance.empty();
  if (key.is_outbound()) {
    return c_outbound && c.reg_id == key.reg_id && c.instance == key.instance;
  }
  return !c_outbound && c.uri == key.uri;
}

asio::awaitable<Response> kick(registrar::W4* w4, const FlowCloser* closer, Request req) {
  auto body = http::parse_json_object(req);
  if (!body || !body->contains("impu") || !(*body)["impu"].is_string()) {
    co_return bad_request(req, "expected a JSON object with \"impu\"");
  }
  std::string impu = (*body)["impu"].get<std::string>();
  registrar::ContactKey key;
  key.uri = body->value("uri", std::string());
  key.instance = body->value("instance", std::string());
  key.reg_id = body->value("reg_id", std::uint32_t{0});
  // The kicked contacts' flows (their tokens are in the binding, read before the removal) are
  // closed after it: a WIC whose state is gone but whose WebSocket stays open would not know it
  // must register again, and closing first would let the flow-closed path remove the contacts
  // under our feet.
  std::vector<registrar::ContactInfo> to_close;
  if (*closer) {
    std::string which = impu;
    auto b = co_await w4->lookup(std::move(which));
    if (b) {
      for (const registrar::ContactView& c : b->contacts) {
        const bool all = key.uri.empty() && key.instance.empty();
        if (all || same_binding(c.info, key)) {
          to_close.push_back(c.info);
        }
      }
    }
  }
  registrar::W4Result<registrar::RemoveResult> r;
  if (key.uri.empty() && key.instance.empty()) {
    std::optional<registrar::CallIdGuard> no_guard;
    r = co_await w4->remove_all(std::move(impu), std::move(no_guard));
  } else {
    r = co_await w4->remove_contact(std::move(impu), std::move(key));
  }
  if (!r) {
    co_return w4_error(req, r.error());
  }
  std::uint32_t flows_closed = 0;
  for (const registrar::ContactInfo& c : to_close) {
    if ((*closer)(c)) {
      ++flows_closed;
    }
  }
  common::counter("admin.kick").inc();
  co_return http::json_response(
      req, Status::ok,
      json{{"removed", r->removed},
           {"remaining", r->remaining},
           {"released", r->released},
           {"flows_closed", flows_closed}});
}

asio::awaitable<Response> get_blocks(registrar::W4* w4, Request req) {
  json out = json::array();
  for (const auto& b : w4->blocks().blocks()) {
    std::string id = b->config.id;
    auto u = co_await w4->usage(id);
    if (!u) {
      co_return w4_error(req, u.error());
    }
    out.push_back(json{{"id", b->config.id},
                       {"size", u->size},
                       {"registered", u->registered},
                       {"quarantined", u->quarantined},
                       {"free", u->free}});
  }
  co_return http::json_response(req, Status::ok, json{{"blocks", out}});
}

asio::awaitable<Response> metrics_with_usage(registrar::W4* w4, Request req) {
  std::string gauges = "# TYPE wimpu_block_impus gauge\n";
  std::string sizes = "# TYPE wimpu_block_size gauge\n";
  for (const auto& b : w4->blocks().blocks()) {
    std::string id = b->config.id;
    auto u = co_await w4->usage(id);
    if (!u) {
      common::counter("admin.metrics.usage_failed").inc();
      continue;
    }
    // Block ids are [A-Za-z0-9_.-] (BlockSet checks), so they need no label escaping.
    const std::string label = "{block=\"" + b->config.id + "\"";
    gauges += "wimpu_block_impus" + label + ",state=\"registered\"} " +
              std::to_string(u->registered) + "\n";
    gauges += "wimpu_block_impus" + label + ",state=\"quarantined\"} " +
              std::to_string(u->quarantined) + "\n";
    gauges += "wimpu_block_impus" + label + ",state=\"free\"} " + std::to_string(u->free) + "\n";
    sizes += "wimpu_block_size" + label + "} " + std::to_string(u->size) + "\n";
  }
  Response res = http::make_response(req, Status::ok);
  res.set(http::Field::content_type, kPrometheusContentType);
  res.set(http::Field::cache_control, "no-store");
  res.body() = render_process_metrics() + gauges + sizes;
  res.prepare_payload();
  co_return res;
}

asio::awaitable<Response> readiness(registrar::W4* w4, const ReadyCheck* check, Request req) {
  std::vector<std::string> why = *check ? (*check)() : std::vector<std::string>{};
  auto pong = co_await w4->ping();
  if (!pong) {
    why.push_back("registrar: " + std::string(registrar::to_string(pong.error())));
  }
  co_return readiness_response(req, why);
}

}  // namespace

nlohmann::json binding_json(const registrar::Binding& b) {
  json contacts = json::array();
  for (const registrar::ContactView& c : b.contacts) {
    contacts.push_back(json{{"uri", c.info.uri},
                            {"instance", c.info.instance},
                            {"reg_id", c.info.reg_id},
                            {"flow_token", c.info.flow_token},
                            {"epcscf_instance", c.info.epcscf_instance},
                            {"user_agent", c.info.user_agent},
                            {"path", c.info.path},
                            {"expires_in_s", c.expires_in_s},
                            {"registered_at_ms", c.registered_at_ms}});
  }
  json owner = nullptr;
  if (b.owner) {
    owner = json{{"issuer", b.owner->issuer}, {"subject", b.owner->subject}};
  }
  return json{{"block", b.block},
              {"impu", b.impu},
              {"aliases", b.aliases},
              {"state", std::string(registrar::to_string(b.state))},
              {"owner", owner},
              {"contacts", contacts}};
}

void add_block_usage_metrics(http::Router& router, registrar::W4& w4) {
  registrar::W4* p = &w4;
  router.add_async(Verb::get, "/metrics",
                   [p](Request req, RequestInfo) { return metrics_with_usage(p, std::move(req)); });
}

void add_registrar_readiness(http::Router& router, registrar::W4& w4, ReadyCheck check) {
  registrar::W4* p = &w4;
  // The check lives as long as the route (the router owns the handler that owns it).
  auto owned = std::make_shared<ReadyCheck>(std::move(check));
  router.add_async(Verb::get, "/readyz", [p, owned](Request req, RequestInfo) {
    return readiness(p, owned.get(), std::move(req));
  });
}

void add_registrar_routes(http::Router& router, registrar::W4& w4, FlowCloser closer) {
  registrar::W4* p = &w4;
  router.add_async(Verb::get, "/admin/bindings",
                   [p](Request req, RequestInfo) { return get_bindings(p, std::move(req)); });
  auto c = std::make_shared<const FlowCloser>(std::move(closer));
  router.add_async(Verb::post, "/admin/bindings/kick", [p, c](Request req, RequestInfo) {
    return kick(p, c.get(), std::move(req));
  });
  router.add_async(Verb::get, "/admin/blocks",
                   [p](Request req, RequestInfo) { return get_blocks(p, std::move(req)); });
}

}  // namespace wimpu::admin
