#include "wimpu/http/tls.hpp"

#include <openssl/ssl.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "openssl_util.hpp"

namespace wimpu::http {

namespace ssl = boost::asio::ssl;

namespace {

using detail::openssl_error;

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Expected<std::shared_ptr<ssl::context>, std::string> make_server_tls_context(
    const CertificatePem& pem) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use,
                   ec);
  if (!ec) {
    ctx->use_certificate_chain(boost::asio::buffer(pem.certificate), ec);
  }
  if (ec) {
    return "TLS certificate chain: " + ec.message();
  }
  ctx->use_private_key(boost::asio::buffer(pem.private_key), ssl::context::pem, ec);
  if (ec) {
    return "TLS private key: " + ec.message();
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return openssl_error("TLS private key does not match the certificate");
  }
  return ctx;
}

Expected<std::shared_ptr<ssl::context>, std::string> make_server_tls_context_files(
    const std::string& cert_file, const std::string& key_file) {
  CertificatePem pem;
  auto cert = read_file(cert_file);
  if (!cert) {
    return "cannot read TLS certificate file " + cert_file;
  }
  auto key = read_file(key_file);
  if (!key) {
    return "cannot read TLS key file " + key_file;
  }
  pem.certificate = std::move(*cert);
  pem.private_key = std::move(*key);
  return make_server_tls_context(pem);
}

std::shared_ptr<ssl::context> make_client_tls_context(const std::string& trusted_pem) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1,
                   ec);
  if (trusted_pem.empty()) {
    ctx->set_verify_mode(ssl::verify_none, ec);
  } else {
    ctx->add_certificate_authority(boost::asio::buffer(trusted_pem), ec);
    ctx->set_verify_mode(ssl::verify_peer, ec);
  }
  return ctx;
}

}  // namespace wimpu::http
