#pragma once
// Latency measured from outside a network function: decorators over the seams an NF is handed
// (a W4 and a CxClient), each call timed into a libs/common histogram. wimpud hands them to the
// eI-CSCF, so W4 and Cx latency is measured without touching nf/ (the eP-CSCF builds its W4
// inside ep_cscf::Server, which has no such seam yet).
//   histograms: w4.latency.<operation> (register_contacts, lookup, is_registered, ...),
//               cx.latency.<uar|sar|lir|mar>
#include <memory>

#include "wimpu/diameter/cx_client.hpp"
#include "wimpu/registrar/w4.hpp"

namespace wimpu::admin {

/// A W4 that forwards every call to `inner` (not owned; must outlive this) and records its
/// latency, errors included. Same threading as `inner`. With `always_suspend`, every call
/// resumes its caller through a post to the caller's executor even when `inner` completed inline
/// (the memory backend does): for callers that cannot take an inline completion. The eI-CSCF
/// policy is one today: it co_spawns its W4 check from on_request(), dispatch runs it at once, and
/// an inline answer resumes the proxy before the context is waiting (proxy.resume_stale, the
/// INVITE never answered).
registrar::W4Ptr make_timed_w4(registrar::W4& inner, bool always_suspend = false);

/// A CxClient that forwards to `inner` (owned) and records the time from send() to the answer
/// handler, errors and timeouts included. Same threading as `inner`.
std::unique_ptr<diameter::CxClient> make_timed_cx(std::unique_ptr<diameter::CxClient> inner);

}  // namespace wimpu::admin
