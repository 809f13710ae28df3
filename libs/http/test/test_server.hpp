#pragma once
// Runs a wimpu::http::Server on its own io_context thread for a test, on 127.0.0.1 port 0.
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>

#include "wimpu/http/client.hpp"
#include "wimpu/http/server.hpp"
#include "wimpu/http/self_signed.hpp"
#include "wimpu/http/tls.hpp"

namespace wimpu::http::testing {

class RunningServer {
public:
  RunningServer(std::shared_ptr<const Router> router, bool tls, ServerOptions options = {},
                ResponseHook hook = {}) {
    if (tls) {
      auto pem = make_self_signed_certificate({.server_auth_only = true});
      if (!pem) {
        throw std::runtime_error(pem.error());
      }
      cert_pem = pem->certificate;
      auto ctx = make_server_tls_context(*pem);
      if (!ctx) {
        throw std::runtime_error(ctx.error());
      }
      tls_ = *ctx;
    }
    options.address = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<Server>(ioc_, options, std::move(router), tls_, std::move(hook));
    if (auto r = server_->start(); !r) {
      throw std::runtime_error(r.error().message());
    }
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~RunningServer() {
    server_->stop();
    ioc_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return server_->port(); }
  /// A client trusting this server's certificate (or plain when the server is plain).
  std::unique_ptr<Client> client() const {
    return std::make_unique<Client>("127.0.0.1", port(),
                                    tls_ ? make_client_tls_context(cert_pem) : nullptr);
  }
  std::string cert_pem;

private:
  boost::asio::io_context ioc_{1};
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

}  // namespace wimpu::http::testing
