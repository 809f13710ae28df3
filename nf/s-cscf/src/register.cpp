// REGISTER at the S-CSCF (TS 24.229 §5.4.1; RFC 3261 §10.3): authentication (SIP Digest via MAR,
// or trusted-node auth-done), SAR, the binding update and the 200 OK.
#include <algorithm>
#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "wimpu/common/counter.hpp"
#include "wimpu/s_cscf/s_cscf.hpp"
#include "wimpu/sip/header_values.hpp"

namespace wimpu::s_cscf {

namespace asio = boost::asio;
using Headers = std::vector<std::pair<std::string, std::string>>;
namespace results = diameter::results;

struct ScscfPolicy::PendingRegister {
  std::string impi;
  std::string impu;
  bool star = false;                    ///< Contact: * (RFC 3261 §10.3 step 6)
  std::vector<ContactUpdate> contacts;  ///< empty and !star: a query
  std::string path;                     ///< Path as received, echoed in the 200 (RFC 3327 §5.3)
};

namespace {

common::Counter& count(std::string_view name) {
  return common::counter("s_cscf.register." + std::string(name));
}

void log_failure(std::exception_ptr e) {
  if (e) {
    common::counter("s_cscf.coroutine_failed").inc();
  }
}

// The IMPI when the UE did not name one (TS 23.003 §13.3 style: the IMPU without its scheme).
std::string derived_impi(std::string_view impu) {
  const auto colon = impu.find(':');
  return std::string(colon == std::string_view::npos ? impu : impu.substr(colon + 1));
}

std::string trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
    v.remove_prefix(1);
  }
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
    v.remove_suffix(1);
  }
  return std::string(v);
}

}  // namespace

proxy::Decision ScscfPolicy::on_register(proxy::RequestContext& ctx) {
  const sip::Message& req = ctx.request();
  const ScscfConfig& cfg = shared_->config;
  auto reg = std::make_shared<PendingRegister>();
  reg->impu = impu_of(req.to().uri.text);  // TS 24.229 §5.4.1.2.1: the To header names the IMPU
  if (reg->impu.empty()) {
    count("bad_to").inc();
    return proxy::Decision::respond(400, "Bad To");
  }

  // RFC 3261 §10.3 steps 6-7: the contacts and their expiry, checked before any Cx work.
  auto header_expires = sip::delta_seconds(req, sip::HeaderId::kExpires);
  if (!header_expires) {
    count("bad_expires").inc();
    return proxy::Decision::respond(400, "Bad Expires");
  }
  std::size_t contact_lines = 0;
  for (const sip::HeaderField& h : req.headers()) {
    if (h.id == sip::HeaderId::kContact) {
      ++contact_lines;
      reg->star = reg->star || trim(h.value) == "*";
    }
  }
  if (reg->star) {
    if (contact_lines != 1 || !header_expires->has_value() || **header_expires != 0) {
      count("bad_star").inc();
      return proxy::Decision::respond(400, "Invalid Contact: *");
    }
  } else if (contact_lines > 0) {
    auto contacts = sip::name_addr_values(req, sip::HeaderId::kContact);
    auto paths = sip::name_addr_values(req, sip::HeaderId::kPath);
    if (!contacts || !paths) {
      count("bad_contact_or_path").inc();
      return proxy::Decision::respond(400, "Bad Contact or Path");
    }
    std::vector<std::string> path;
    for (const sip::NameAddr& p : *paths) {
      path.emplace_back(p.text);
      reg->path += reg->path.empty() ? "" : ", ";
      reg->path += p.text;
    }
    for (const sip::NameAddr& c : *contacts) {
      std::uint32_t e =
          sip::contact_expires(c).value_or(header_expires->value_or(cfg.default_expires));
      if (e != 0 && e < cfg.min_expires) {
        count("interval_too_brief").inc();
        ctx.add_response_header("Min-Expires", std::to_string(cfg.min_expires));
        return proxy::Decision::respond(423, "Interval Too Brief");
      }
      e = std::min(e, cfg.max_expires);
      reg->contacts.push_back(ContactUpdate{std::string(c.uri.text), path,
                                            std::string(req.call_id()), req.cseq().number, e});
    }
  }

  // Credentials: the first Digest value of Authorization (TS 24.229 §5.1.1.2.1 sends one even
  // on the initial REGISTER, with an empty nonce and response).
  DigestCredentials creds;
  bool has_digest = false;
  if (auto values = sip::auth_values(req, sip::HeaderId::kAuthorization)) {
    for (const sip::AuthValue& v : *values) {
      if (sip::iequals(v.scheme, "Digest")) {
        creds = parse_digest_params(v.params);
        has_digest = true;
        break;
      }
    }
  } else {
    count("bad_authorization").inc();
    return proxy::Decision::respond(400, "Bad Authorization");
  }
  const proxy::ContextId id = ctx.id();

  if (has_digest && creds.integrity_protected == "auth-done") {
    if (trusted_source(ctx)) {
      // TS 24.229 §5.4.1.2.2F: a trusted node authenticated the user; no challenge.
      count("trusted_node").inc();
      reg->impi = creds.username.empty() ? derived_impi(reg->impu) : creds.username;
      asio::co_spawn(executor_, assign(id, std::move(reg)), log_failure);
      return proxy::Decision::wait();
    }
    count("untrusted_auth_done").inc();  // ignored: challenge like anyone else
  } else if (has_digest && !creds.response.empty() && !creds.nonce.empty()) {
    NonceTable::Issued issued;
    switch (shared_->nonces.check(creds, req.method_text(), &issued)) {
      case DigestCheck::kOk:
        count("digest_ok").inc();
        reg->impi = issued.impi;
        asio::co_spawn(executor_, assign(id, std::move(reg)), log_failure);
        return proxy::Decision::wait();
      case DigestCheck::kStale: {
        count("digest_stale").inc();
        auto fresh = shared_->nonces.reissue(creds.nonce);
        if (fresh) {
          ctx.add_response_header("WWW-Authenticate",
                                  "Digest realm=\"" + issued.realm + "\", nonce=\"" + *fresh +
                                      "\", algorithm=MD5, qop=\"auth\", stale=true");
          return proxy::Decision::respond(401, "Unauthorized");
        }
        break;  // forgotten meanwhile: a new challenge
      }
      case DigestCheck::kWrongUser:
      case DigestCheck::kBadResponse:
        count("digest_failed").inc();
        // TS 29.228 §6.1.2: AUTHENTICATION_FAILURE lets the HSS release the S-CSCF it stored at
        // MAR time when nothing is registered (fire and forget: the answer changes nothing here).
        if (!creds.username.empty()) {
          asio::co_spawn(executor_,
                         deregister(creds.username, reg->impu,
                                    diameter::ServerAssignmentType::kAuthenticationFailure),
                         log_failure);
        }
        return proxy::Decision::respond(403, "Authentication Failed");
      case DigestCheck::kReplay:
        count("digest_replay").inc();
        break;  // a new challenge
      case DigestCheck::kUnknownNonce:
        count("digest_unknown_nonce").inc();
        break;
    }
  }
  std::string impi =
      has_digest && !creds.username.empty() ? creds.username : derived_impi(reg->impu);
  asio::co_spawn(executor_, challenge(id, std::move(impi), reg->impu), log_failure);
  return proxy::Decision::wait();
}

asio::awaitable<void> ScscfPolicy::challenge(proxy::ContextId id, std::string impi,
                                             std::string impu) {
  diameter::MultimediaAuthRequest mar;
  mar.user_name = impi;
  mar.public_identity = impu;
  mar.auth_data.scheme = "SIP Digest";
  mar.server_name = shared_->config.server_name;
  auto maa = co_await diameter::async_request(cx_, std::move(mar), asio::use_awaitable);
  if (!maa) {
    count("mar_cx_error").inc();
    finish(id, 503, "HSS Unavailable", {});
    co_return;
  }
  if (!maa->result.success()) {
    count("mar_rejected").inc();
    // TS 24.229 §5.4.1.2.1: user unknown / identities do not match -> 403.
    finish(id, 403, "Forbidden", {});
    co_return;
  }
  auto item = std::find_if(maa->auth_data.begin(), maa->auth_data.end(),
                           [](const diameter::SipAuthDataItem& i) { return i.digest.has_value(); });
  if (item == maa->auth_data.end()) {
    count("mar_no_digest").inc();
    finish(id, 500, "No Authentication Data", {});
    co_return;
  }
  const diameter::SipDigestAuthenticate& d = *item->digest;
  const std::string realm = d.realm;
  const std::string nonce =
      shared_->nonces.issue(NonceTable::Issued{std::move(impi), std::move(impu), d.realm, d.ha1});
  count("challenged").inc();
  // RFC 2617 §3.2.1 / TS 24.229 §5.4.1.2.1: qop="auth", MD5.
  finish(id, 401, "Unauthorized",
         {{"WWW-Authenticate", "Digest realm=\"" + realm + "\", nonce=\"" + nonce +
                                   "\", algorithm=MD5, qop=\"auth\""}});
}

asio::awaitable<void> ScscfPolicy::assign(proxy::ContextId id,
                                          std::shared_ptr<PendingRegister> reg) {
  RegistrationStore& store = shared_->store;
  const bool adds = std::any_of(reg->contacts.begin(), reg->contacts.end(),
                                [](const ContactUpdate& c) { return c.expires_s != 0; });
  Expected<RegistrationView, StoreError> view = StoreError::kNotFound;

  if (reg->star) {
    view = store.remove_all(reg->impu);
  } else if (reg->contacts.empty()) {
    auto found = store.lookup(reg->impu);  // a query (RFC 3261 §10.2.3)
    if (found) {
      view = std::move(*found);
    }
  } else if (!adds) {
    view = store.update(reg->impi, reg->impu, {}, reg->contacts);
  } else {
    // TS 24.229 §5.4.1.2.2: SAR before answering; the SAA's User-Data is the implicit set.
    diameter::ServerAssignmentRequest sar;
    sar.user_name = reg->impi;
    sar.public_identities.push_back(reg->impu);
    sar.server_name = shared_->config.server_name;
    sar.assignment_type = store.is_registered(reg->impu)
                              ? diameter::ServerAssignmentType::kReRegistration
                              : diameter::ServerAssignmentType::kRegistration;
    auto saa = co_await diameter::async_request(cx_, std::move(sar), asio::use_awaitable);
    if (!saa) {
      count("sar_cx_error").inc();
      finish(id, 503, "HSS Unavailable", {});
      co_return;
    }
    if (!saa->result.success()) {
      count("sar_rejected").inc();
      finish(id, 403, "Forbidden", {});
      co_return;
    }
    std::vector<std::string> identities;
    if (saa->user_data) {
      identities = public_identities_of(*saa->user_data);
    }
    if (identities.empty()) {
      identities.push_back(reg->impu);
    }
    if (saa->wildcarded_public_identity &&
        std::find(identities.begin(), identities.end(), *saa->wildcarded_public_identity) ==
            identities.end()) {
      identities.push_back(*saa->wildcarded_public_identity);
    }
    view = store.update(reg->impi, reg->impu, identities, reg->contacts);
  }

  if (!view) {
    if (view.error() == StoreError::kNotFound) {
      count("ok_nothing_registered").inc();
      finish(id, 200, "OK", {});
      co_return;
    }
    count(view.error() == StoreError::kOutOfOrder ? "out_of_order" : "bad_identity").inc();
    finish(id, 500, "Server Internal Error", {});
    co_return;
  }
  Headers h;
  if (view->contacts.empty() && (reg->star || !reg->contacts.empty())) {
    // The last contact went: de-register the set at the HSS (TS 24.229 §5.4.1.4).
    store.erase(reg->impu);
    count("deregistered").inc();
    std::string impi = view->impi;
    std::string impu = view->registered_impu;
    co_await deregister(std::move(impi), std::move(impu),
                        diameter::ServerAssignmentType::kUserDeregistration);
    finish(id, 200, "OK", {});
    co_return;
  }
  for (const ContactView& c : view->contacts) {
    h.emplace_back("Contact", "<" + c.uri + ">;expires=" + std::to_string(c.expires_in_s));
  }
  if (!reg->path.empty()) {
    h.emplace_back("Path", reg->path);
  }
  h.emplace_back("Service-Route", service_route());
  // RFC 7315 §4.1: the registered IMPU first, then the rest of the implicit set.
  std::string pau = "<" + reg->impu + ">";
  for (const std::string& i : view->identities) {
    if (i != reg->impu) {
      pau += ", <" + i + ">";
    }
  }
  h.emplace_back("P-Associated-URI", pau);
  count("ok").inc();
  finish(id, 200, "OK", std::move(h));
}

}  // namespace wimpu::s_cscf
