#pragma once
// Admin JSON routes over the W4 interface (wimpuctl bindings/blocks):
//   GET  /admin/bindings?impu=URI                      one IMPU (any accepted form)
//   GET  /admin/bindings?issuer=ISS&subject=SUB[&block=ID]  what a web identity holds
//   GET  /admin/bindings[?block=ID]                    every registered/quarantined IMPU
//        -> 200 {"bindings":[{block, impu, aliases, state, owner{issuer,subject}|null,
//                             contacts:[{uri, instance, reg_id, flow_token, epcscf_instance,
//                                        user_agent, path, expires_in_s, registered_at_ms}]}]}
//   POST /admin/bindings/kick {"impu", optional "uri" | "instance"+"reg_id"}
//        -> 200 {"removed","remaining","released","flows_closed"}; without a contact key every
//        contact goes; each kicked contact's flow is closed when this process holds it
//   GET  /admin/blocks -> 200 {"blocks":[{id, size, registered, quarantined, free}]}
// W4 errors map to 404 (unknown_impu, unknown_block, not_found), 400 (invalid_argument),
// 503 (unavailable) and 500, each answer {"error": "<w4 error name>", "message"}.
#include <functional>

#include <nlohmann/json.hpp>

#include "wimpu/admin/admin_server.hpp"
#include "wimpu/http/router.hpp"
#include "wimpu/registrar/w4.hpp"

namespace wimpu::admin {

/// Closes the flow of a kicked contact when this process holds it (an eP-CSCF: the WIC's
/// WebSocket); returns true when it closed one. Called on the admin executor: thread-safe.
using FlowCloser = std::function<bool(const registrar::ContactInfo& contact)>;

/// Adds the routes above. `w4` must outlive the server and be callable from the server's
/// executor (both backends are: W4 resumes on the caller's executor). `closer` (may be empty:
/// a kick then only removes the W4 state) is asked for every contact a kick removes.
void add_registrar_routes(http::Router& router, registrar::W4& w4, FlowCloser closer = {});

/// Replaces GET /metrics with the process metrics (render_process_metrics()) followed by the
/// allocation gauges of every block, read with W4::usage() at scrape time:
///   wimpu_block_impus{block="b1",state="registered|quarantined|free"} N
///   wimpu_block_size{block="b1"} N
/// A block whose usage cannot be read is left out and bumps admin.metrics.usage_failed.
void add_block_usage_metrics(http::Router& router, registrar::W4& w4);

/// Replaces GET /readyz: the reasons of `check` (may be empty), plus "registrar: <error>" when
/// W4::ping() fails (redis unreachable or its functions not loaded). Answers like
/// readiness_response().
void add_registrar_readiness(http::Router& router, registrar::W4& w4, ReadyCheck check);

/// JSON form of a binding (the objects of "bindings" above). Pure.
nlohmann::json binding_json(const registrar::Binding& b);

}  // namespace wimpu::admin
