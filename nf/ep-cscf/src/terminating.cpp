// Terminating requests toward WICs (issue 5; seed TR §5.2.2.5.3; TS 24.229 §5.2.6.4): the called
// IMPU's live contacts from W4, one branch per +sip.instance (RFC 5626 §7), each down its flow
// (RFC 5626 §5.3). The proxy core forks, and CANCELs the other branches after a 2xx with
// "Reason: SIP;cause=200;text="Call completed elsewhere"" (RFC 3326).
#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "wimpu/common/counter.hpp"
#include "wimpu/ep_cscf/policy.hpp"
#include "wimpu/sip/uri.hpp"

namespace wimpu::ep_cscf {

using proxy::Decision;

namespace {

common::Counter& count(std::string_view what) {
  return common::counter("ep_cscf.term." + std::string(what));
}

// Looked up once, not per request (count() builds the name and takes the registry lock); the
// same for every counter of the file, hot or not (libs/transaction's detail::Counters likewise).
struct TermCounters {
  common::Counter& stale = count("stale");
  common::Counter& w4_error = count("w4_error");
  common::Counter& flow_failed = count("flow_failed");
  common::Counter& not_registered = count("not_registered");
  common::Counter& forked = count("forked");
  common::Counter& tampered = count("tampered");
  common::Counter& in_dialog_by_flow = count("in_dialog_by_flow");
  common::Counter& in_dialog_flow_gone = count("in_dialog_flow_gone");
};

TermCounters& counters() {
  static TermCounters c;
  return c;
}

std::string hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::optional<std::string> unhex(std::string_view s) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  };
  if (s.size() % 2 != 0 || s.empty()) {
    return std::nullopt;
  }
  std::string out;
  for (std::size_t i = 0; i < s.size(); i += 2) {
    const int hi = nibble(s[i]);
    const int lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

Decision w4_failure(registrar::W4Error e) {
  if (e == registrar::W4Error::kUnknownImpu) {
    return Decision::respond(404);
  }
  return Decision::respond(e == registrar::W4Error::kUnavailable ? 503 : 500);
}

}  // namespace

bool EpCscfPolicy::is_block_path_token(std::string_view user) const {
  return rt_->blocks.is_path_token(user);
}

Decision EpCscfPolicy::on_terminating(proxy::RequestContext& ctx, std::string impu) {
  spawn_after_return(run_terminating(ctx.id(), std::move(impu)));
  return Decision::wait();
}

boost::asio::awaitable<void> EpCscfPolicy::run_terminating(proxy::ContextId id, std::string impu) {
  std::string key = impu;
  auto b = co_await w4_.lookup(std::move(key));
  proxy::RequestContext* ctx = proxy_->find(id);
  if (ctx == nullptr) {
    counters().stale.inc();
    co_return;
  }
  if (!b) {
    counters().w4_error.inc();
    proxy_->resume(id, w4_failure(b.error()));
    co_return;
  }
  // RFC 5626 §7: one branch per instance, on its most recently refreshed flow; contacts without
  // an instance each get their own branch.
  std::map<std::string, const registrar::ContactView*> per_instance;
  std::vector<const registrar::ContactView*> chosen;
  for (const registrar::ContactView& c : b->contacts) {
    if (c.info.instance.empty()) {
      chosen.push_back(&c);
      continue;
    }
    auto [it, fresh] = per_instance.emplace(c.info.instance, &c);
    if (!fresh && c.updated_at_ms > it->second->updated_at_ms) {
      it->second = &c;
    }
  }
  for (const auto& [instance, c] : per_instance) {
    chosen.push_back(c);
  }
  int started = 0;
  int dead = 0;
  std::uint64_t index = 0;
  // In-dialog requests of this dialog come back with this user part (see kTermMarker); each
  // branch adds its own flow to it.
  const std::string rr_user = std::string(kTermMarker) + hex(b->impu);
  for (const registrar::ContactView* c : chosen) {
    ++index;
    if (c->info.path.empty()) {
      ++dead;
      continue;
    }
    const int status = target_flow(*ctx, c->info.path.front(), index, {}, c->info.uri, rr_user);
    if (status == 0) {
      ++started;
    } else {
      ++dead;
    }
  }
  if (started == 0) {
    if (dead > 0) {
      counters().flow_failed.inc();
      proxy_->resume(id, Decision::respond(430, "Flow Failed"));
    } else {
      counters().not_registered.inc();  // F-04: nothing to fork to
      proxy_->resume(id, Decision::respond(480));
    }
    co_return;
  }
  // No context-wide set_record_route_user(): every branch above carries its own (target_flow
  // with rr_user), and this policy adds no branch later (no on_response branch replacement), so
  // the proxy never falls back to a context-wide one here.
  counters().forked.inc(static_cast<std::uint64_t>(started));
  proxy_->resume(id, Decision::proceed());
}

std::optional<Decision> EpCscfPolicy::on_terminating_in_dialog(proxy::RequestContext& ctx,
                                                               std::string_view user) {
  // kTermMarker hex(IMPU) ["." transport "." flow-token]
  std::string_view rest = user.substr(kTermMarker.size());
  std::string_view flow_part;
  if (const auto dot = rest.find('.'); dot != std::string_view::npos) {
    flow_part = rest.substr(dot + 1);
    rest = rest.substr(0, dot);
  }
  auto impu = unhex(rest);
  if (!impu) {
    counters().tampered.inc();
    return Decision::respond(403, "Forbidden");
  }
  if (!flow_part.empty()) {
    const auto dot = flow_part.find('.');
    if (dot == std::string_view::npos) {
      counters().tampered.inc();
      return Decision::respond(403, "Forbidden");
    }
    // The flow the dialog was set up on, checked like any flow token (MAC, then liveness).
    std::string flow_uri = "sip:";
    flow_uri.append(flow_part.substr(dot + 1));
    flow_uri.append("@flow.invalid");
    if (dot > 0) {
      flow_uri.append(";transport=");
      flow_uri.append(flow_part.substr(0, dot));
    }
    const int status = target_flow(ctx, flow_uri, 0);
    if (status == 0) {
      counters().in_dialog_by_flow.inc();
      return Decision::proceed();
    }
    if (status == 403) {
      return Decision::respond(403, "Forbidden");
    }
    // 430: the flow is gone; the WIC may be back on another one (W4 below).
  }
  spawn_after_return(
      run_terminating_in_dialog(ctx.id(), std::move(*impu), std::string(ctx.request_uri())));
  return Decision::wait();
}

boost::asio::awaitable<void> EpCscfPolicy::run_terminating_in_dialog(proxy::ContextId id,
                                                                     std::string impu,
                                                                     std::string contact) {
  std::string key = impu;
  auto b = co_await w4_.lookup(std::move(key));
  proxy::RequestContext* ctx = proxy_->find(id);
  if (ctx == nullptr) {
    counters().stale.inc();
    co_return;
  }
  if (!b) {
    proxy_->resume(id, w4_failure(b.error()));
    co_return;
  }
  // The remote target of the dialog is the WIC's Contact: find its flow. Compared as URIs
  // (RFC 3261 §19.1.4), not as strings: the Contact of the WIC's 2xx may carry parameters its
  // REGISTER's did not (JsSIP adds ";ob", RFC 5626 §5.4), which do not make it another URI.
  const auto target = sip::parse_uri(contact);
  const auto same_contact = [&](const std::string& registered) {
    if (!target) {
      return registered == contact;
    }
    const auto r = sip::parse_uri(registered);
    return r ? sip::uri_equal(*r, *target) : registered == contact;
  };
  for (const registrar::ContactView& c : b->contacts) {
    if (!c.info.path.empty() && same_contact(c.info.uri)) {
      const int status = target_flow(*ctx, c.info.path.front(), 0);
      proxy_->resume(id, status == 0     ? Decision::proceed()
                         : status == 403 ? Decision::respond(403, "Forbidden")
                                         : Decision::respond(430, "Flow Failed"));
      co_return;
    }
  }
  counters().in_dialog_flow_gone.inc();
  proxy_->resume(id, Decision::respond(430, "Flow Failed"));
}

}  // namespace wimpu::ep_cscf
