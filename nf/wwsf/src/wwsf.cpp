#include "wimpu/wwsf/wwsf.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>

#include "issuer_minter.hpp"
#include "json_text.hpp"
#include "web_security.hpp"
#include "wimpu/common/assert.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/http/cookie.hpp"
#include "wimpu/http/json.hpp"
#include "wimpu/http/server.hpp"
#include "wimpu/http/static_files.hpp"
#include "wimpu/http/tls.hpp"
#include "wimpu/wwsf/rate_limiter.hpp"
#include "wimpu/wwsf/session_table.hpp"
#include "wimpu/wwsf/user_store.hpp"

namespace wimpu::wwsf {

namespace asio = boost::asio;
using http::Field;
using http::Request;
using http::RequestInfo;
using http::Response;
using http::Status;
using http::Verb;

namespace {

constexpr std::size_t kMaxPasswordBytes = 1024;

// Runs on the password pool: argon2id takes ~25 ms, so it never runs on an I/O thread.
asio::awaitable<bool> verify_on_pool(std::string hash, std::string password) {
  co_return verify_password(hash, password);
}

Response error(const Request& req, Status status, std::string_view code, std::string_view text,
               const char* counter_name) {
  common::counter(counter_name).inc();
  return http::json_error(req, status, code, text);
}

}  // namespace

struct Wwsf::Impl {
  WwsfConfig config;
  TokenMinterPtr minter;
  common::ClockPtr clock;
  std::shared_ptr<asio::ssl::context> tls;
  asio::io_context ioc;
  asio::thread_pool password_pool;
  std::unique_ptr<http::Server> server;
  std::vector<std::thread> threads;
  // Read per request by the I/O threads, replaced by set_allowed_origins() (SIGHUP reload).
  std::atomic<std::shared_ptr<const OriginPolicy>> origin_policy;
  UserDirectory users;
  std::string dummy_hash;  // Verified for unknown users so they cost the same as known ones.
  std::string cookie_name;

  std::mutex mutex;  // Guards the three tables below.
  SessionTable sessions;
  FailureLimiter user_failures;
  FailureLimiter address_failures;

  Impl(WwsfConfig cfg, TokenMinterPtr m, common::ClockPtr c)
      : config(std::move(cfg)),
        minter(std::move(m)),
        clock(std::move(c)),
        ioc(static_cast<int>(std::max(1u, config.io_threads))),
        password_pool(std::max(1u, config.password_threads)),
        origin_policy(std::make_shared<const OriginPolicy>(config.allowed_origins,
                                                           !config.plain_http_for_tests)),
        users(config.user_store_path, clock, config.user_store_check_interval),
        cookie_name(config.plain_http_for_tests ? kPlainSessionCookie : kSessionCookie),
        sessions(clock, config.session_idle_timeout, config.session_max_lifetime,
                 config.max_sessions),
        user_failures(clock, config.login_failures_per_user, config.login_failure_window),
        address_failures(clock, config.login_failures_per_address, config.login_failure_window) {}

  std::shared_ptr<const OriginPolicy> origins() const {
    return origin_policy.load(std::memory_order_acquire);
  }

  std::string session_id(const Request& req) const {
    const auto v = http::find_cookie(req[Field::cookie], cookie_name);
    return v ? std::string(*v) : std::string();
  }

  const std::string& block_of(const User& u) const {
    return u.block.empty() ? config.default_block : u.block;
  }

  Response with_cookie(Response res, const std::string& value, long long max_age) const {
    http::SetCookie c;
    c.name = cookie_name;
    c.value = value;
    c.max_age = max_age;
    c.secure = !config.plain_http_for_tests;
    auto header = http::serialize(c);
    WIMPU_RELEASE_ASSERT(header.has_value());  // Hex ids and a fixed name always serialise.
    res.set(Field::set_cookie, *header);
    return res;
  }

  // The session of a request (refreshing its idle timer) plus its CSRF check for POSTs.
  std::optional<Session> session_for(const Request& req) {
    const std::string id = session_id(req);
    if (id.empty()) {
      return std::nullopt;
    }
    std::lock_guard lock(mutex);
    return sessions.touch(id);
  }

  // Origin + session + X-CSRF-Token: the guard of every state-changing call after login.
  std::variant<Session, Response> guarded(const Request& req) {
    if (!origins()->allows_request(req)) {
      return error(req, Status::forbidden, "origin_refused", "Origin not allowed",
                   "wwsf.csrf.origin_refused");
    }
    auto s = session_for(req);
    if (!s) {
      return error(req, Status::unauthorized, "not_logged_in", "no valid session",
                   "wwsf.session.missing");
    }
    if (!secret_equals(req[kCsrfHeader], s->csrf_token)) {
      return error(req, Status::forbidden, "csrf_refused", "missing or wrong X-CSRF-Token",
                   "wwsf.csrf.token_refused");
    }
    return std::move(*s);
  }

  nlohmann::json identity(const Session& s, const std::string& block) const {
    return {{"username", s.username}, {"block", block}, {"csrf_token", s.csrf_token},
            {"token_lifetime", config.token_lifetime.count()}};
  }

  asio::awaitable<Response> login(Request req, RequestInfo info) {
    if (!origins()->allows_request(req)) {
      co_return error(req, Status::forbidden, "origin_refused", "Origin not allowed",
                      "wwsf.csrf.origin_refused");
    }
    auto body = http::parse_json_object(req);
    if (!body || !(*body)["username"].is_string() || !(*body)["password"].is_string()) {
      co_return error(req, Status::bad_request, "bad_request",
                      "expected {\"username\": string, \"password\": string}",
                      "wwsf.login.bad_request");
    }
    const std::string username = (*body)["username"].get<std::string>();
    std::string password = (*body)["password"].get<std::string>();
    if (username.size() > 64 || password.size() > kMaxPasswordBytes) {
      co_return error(req, Status::bad_request, "bad_request", "user name or password too long",
                      "wwsf.login.bad_request");
    }
    const std::string address = info.remote_address.to_string();
    std::chrono::seconds wait{0};
    {
      std::lock_guard lock(mutex);
      wait = std::max(user_failures.retry_after(username), address_failures.retry_after(address));
    }
    if (wait.count() > 0) {
      Response res = error(req, Status::too_many_requests, "rate_limited",
                           "too many failed logins, retry later", "wwsf.login.rate_limited");
      res.set(Field::retry_after, std::to_string(wait.count()));
      co_return res;
    }
    const std::shared_ptr<const User> user =
        valid_username(username) ? users.find(username) : nullptr;
    // Same argon2id work whether or not the user exists (no user-enumeration by timing).
    const bool password_ok = co_await asio::co_spawn(
        password_pool, verify_on_pool(user ? user->password_hash : dummy_hash, std::move(password)),
        asio::use_awaitable);
    if (!password_ok || !user || !user->enabled) {
      {
        std::lock_guard lock(mutex);
        user_failures.record_failure(username);
        address_failures.record_failure(address);
      }
      co_return error(req, Status::unauthorized, "invalid_credentials",
                      "wrong user name or password", "wwsf.login.failed");
    }
    std::string id;
    Session session;
    {
      std::lock_guard lock(mutex);
      user_failures.reset(username);
      // A fresh id on every login: a session id planted before login is worthless (fixation).
      if (auto old = session_id(req); !old.empty()) {
        sessions.erase(old);
      }
      id = sessions.create(user->username);
      session = *sessions.touch(id);
    }
    common::counter("wwsf.login.ok").inc();
    co_return with_cookie(http::json_response(req, Status::ok, identity(session, block_of(*user))),
                          id, config.session_max_lifetime.count());
  }

  Response logout(const Request& req) {
    auto g = guarded(req);
    if (auto* res = std::get_if<Response>(&g)) {
      if (res->result() != Status::unauthorized) {
        return std::move(*res);
      }
      // No session: logging out again is fine; still clear the cookie.
    } else {
      std::lock_guard lock(mutex);
      sessions.erase(session_id(req));
    }
    common::counter("wwsf.logout").inc();
    return with_cookie(http::make_response(req, Status::no_content), "", 0);
  }

  Response me(const Request& req) {
    auto s = session_for(req);
    if (!s) {
      return error(req, Status::unauthorized, "not_logged_in", "no valid session",
                   "wwsf.session.missing");
    }
    const auto user = users.find(s->username);
    return http::json_response(req, Status::ok, identity(*s, user ? block_of(*user) : ""));
  }

  Response token(const Request& req) {
    auto g = guarded(req);
    if (auto* res = std::get_if<Response>(&g)) {
      return std::move(*res);
    }
    const Session& s = std::get<Session>(g);
    // The admin may have disabled or deleted the user since login: no more tokens, no session.
    const auto user = users.find(s.username);
    if (!user || !user->enabled) {
      {
        std::lock_guard lock(mutex);
        sessions.erase_user(s.username);
      }
      return error(req, Status::unauthorized, "user_disabled", "user no longer allowed",
                   "wwsf.token.user_gone");
    }
    const std::string& block = block_of(*user);
    auto minted = minter->mint(s.username, block);
    if (!minted) {
      return error(req, Status::internal_server_error, "signing_failed", minted.error().message,
                   "wwsf.token.sign_failed");
    }
    common::counter("wwsf.token.issued").inc();
    Response res = http::make_response(req, Status::ok);
    res.set(Field::content_type, "application/json");
    res.set(Field::cache_control, "no-store");  // RFC 6749 §5.1: token answers are not cached.
    std::string& body = res.body();
    body.reserve(minted->token.size() + 128);
    body += R"({"token":)";
    append_json_string(body, minted->token);
    body += R"(,"token_type":"Bearer","expires_in":)";
    append_integer(body, config.token_lifetime.count());
    body += R"(,"expires_at":)";
    append_integer(body, minted->expires_at);
    body += R"(,"block":)";
    append_json_string(body, block);
    body += '}';
    return res;
  }

  Response jwks(const Request& req) const {
    Response res = http::make_response(req, Status::ok);
    res.set(Field::content_type, "application/json");
    // Verifiers may cache briefly; an unknown kid makes them refetch anyway (rotation).
    res.set(Field::cache_control, "public, max-age=300");
    res.body() = minter->jwks_json();
    return res;
  }

  Response wic_config(const Request& req) const {
    const WicConfig& w = config.wic;
    return http::json_response(req, Status::ok,
                               {{"ws_urls", w.ws_urls},
                                {"sip_domain", w.sip_domain},
                                {"placeholder_user", w.placeholder_user},
                                {"register_expires", w.register_expires_s},
                                {"backoff_base_all_failed", w.backoff_base_all_failed_s},
                                {"backoff_base_some_failed", w.backoff_base_some_failed_s},
                                {"backoff_cap", w.backoff_cap_s},
                                {"ice_servers", w.ice_servers}});
  }

  std::shared_ptr<http::Router> routes() {
    auto r = std::make_shared<http::Router>();
    r->add_async(Verb::post, "/api/login",
                 [this](Request req, RequestInfo info) { return login(std::move(req), info); });
    r->add(Verb::post, "/api/logout",
           [this](const Request& req, const RequestInfo&) { return logout(req); });
    r->add(Verb::get, "/api/me",
           [this](const Request& req, const RequestInfo&) { return me(req); });
    r->add(Verb::post, "/api/token",
           [this](const Request& req, const RequestInfo&) { return token(req); });
    for (const char* path : {"/api/login", "/api/logout", "/api/me", "/api/token"}) {
      r->add(Verb::options, path,
             [this](const Request& req, const RequestInfo&) { return origins()->preflight(req); });
    }
    r->add(Verb::get, "/.well-known/jwks.json",
           [this](const Request& req, const RequestInfo&) { return jwks(req); });
    r->add(Verb::get, "/wic-config.json",
           [this](const Request& req, const RequestInfo&) { return wic_config(req); });
    if (!config.static_root.empty()) {
      auto files = std::make_shared<http::StaticFiles>(config.static_root);
      r->add_prefix(Verb::get, "/", [files](const Request& req, const RequestInfo&) {
        return files->serve(req);
      });
    }
    return r;
  }

  http::ServerOptions server_options() const {
    http::ServerOptions o;
    o.address = config.listen_address;
    o.port = config.port;
    o.strand_per_connection = config.io_threads > 1;
    o.default_headers = {
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"X-Frame-Options", "DENY"},
        // The WIC talks to us (https) and to the eP-CSCF (wss); media comes from getUserMedia.
        {"Content-Security-Policy",
         "default-src 'self'; connect-src 'self' wss:; media-src 'self' blob: mediastream:; "
         "img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
         "form-action 'self'"},
    };
    if (!config.plain_http_for_tests) {
      o.default_headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
    }
    return o;
  }
};

Expected<TokenMinterPtr, std::string> make_minter(const WwsfConfig& config,
                                                  common::ClockPtr clock) {
  return make_issuer_minter(config, std::move(clock));
}

Wwsf::Wwsf(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Wwsf::~Wwsf() { stop(); }

Expected<std::unique_ptr<Wwsf>, std::string> Wwsf::create(WwsfConfig config,
                                                          TokenMinterPtr minter,
                                                          common::ClockPtr clock) {
  for (const auto& [value, name] : {std::pair{&config.issuer, "issuer"},
                                    {&config.audience, "audience"},
                                    {&config.default_block, "default_block"},
                                    {&config.user_store_path, "user_store_path"}}) {
    if (value->empty()) {
      return std::string("wwsf config: ") + name + " is required";
    }
  }
  if (!minter) {
    return std::string("wwsf: no token minter");
  }
  if (config.token_lifetime.count() <= 0) {
    return std::string("wwsf config: token_lifetime must be positive");
  }
  std::shared_ptr<asio::ssl::context> tls;
  if (!config.plain_http_for_tests) {
    auto ctx = http::make_server_tls_context_files(config.tls_cert_file, config.tls_key_file);
    if (!ctx) {
      return "wwsf config: " + ctx.error();
    }
    tls = *ctx;
  }
  auto dummy = hash_password(SessionTable::random_hex(16));
  if (!dummy) {
    return dummy.error().message;
  }
  auto impl = std::make_unique<Impl>(std::move(config), std::move(minter), std::move(clock));
  impl->tls = std::move(tls);
  impl->dummy_hash = std::move(*dummy);
  const std::shared_ptr<const http::Router> router = impl->routes();
  Impl* raw = impl.get();
  impl->server = std::make_unique<http::Server>(
      impl->ioc, impl->server_options(), router, impl->tls,
      [raw](const Request& req, const RequestInfo&, Response& res) {
        raw->origins()->add_cors_headers(req, res);
      });
  return std::unique_ptr<Wwsf>(new Wwsf(std::move(impl)));
}

Expected<void, std::string> Wwsf::start() {
  if (auto r = impl_->server->start(); !r) {
    return "wwsf: cannot listen on " + impl_->config.listen_address + ":" +
           std::to_string(impl_->config.port) + ": " + r.error().message();
  }
  for (unsigned i = 0; i < std::max(1u, impl_->config.io_threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  }
  return {};
}

std::uint16_t Wwsf::port() const { return impl_->server->port(); }

void Wwsf::stop() {
  if (!impl_) {
    return;
  }
  impl_->server->stop();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) {
    t.join();
  }
  impl_->threads.clear();
  impl_->password_pool.join();
}

const WwsfConfig& Wwsf::config() const { return impl_->config; }

void Wwsf::set_allowed_origins(std::vector<std::string> allowed) {
  impl_->origin_policy.store(
      std::make_shared<const OriginPolicy>(std::move(allowed), !impl_->config.plain_http_for_tests),
      std::memory_order_release);
  common::counter("wwsf.origins_reloaded").inc();
}

std::vector<std::string> Wwsf::allowed_origins() const {
  return impl_->origins()->allowed();
}

}  // namespace wimpu::wwsf
