#pragma once
// Test helpers: an independent token forger built straight on OpenSSL (so the tests do not trust
// the library's own signing path to check its verifying path), a fake JWKS source, and claim sets.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "wimpu/common/clock.hpp"
#include "wimpu/token/jwks_fetcher.hpp"
#include "wimpu/token/signing_key.hpp"

namespace wimpu::token::test {

/// Signs `header.payload` with `key` through plain EVP calls (ES256: DER converted with
/// OpenSSL's ECDSA_SIG, not with the library's converter). Returns the compact JWS.
std::string forge(const SigningKey& key, std::string_view header_json,
                  std::string_view payload_json);

/// Like forge() with a header {"alg": <key's alg>, "kid": <key's kid>, "typ": "JWT"}.
std::string forge_claims(const SigningKey& key, const nlohmann::json& claims);

/// HS256 over `header.payload` with `secret` as the HMAC key (the algorithm-confusion attack).
std::string forge_hs256(std::string_view secret, std::string_view header_json,
                        std::string_view payload_json);

/// A claims set valid at `now` for the defaults used throughout the tests.
nlohmann::json good_claims(std::int64_t now);

inline constexpr std::string_view kIssuer = "https://wwsf.example";
inline constexpr std::string_view kAudience = "epcscf.example";
inline constexpr std::string_view kBlock = "block.example";

/// Seconds since the epoch of a clock's wall time.
std::int64_t wall_seconds(const common::Clock& clock);

/// A JWKS source whose document the test sets; counts fetches; completes by posting.
class FakeFetcher final : public JwksFetcher {
public:
  explicit FakeFetcher(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}
  void async_fetch(Callback done) override;
  std::string describe() const override { return "fake"; }

  std::string document;
  bool fail = false;
  std::atomic<int> fetches{0};

private:
  boost::asio::any_io_executor ex_;
};

/// Runs `io` until `done()` is true or nothing is left to run. Returns done().
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done);

/// A unique temporary directory, removed with its content when the object dies.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path(std::string_view name) const { return dir_ + "/" + std::string(name); }

private:
  std::string dir_;
};

}  // namespace wimpu::token::test
