// The WWSF over real HTTPS on 127.0.0.1, port 0, with a certificate made at test time.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "jwt_check.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/http/client.hpp"
#include "wimpu/http/self_signed.hpp"
#include "wimpu/http/tls.hpp"
#include "wimpu/wwsf/user_store.hpp"
#include "wimpu/wwsf/wwsf.hpp"

namespace wimpu::wwsf {
namespace {

namespace fs = std::filesystem;
using http::Field;
using http::Status;
using http::Verb;

constexpr const char* kAllowed = "https://app.example";
constexpr const char* kEvil = "https://evil.example";

void write_file(const fs::path& p, const std::string& content) {
  std::ofstream(p, std::ios::binary) << content;
}

std::string ed25519_pem() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

class WwsfTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wimpu_wwsf_" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_ / "static");
    auto pem = http::make_self_signed_certificate({.server_auth_only = true});
    ASSERT_TRUE(pem);
    cert_pem_ = pem->certificate;
    write_file(dir_ / "cert.pem", pem->certificate);
    write_file(dir_ / "key.pem", pem->private_key);
    write_file(dir_ / "signing.pem", ed25519_pem());
    write_file(dir_ / "retired.pem", ed25519_pem());
    write_file(dir_ / "static" / "index.html", "<!doctype html><title>WIC</title>");
    write_file(dir_ / "static" / "wic.js", "console.log('wic')");
    write_file(dir_ / "static" / "wic.css", "body{}");

    auto store = UserStore::load((dir_ / "users.json").string());
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->add(User{"alice", *hash_password("alice-pw"), "blk.example", true}));
    ASSERT_TRUE(store->add(User{"bob", *hash_password("bob-pw"), "", false}));
    ASSERT_TRUE(store->add(User{"carol", *hash_password("carol-pw"), "", true}));
    ASSERT_TRUE(store->save());

    cfg_.issuer = "https://wwsf.test";
    cfg_.audience = "epcscf.test";
    cfg_.default_block = "default.example";
    cfg_.token_lifetime = std::chrono::seconds(300);
    cfg_.signing_key_file = (dir_ / "signing.pem").string();
    cfg_.retired_key_files = {(dir_ / "retired.pem").string()};
    cfg_.user_store_path = (dir_ / "users.json").string();
    cfg_.user_store_check_interval = std::chrono::milliseconds(0);  // See edits at once.
    cfg_.login_failures_per_user = 3;
    cfg_.login_failures_per_address = 6;
    cfg_.login_failure_window = std::chrono::seconds(600);
    cfg_.allowed_origins = {kAllowed};
    cfg_.static_root = (dir_ / "static").string();
    cfg_.tls_cert_file = (dir_ / "cert.pem").string();
    cfg_.tls_key_file = (dir_ / "key.pem").string();
    cfg_.wic.ws_urls = {"wss://127.0.0.1:7443"};
    cfg_.wic.sip_domain = "epcscf.test";
    start();
  }

  void start() {
    // A fake clock the test never advances while the server runs (no data race): token times
    // and Retry-After are exact.
    auto minter = make_minter(cfg_, clock_);
    ASSERT_TRUE(minter) << minter.error();
    auto w = Wwsf::create(cfg_, *minter, clock_);
    ASSERT_TRUE(w) << w.error();
    wwsf_ = std::move(*w);
    auto started = wwsf_->start();
    ASSERT_TRUE(started) << started.error();
    host_ = "127.0.0.1:" + std::to_string(wwsf_->port());
    self_origin_ = "https://" + host_;
    client_ = connect();
  }

  void TearDown() override {
    client_.reset();
    if (wwsf_) {
      wwsf_->stop();
    }
    fs::remove_all(dir_);
  }

  std::unique_ptr<http::Client> connect() {
    return std::make_unique<http::Client>("127.0.0.1", wwsf_->port(),
                                          http::make_client_tls_context(cert_pem_));
  }

  struct Headers {
    explicit Headers(std::string o = {}, std::string c = {}, std::string k = {})
        : origin(std::move(o)), csrf(std::move(c)), cookie(std::move(k)) {}
    std::string origin;  // Empty: the WWSF's own origin; "-": none.
    std::string csrf;
    std::string cookie;  // Empty: the cookie this test holds.
  };

  http::Response send(Verb verb, const std::string& target, const std::string& body = {},
                      Headers h = Headers()) {
    http::Request req{verb, target, 11};
    req.set(Field::host, host_);
    if (h.origin != "-") {
      req.set(Field::origin, h.origin.empty() ? self_origin_ : h.origin);
    }
    if (!h.csrf.empty()) {
      req.set(kCsrfHeader, h.csrf);
    }
    const std::string cookie = h.cookie.empty() ? cookie_ : h.cookie;
    if (!cookie.empty()) {
      req.set(Field::cookie, cookie);
    }
    if (!body.empty()) {
      req.set(Field::content_type, "application/json");
      req.body() = body;
    }
    req.keep_alive(true);
    auto res = client_->request(std::move(req));
    EXPECT_TRUE(res) << target << ": " << res.error().message();
    if (client_->closed()) {
      client_ = connect();
    }
    return res ? std::move(*res) : http::Response{};
  }

  http::Response login(const std::string& user, const std::string& password,
                       Headers h = Headers()) {
    auto res = send(Verb::post, "/api/login",
                    nlohmann::json{{"username", user}, {"password", password}}.dump(), h);
    if (res.result() == Status::ok) {
      const std::string set_cookie(res[Field::set_cookie]);
      cookie_ = set_cookie.substr(0, set_cookie.find(';'));
      csrf_ = nlohmann::json::parse(res.body())["csrf_token"];
    }
    return res;
  }

  nlohmann::json fetch_token() {
    auto res = send(Verb::post, "/api/token", {}, Headers(std::string(), csrf_));
    EXPECT_EQ(res.result(), Status::ok) << res.body();
    return nlohmann::json::parse(res.body(), nullptr, false);
  }

  fs::path dir_;
  std::string cert_pem_;
  std::shared_ptr<common::FakeClock> clock_ = std::make_shared<common::FakeClock>();
  WwsfConfig cfg_;
  std::unique_ptr<Wwsf> wwsf_;
  std::unique_ptr<http::Client> client_;
  std::string host_;
  std::string self_origin_;
  std::string cookie_;
  std::string csrf_;
};

TEST_F(WwsfTest, LoginOkSetsHardenedSessionCookie) {
  auto res = login("alice", "alice-pw");
  ASSERT_EQ(res.result(), Status::ok) << res.body();
  const std::string set_cookie(res[Field::set_cookie]);
  // __Host-wimpu_sid=<64 hex>; Path=/; Max-Age=<n>; Secure; HttpOnly; SameSite=Strict
  const std::string prefix = "__Host-wimpu_sid=";
  ASSERT_EQ(set_cookie.rfind(prefix, 0), 0u) << set_cookie;
  const std::string id = set_cookie.substr(prefix.size(), 64);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << set_cookie;
  const std::string attrs = set_cookie.substr(prefix.size() + 64);
  EXPECT_EQ(attrs.rfind("; Path=/; Max-Age=", 0), 0u) << set_cookie;
  EXPECT_TRUE(attrs.ends_with("; Secure; HttpOnly; SameSite=Strict")) << set_cookie;
  const auto body = nlohmann::json::parse(res.body());
  EXPECT_EQ(body["username"], "alice");
  EXPECT_EQ(body["block"], "blk.example");
  EXPECT_EQ(body["csrf_token"].get<std::string>().size(), 64u);
  EXPECT_EQ(res[Field::cache_control], "no-store");
  EXPECT_EQ(res["Strict-Transport-Security"], "max-age=31536000");

  auto me = send(Verb::get, "/api/me");
  ASSERT_EQ(me.result(), Status::ok);
  EXPECT_EQ(nlohmann::json::parse(me.body())["csrf_token"], csrf_);
}

TEST_F(WwsfTest, BadLoginsAreRefusedAlike) {
  auto wrong = login("alice", "nope");
  EXPECT_EQ(wrong.result(), Status::unauthorized);
  auto unknown = login("mallory", "nope");
  EXPECT_EQ(unknown.result(), Status::unauthorized);
  EXPECT_EQ(wrong.body(), unknown.body());  // No user enumeration through the answer.
  EXPECT_TRUE(wrong[Field::set_cookie].empty());
  EXPECT_EQ(login("bob", "bob-pw").result(), Status::unauthorized);  // Disabled.
  EXPECT_EQ(send(Verb::post, "/api/login", "{\"username\":1}").result(), Status::bad_request);
  EXPECT_EQ(send(Verb::post, "/api/login", "not json").result(), Status::bad_request);
  EXPECT_EQ(send(Verb::get, "/api/me").result(), Status::unauthorized);
}

TEST_F(WwsfTest, RateLimitPerUserThenRetryAfter) {
  auto& limited = common::counter("wwsf.login.rate_limited");
  const auto before = limited.value();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(login("alice", "wrong").result(), Status::unauthorized);
  }
  auto res = login("alice", "alice-pw");  // Right password, but the user's bucket is empty.
  EXPECT_EQ(res.result(), Status::too_many_requests);
  EXPECT_EQ(res[Field::retry_after], "200");  // 3 per 600 s: one back after 200 s.
  EXPECT_EQ(limited.value() - before, 1u);
  // Another user from the same address still gets in (its own bucket, address not yet empty).
  EXPECT_EQ(login("carol", "carol-pw").result(), Status::ok);
}

TEST_F(WwsfTest, RateLimitPerAddressAcrossUserNames) {
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(login("user" + std::to_string(i), "x").result(), Status::unauthorized);
  }
  auto res = login("carol", "carol-pw");
  EXPECT_EQ(res.result(), Status::too_many_requests);
  EXPECT_FALSE(res[Field::retry_after].empty());
}

TEST_F(WwsfTest, CsrfRefusals) {
  ASSERT_EQ(login("alice", "alice-pw").result(), Status::ok);
  auto& refused = common::counter("wwsf.csrf.token_refused");
  const auto before = refused.value();
  EXPECT_EQ(send(Verb::post, "/api/token").result(), Status::forbidden);  // No token.
  EXPECT_EQ(send(Verb::post, "/api/token", {}, Headers(std::string(), std::string(64, 'a')))
                .result(),
            Status::forbidden);
  EXPECT_EQ(refused.value() - before, 2u);
  // Right token, foreign or missing Origin.
  EXPECT_EQ(send(Verb::post, "/api/token", {}, Headers(kEvil, csrf_)).result(),
            Status::forbidden);
  EXPECT_EQ(send(Verb::post, "/api/token", {}, Headers("-", csrf_)).result(),
            Status::forbidden);
  EXPECT_EQ(send(Verb::post, "/api/logout", {}, Headers(kEvil, csrf_)).result(),
            Status::forbidden);
  // Login from a foreign page is refused too (login CSRF).
  EXPECT_EQ(login("carol", "carol-pw", Headers(kEvil)).result(), Status::forbidden);
  // A configured cross origin may call with the token.
  EXPECT_EQ(send(Verb::post, "/api/token", {}, Headers(kAllowed, csrf_)).result(),
            Status::ok);
}

TEST_F(WwsfTest, TokenClaimsAndSignatureAgainstServedJwks) {
  ASSERT_EQ(login("alice", "alice-pw").result(), Status::ok);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       clock_->wall_now().time_since_epoch())
                       .count();
  const auto answer = fetch_token();
  EXPECT_EQ(answer["token_type"], "Bearer");
  EXPECT_EQ(answer["expires_in"], 300);
  EXPECT_EQ(answer["block"], "blk.example");
  const auto jwt = testing::decode_jwt(answer["token"]);
  ASSERT_TRUE(jwt);
  EXPECT_EQ(jwt->header["alg"], "EdDSA");
  EXPECT_EQ(jwt->header["typ"], "JWT");
  const auto& p = jwt->payload;
  EXPECT_EQ(p["iss"], "https://wwsf.test");
  EXPECT_EQ(p["sub"], "alice");
  EXPECT_EQ(p["aud"], "epcscf.test");
  EXPECT_EQ(p["wimpu_block"], "blk.example");
  EXPECT_EQ(p["iat"], now);
  EXPECT_EQ(answer["expires_at"], now + 300);
  EXPECT_EQ(p["nbf"], p["iat"]);
  EXPECT_EQ(p["exp"].get<long long>() - p["iat"].get<long long>(), 300);
  EXPECT_EQ(p["jti"].get<std::string>().size(), 22u);  // 128 bits, base64url

  auto jwks_res = send(Verb::get, "/.well-known/jwks.json", {}, Headers("-"));
  ASSERT_EQ(jwks_res.result(), Status::ok);
  EXPECT_EQ(jwks_res[Field::content_type], "application/json");
  const auto jwks = nlohmann::json::parse(jwks_res.body());
  EXPECT_TRUE(testing::verify_with_jwks(*jwt, jwks));
  // A tampered payload does not verify.
  auto tampered = *jwt;
  tampered.signing_input.back() ^= 1;
  EXPECT_FALSE(testing::verify_with_jwks(tampered, jwks));

  // A second token: fresh jti. A user without a block gets the default block.
  const auto second = testing::decode_jwt(fetch_token()["token"]);
  EXPECT_NE(second->payload["jti"], p["jti"]);
  ASSERT_EQ(login("carol", "carol-pw").result(), Status::ok);
  EXPECT_EQ(testing::decode_jwt(fetch_token()["token"])->payload["wimpu_block"],
            "default.example");
}

TEST_F(WwsfTest, JwksPublishesCurrentAndRetiredKeysByKid) {
  auto res = send(Verb::get, "/.well-known/jwks.json", {}, Headers("-"));
  ASSERT_EQ(res.result(), Status::ok);
  EXPECT_EQ(res[Field::cache_control], "public, max-age=300");
  const auto jwks = nlohmann::json::parse(res.body());
  ASSERT_EQ(jwks["keys"].size(), 2u);
  for (const auto& k : jwks["keys"]) {
    EXPECT_EQ(k["kty"], "OKP");
    EXPECT_EQ(k["crv"], "Ed25519");
    EXPECT_EQ(k["alg"], "EdDSA");
    EXPECT_EQ(k["use"], "sig");
    EXPECT_EQ(k["x"].get<std::string>().size(), 43u);
    EXPECT_FALSE(k.contains("d"));  // Never the private part.
  }
  EXPECT_NE(jwks["keys"][0]["kid"], jwks["keys"][1]["kid"]);

  // Rotation: the retired key becomes the signing key; tokens carry its kid.
  ASSERT_EQ(login("alice", "alice-pw").result(), Status::ok);
  const auto old_kid = testing::decode_jwt(fetch_token()["token"])->header["kid"];
  EXPECT_EQ(old_kid, jwks["keys"][0]["kid"]);
  wwsf_->stop();
  std::swap(cfg_.signing_key_file, cfg_.retired_key_files[0]);
  cookie_.clear();
  start();
  ASSERT_EQ(login("alice", "alice-pw").result(), Status::ok);
  const auto rotated = testing::decode_jwt(fetch_token()["token"]);
  EXPECT_EQ(rotated->header["kid"], jwks["keys"][1]["kid"]);
  EXPECT_TRUE(testing::verify_with_jwks(
      *rotated, nlohmann::json::parse(send(Verb::get, "/.well-known/jwks.json").body())));
}

TEST_F(WwsfTest, LogoutInvalidatesTheSession) {
  ASSERT_EQ(login("alice", "alice-pw").result(), Status::ok);
  const std::string old_cookie = cookie_;
  auto res = send(Verb::post, "/api/logout", {}, Headers(std::string(), csrf_));
  EXPECT_EQ(res.result(), Status::no_content);
  EXPECT_NE(std::string(res[Field::set_cookie]).find("Max-Age=0"), std::string::npos);
  // The old cookie is dead server-side, even if a client kept it.
  EXPECT_EQ(
      send(Verb::get, "/api/me", {}, Headers(std::string(), std::string(), old_cookie)).result(),
      Status::unauthorized);
  EXPECT_EQ(send(Verb::post, "/api/token", {}, Headers(std::string(), csrf_, old_cookie))
                .result(),
            Status::unauthorized);
}

TEST_F(WwsfTest, DeletedUserGetsNoMoreTokens) {
  ASSERT_EQ(login("alice", "alice-pw").result(), Status::ok);
  auto store = UserStore::load(cfg_.user_store_path);
  ASSERT_TRUE(store->remove("alice"));
  ASSERT_TRUE(store->save());
  EXPECT_EQ(send(Verb::post, "/api/token", {}, Headers(std::string(), csrf_)).result(),
            Status::unauthorized);
  EXPECT_EQ(send(Verb::get, "/api/me").result(), Status::unauthorized);
}

TEST_F(WwsfTest, CorsOnlyForConfiguredOrigins) {
  auto res = send(Verb::get, "/.well-known/jwks.json", {}, Headers(kAllowed));
  EXPECT_EQ(res[Field::access_control_allow_origin], kAllowed);
  EXPECT_EQ(res[Field::access_control_allow_credentials], "true");
  EXPECT_EQ(res[Field::vary], "Origin");
  res = send(Verb::get, "/.well-known/jwks.json", {}, Headers(kEvil));
  EXPECT_TRUE(res[Field::access_control_allow_origin].empty());

  http::Request pre{Verb::options, "/api/token", 11};
  pre.set(Field::host, host_);
  pre.set(Field::origin, kAllowed);
  pre.set(Field::access_control_request_method, "POST");
  pre.set(Field::access_control_request_headers, "content-type, x-csrf-token");
  auto ok = client_->request(pre);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->result(), Status::no_content);
  EXPECT_EQ((*ok)[Field::access_control_allow_origin], kAllowed);
  EXPECT_NE((*ok)[Field::access_control_allow_headers].find("X-CSRF-Token"), std::string::npos);
  pre.set(Field::origin, kEvil);
  auto denied = client_->request(pre);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->result(), Status::forbidden);
  EXPECT_TRUE((*denied)[Field::access_control_allow_origin].empty());
}

// Issue 7 "SIGHUP reloads": set_allowed_origins() applies to the next request, over the socket.
TEST_F(WwsfTest, ReloadedAllowedOriginsApplyToTheNextRequest) {
  ASSERT_EQ(login("alice", "alice-pw", Headers(kAllowed)).result(), Status::ok);
  EXPECT_EQ(login("carol", "carol-pw", Headers(kEvil)).result(), Status::forbidden);
  wwsf_->set_allowed_origins({kEvil});
  EXPECT_EQ(wwsf_->allowed_origins(), std::vector<std::string>{kEvil});
  // The removed origin is now refused (Origin check and CORS), the added one accepted.
  EXPECT_EQ(send(Verb::post, "/api/token", {}, Headers(kAllowed, csrf_)).result(),
            Status::forbidden);
  auto res = send(Verb::get, "/.well-known/jwks.json", {}, Headers(kAllowed));
  EXPECT_TRUE(res[Field::access_control_allow_origin].empty());
  EXPECT_EQ(send(Verb::post, "/api/token", {}, Headers(kEvil, csrf_)).result(), Status::ok);
  res = send(Verb::get, "/.well-known/jwks.json", {}, Headers(kEvil));
  EXPECT_EQ(res[Field::access_control_allow_origin], kEvil);
  EXPECT_EQ(login("carol", "carol-pw", Headers(kEvil)).result(), Status::ok);
  // The WWSF's own origin stays allowed whatever the list.
  wwsf_->set_allowed_origins({});
  EXPECT_EQ(send(Verb::post, "/api/token", {}, Headers(std::string(), csrf_)).result(),
            Status::ok);
  EXPECT_EQ(send(Verb::post, "/api/token", {}, Headers(kEvil, csrf_)).result(),
            Status::forbidden);
}

TEST_F(WwsfTest, StaticFilesAndWicConfig) {
  auto res = send(Verb::get, "/", {}, Headers("-"));
  ASSERT_EQ(res.result(), Status::ok);
  EXPECT_EQ(res[Field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
  EXPECT_FALSE(res["Content-Security-Policy"].empty());
  EXPECT_FALSE(res[Field::etag].empty());
  EXPECT_EQ(send(Verb::get, "/wic.js", {}, Headers("-"))[Field::content_type],
            "text/javascript; charset=utf-8");
  EXPECT_EQ(send(Verb::get, "/wic.css", {}, Headers("-"))[Field::content_type],
            "text/css; charset=utf-8");
  EXPECT_EQ(send(Verb::get, "/missing.js", {}, Headers("-")).result(), Status::not_found);
  auto cfg = send(Verb::get, "/wic-config.json", {}, Headers("-"));
  ASSERT_EQ(cfg.result(), Status::ok);
  const auto j = nlohmann::json::parse(cfg.body());
  EXPECT_EQ(j["ws_urls"][0], "wss://127.0.0.1:7443");
  EXPECT_EQ(j["sip_domain"], "epcscf.test");
  EXPECT_EQ(j["backoff_base_all_failed"], 30);
  EXPECT_EQ(j["backoff_base_some_failed"], 90);
  EXPECT_EQ(j["backoff_cap"], 1800);
}

TEST_F(WwsfTest, PlainHttpTestModeDropsSecureAndHostPrefix) {
  wwsf_->stop();
  client_.reset();
  cfg_.plain_http_for_tests = true;
  auto minter = make_minter(cfg_);
  auto w = Wwsf::create(cfg_, *minter);
  ASSERT_TRUE(w) << w.error();
  wwsf_ = std::move(*w);
  ASSERT_TRUE(wwsf_->start());
  http::Client plain("127.0.0.1", wwsf_->port(), nullptr);
  http::Request req{Verb::post, "/api/login", 11};
  const std::string host = "127.0.0.1:" + std::to_string(wwsf_->port());
  req.set(Field::host, host);
  req.set(Field::origin, "http://" + host);
  req.set(Field::content_type, "application/json");
  req.body() = R"({"username":"alice","password":"alice-pw"})";
  auto res = plain.request(req);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->result(), Status::ok) << res->body();
  const std::string cookie((*res)[Field::set_cookie]);
  EXPECT_EQ(cookie.rfind("wimpu_sid=", 0), 0u) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos);
  EXPECT_NE(cookie.find("HttpOnly; SameSite=Strict"), std::string::npos);
  EXPECT_TRUE((*res)["Strict-Transport-Security"].empty());
}

TEST(WwsfConfigTest, MissingFieldsAreReported) {
  WwsfConfig cfg;
  cfg.issuer = "i";
  cfg.audience = "a";
  auto minter = make_minter(cfg);
  ASSERT_TRUE(minter) << minter.error();
  cfg.issuer.clear();
  auto w = Wwsf::create(cfg, *minter);
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().find("issuer"), std::string::npos);
  cfg.issuer = "i";
  cfg.audience = "a";
  cfg.default_block = "b";
  cfg.user_store_path = "/nonexistent/users.json";
  cfg.tls_cert_file = "/nonexistent/cert.pem";
  w = Wwsf::create(cfg, *minter);
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().find("cert"), std::string::npos);
}

}  // namespace
}  // namespace wimpu::wwsf
