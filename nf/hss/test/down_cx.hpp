#pragma once
// A CxClient whose HSS is down, for the CSCF tests' "HSS unreachable -> 503" cases.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>

#include "wimpu/diameter/cx_client.hpp"

namespace wimpu::hss::test {

/// Every request fails with CxError::kUnavailable, on the executor (never inside send(), as the
/// CxClient contract requires).
class DownCx final : public diameter::CxClient {
public:
  explicit DownCx(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}
  void send(diameter::CxRequest, AnswerHandler handler) override {
    boost::asio::post(ex_, [h = std::move(handler)] { h(diameter::CxError::kUnavailable); });
  }
  boost::asio::any_io_executor executor() const override { return ex_; }

private:
  boost::asio::any_io_executor ex_;
};

}  // namespace wimpu::hss::test
