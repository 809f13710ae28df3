#pragma once
// Where an issuer's JWKS document comes from: a file (deployments that copy keys around, tests) or
// the WWSF's https://.../.well-known/jwks.json (HttpsJwksFetcher). The KeyStore only sees this
// interface, so tests drive rotation with a fake.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include "wimpu/common/expected.hpp"

namespace wimpu::token {

/// Fetch failures that have no natural system error code.
enum class FetchErrc {
  kHttpStatus = 1,  ///< the server answered, but not 200
  kBodyTooLarge,    ///< the document exceeds the configured cap
  kTimeout,         ///< the whole fetch did not finish in time
  kBadUrl,          ///< the configured URL is not https://host[:port]/path
};

/// The error category of FetchErrc ("wimpu.jwks_fetch").
const boost::system::error_category& fetch_category() noexcept;

/// Makes FetchErrc usable as boost::system::error_code.
boost::system::error_code make_error_code(FetchErrc e) noexcept;

/// The document text, or why it could not be obtained.
using FetchResult = Expected<std::string, boost::system::error_code>;

/// Source of one issuer's JWKS document.
class JwksFetcher {
public:
  using Callback = std::function<void(FetchResult)>;
  virtual ~JwksFetcher() = default;

  /// Starts one fetch. `done` is called exactly once, never inline, on the fetcher's executor.
  /// Thread-safe to call from any thread; several fetches may overlap (the KeyStore never does).
  virtual void async_fetch(Callback done) = 0;

  /// Where the document comes from, for logs ("file:/etc/...", "https://...").
  virtual std::string describe() const = 0;
};

using JwksFetcherPtr = std::shared_ptr<JwksFetcher>;

/// Reads the document from a file each time it is asked (the read is small and happens on the
/// control executor, never on a shard). Thread-safe.
class FileJwksFetcher final : public JwksFetcher {
public:
  /// `executor` runs the read and the callback; `max_size` caps the file size read.
  FileJwksFetcher(boost::asio::any_io_executor executor, std::string path,
                  std::size_t max_size = 64 * 1024);
  void async_fetch(Callback done) override;
  std::string describe() const override { return "file:" + path_; }

private:
  boost::asio::any_io_executor executor_;
  std::string path_;
  std::size_t max_size_;
};

}  // namespace wimpu::token

namespace boost::system {
template <>
struct is_error_code_enum<wimpu::token::FetchErrc> : std::true_type {};
}  // namespace boost::system
