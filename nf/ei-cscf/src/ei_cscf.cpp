#include "wimpu/ei_cscf/ei_cscf.hpp"

#include <algorithm>
#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "wimpu/common/assert.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/sip/header_values.hpp"
#include "wimpu/sip/uri.hpp"

namespace wimpu::ei_cscf {
namespace {

namespace asio = boost::asio;
using diameter::CxError;
using diameter::ResultCode;
namespace results = diameter::results;

common::Counter& count(std::string_view name) {
  return common::counter("ei_cscf." + std::string(name));
}

// The IMPU a request targets: the Request-URI without parameters (TS 24.229 §5.3.2.1: the I-CSCF
// queries the HSS for the Request-URI).
std::string public_identity(const sip::Uri& uri) {
  if (uri.scheme == sip::UriScheme::kTel) {
    return "tel:" + std::string(uri.user);
  }
  std::string out(uri.scheme_text);
  out += ':';
  if (!uri.user.empty()) {
    out += uri.user;
    out += '@';
  }
  out += uri.host;
  return out;
}

// IMPI for the UAR: the Authorization username when the UE sent one (TS 24.229 §5.1.1.2),
// else derived from the IMPU (TS 23.003 §13.3 style: the IMPU without "sip:").
std::string private_identity(const sip::Message& req, std::string_view impu) {
  auto creds = sip::auth_values(req, sip::HeaderId::kAuthorization);
  if (creds) {
    for (const sip::AuthValue& v : *creds) {
      std::string_view user = v.param("username");
      if (user.size() >= 2 && user.front() == '"') {
        user = user.substr(1, user.size() - 2);
      }
      if (!user.empty()) {
        return std::string(user);
      }
    }
  }
  const auto colon = impu.find(':');
  return std::string(colon == std::string_view::npos ? impu : impu.substr(colon + 1));
}

// "sip:host:port" -> "<sip:host:port;lr>" (a pre-loaded loose route, RFC 3261 §16.6 step 6).
std::string loose_route(std::string_view scscf) { return "<" + std::string(scscf) + ";lr>"; }

}  // namespace

EiCscfPolicy::EiCscfPolicy(asio::any_io_executor executor, diameter::CxClient& cx,
                           registrar::W4* w4, EiCscfConfig config)
    : executor_(std::move(executor)), cx_(cx), w4_(w4), config_(std::move(config)) {}

EiCscfPolicy::~EiCscfPolicy() = default;

bool EiCscfPolicy::is_wimpu_domain(std::string_view host) const {
  return std::any_of(config_.wimpu_domains.begin(), config_.wimpu_domains.end(),
                     [host](const std::string& d) { return sip::iequals(d, host); });
}

std::string EiCscfPolicy::select_scscf(const diameter::ServerCapabilities& caps) const {
  const ScscfEntry* best = nullptr;
  std::size_t best_optional = 0;
  for (const ScscfEntry& s : config_.scscfs) {
    auto has = [&s](std::uint32_t c) {
      return std::find(s.capabilities.begin(), s.capabilities.end(), c) != s.capabilities.end();
    };
    if (!std::all_of(caps.mandatory.begin(), caps.mandatory.end(), has)) {
      continue;
    }
    const auto optional = static_cast<std::size_t>(
        std::count_if(caps.optional.begin(), caps.optional.end(), has));
    if (best == nullptr || optional > best_optional) {
      best = &s;
      best_optional = optional;
    }
  }
  if (best != nullptr) {
    return best->name;
  }
  return caps.server_names.empty() ? std::string() : caps.server_names.front();
}

proxy::Decision EiCscfPolicy::on_request(proxy::RequestContext& ctx) {
  const sip::Message& req = ctx.request();
  // The I-CSCF does not stay on the path (TS 24.229 §5.3.2.1: no Record-Route needed here).
  ctx.set_record_route(false);
  if (ctx.is_ack() || ctx.has_remaining_route() || !req.to_tag().empty()) {
    return proxy::Decision::proceed();
  }
  const bool is_register = req.method() == sip::Method::kRegister;
  std::string impu;
  if (is_register) {
    // TS 24.229 §5.3.1.2: the IMPU being registered is the To URI.
    impu = public_identity(req.to().uri);
  } else {
    auto uri = sip::parse_uri(ctx.request_uri());
    if (!uri) {
      count("bad_request_uri").inc();
      return proxy::Decision::respond(400, "Bad Request-URI");
    }
    impu = public_identity(*uri);
  }
  std::string impi = is_register ? private_identity(req, impu) : std::string();
  bool check_w4 = false;
  if (!is_register && w4_ != nullptr) {
    auto uri = sip::parse_uri(ctx.request_uri());
    check_w4 = uri && (uri->scheme == sip::UriScheme::kTel || is_wimpu_domain(uri->host));
  }
  // Named member coroutine, by-value parameters, completion handler that logs (STYLE.md).
  asio::co_spawn(executor_, run(ctx.id(), is_register, std::move(impu), std::move(impi), check_w4),
                 [](std::exception_ptr e) {
                   if (e) {
                     count("coroutine_failed").inc();
                   }
                 });
  return proxy::Decision::wait();
}

asio::awaitable<void> EiCscfPolicy::run(proxy::ContextId id, bool is_register, std::string impu,
                                        std::string impi, bool check_w4) {
  // No co_await inside ?: (GCC 12 miscompiles the temporaries of a conditional co_await).
  Outcome outcome;
  if (is_register) {
    outcome = co_await registration(std::move(impu), std::move(impi));
  } else {
    outcome = co_await terminating(std::move(impu), check_w4);
  }
  finish(id, outcome);
}

asio::awaitable<EiCscfPolicy::Outcome> EiCscfPolicy::registration(std::string impu,
                                                                  std::string impi) {
  diameter::UserAuthorizationRequest uar;
  uar.user_name = std::move(impi);
  uar.public_identity = std::move(impu);
  uar.visited_network = config_.visited_network;
  auto uaa = co_await diameter::async_request(cx_, std::move(uar), asio::use_awaitable);
  Outcome o;
  if (!uaa) {
    count("cx_error").inc();
    o.status = 503;  // HSS unreachable (TS 24.229 §5.3.1.2 leaves it open; 503 lets the UE retry)
    o.reason = "HSS Unavailable";
    co_return o;
  }
  const ResultCode rc = uaa->result;
  if (!rc.success()) {
    // TS 24.229 §5.3.1.2: user unknown, identities don't match, roaming not allowed -> 403.
    count("uar_rejected").inc();
    if (rc == results::kErrorUserUnknown || rc == results::kErrorIdentitiesDontMatch ||
        rc == results::kErrorRoamingNotAllowed) {
      o.status = 403;
      o.reason = "Forbidden";
    } else if (rc == results::kErrorIdentityNotRegistered) {
      o.status = 480;  // de-registration of an identity not registered
    } else {
      o.status = 500;
      o.reason = "HSS Error";
    }
    co_return o;
  }
  if (uaa->server_name && !uaa->server_name->empty()) {
    o.scscf = *uaa->server_name;
  } else if (uaa->server_capabilities) {
    o.scscf = select_scscf(*uaa->server_capabilities);
  }
  if (o.scscf.empty()) {
    count("no_scscf").inc();
    o.status = 500;
    o.reason = "No S-CSCF Available";
  }
  co_return o;
}

asio::awaitable<EiCscfPolicy::Outcome> EiCscfPolicy::terminating(std::string impu,
                                                                 bool check_w4) {
  Outcome o;
  if (check_w4) {
    // Seed §5.2.2.3.3 / C-07: the wIMPU Registrar before the HSS.
    auto reg = co_await w4_->is_registered(impu);
    if (reg) {
      if (!*reg) {
        count("wimpu_not_registered").inc();
        o.status = 480;
        o.reason = "Temporarily Unavailable";
        co_return o;
      }
    } else if (reg.error() != registrar::W4Error::kUnknownImpu) {
      count("w4_error").inc();
      o.status = 503;
      o.reason = "Registrar Unavailable";
      co_return o;
    }
    // kUnknownImpu: outside every block, the standard HSS path.
  }
  diameter::LocationInfoRequest lir;
  lir.public_identity = std::move(impu);
  auto lia = co_await diameter::async_request(cx_, std::move(lir), asio::use_awaitable);
  if (!lia) {
    count("cx_error").inc();
    o.status = 503;
    o.reason = "HSS Unavailable";
    co_return o;
  }
  const ResultCode rc = lia->result;
  if (rc == results::kErrorUserUnknown) {
    count("lir_user_unknown").inc();
    o.status = 404;  // C-06 (404 or 604)
    o.reason = "Not Found";
    co_return o;
  }
  if (rc == results::kErrorIdentityNotRegistered) {
    count("lir_not_registered").inc();
    o.status = 480;
    o.reason = "Temporarily Unavailable";
    co_return o;
  }
  if (!rc.success()) {
    count("lir_failed").inc();
    o.status = 500;
    o.reason = "HSS Error";
    co_return o;
  }
  if (lia->server_name && !lia->server_name->empty()) {
    o.scscf = *lia->server_name;
  } else if (lia->server_capabilities) {
    o.scscf = select_scscf(*lia->server_capabilities);  // 2003 UNREGISTERED_SERVICE
  }
  if (o.scscf.empty()) {
    count("no_scscf").inc();
    o.status = 500;
    o.reason = "No S-CSCF Available";
    co_return o;
  }
  if (lia->wildcarded_public_identity) {
    o.profile_key = *lia->wildcarded_public_identity;
  }
  co_return o;
}

void EiCscfPolicy::finish(proxy::ContextId id, const Outcome& outcome) {
  WIMPU_ASSERT(proxy_ != nullptr);
  // Look the context up again: a CANCEL may have ended it while the HSS answered.
  proxy::RequestContext* ctx = proxy_->find(id);
  if (ctx == nullptr) {
    count("context_gone").inc();
    return;
  }
  if (outcome.status != 0) {
    proxy_->resume(id, proxy::Decision::respond(outcome.status, outcome.reason));
    return;
  }
  if (!outcome.profile_key.empty()) {
    // RFC 5002 §5 / TS 24.229 §5.3.2.1: the wildcard the IMPU matched, for the S-CSCF.
    ctx->editor().add_header("P-Profile-Key", "<" + outcome.profile_key + ">");
  }
  proxy::Target t;  // keep the Request-URI; route via the S-CSCF
  t.routes.push_back(loose_route(outcome.scscf));
  ctx->add_target(std::move(t));
  static common::Counter& forwarded = count("forwarded");  // per call: looked up once
  forwarded.inc();
  proxy_->resume(id, proxy::Decision::proceed());
}

}  // namespace wimpu::ei_cscf
