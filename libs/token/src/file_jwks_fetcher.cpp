#include <boost/asio/post.hpp>

#include <cerrno>
#include <fstream>

#include "wimpu/token/jwks_fetcher.hpp"

namespace wimpu::token {
namespace {

// boost::system::error_category has a protected non-virtual destructor by design (categories are
// never deleted through a base pointer).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class FetchCategory final : public boost::system::error_category {
public:
  const char* name() const noexcept override { return "wimpu.jwks_fetch"; }
  std::string message(int ev) const override {
    switch (static_cast<FetchErrc>(ev)) {
      case FetchErrc::kHttpStatus:
        return "unexpected HTTP status";
      case FetchErrc::kBodyTooLarge:
        return "JWKS document too large";
      case FetchErrc::kTimeout:
        return "JWKS fetch timed out";
      case FetchErrc::kBadUrl:
        return "bad JWKS URL";
    }
    return "unknown JWKS fetch error";
  }
};
#pragma GCC diagnostic pop

FetchResult read_file(const std::string& path, std::size_t max_size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return boost::system::error_code(errno != 0 ? errno : ENOENT, boost::system::system_category());
  }
  std::string out;
  out.resize(max_size + 1);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  if (in.bad()) {
    return boost::system::error_code(EIO, boost::system::system_category());
  }
  out.resize(static_cast<std::size_t>(in.gcount()));
  if (out.size() > max_size) {
    return make_error_code(FetchErrc::kBodyTooLarge);
  }
  return out;
}

}  // namespace

const boost::system::error_category& fetch_category() noexcept {
  static const FetchCategory category;
  return category;
}

boost::system::error_code make_error_code(FetchErrc e) noexcept {
  return {static_cast<int>(e), fetch_category()};
}

FileJwksFetcher::FileJwksFetcher(boost::asio::any_io_executor executor, std::string path,
                                 std::size_t max_size)
    : executor_(std::move(executor)), path_(std::move(path)), max_size_(max_size) {}

void FileJwksFetcher::async_fetch(Callback done) {
  boost::asio::post(executor_, [path = path_, max = max_size_, done = std::move(done)] {
    done(read_file(path, max));
  });
}

}  // namespace wimpu::token
