#include "tls.hpp"

#include <boost/asio/ip/address.hpp>

#include "tls_stream.hpp"

namespace wimpu::transport::detail {
namespace ssl = boost::asio::ssl;
namespace {

constexpr auto kOptions = ssl::context::default_workarounds | ssl::context::no_sslv2 |
                          ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                          ssl::context::no_tlsv1_1 | ssl::context::single_dh_use;

StartupError fail(const std::string& what, const std::string& file,
                  const boost::system::error_code& ec) {
  return StartupError{what + " '" + file + "': " + ec.message()};
}

// Idle TLS connections give their OpenSSL read/write buffers back (about 34 KiB each): most
// flows are idle WICs waiting for a call.
void release_idle_buffers(ssl::context& ctx) {
  SSL_CTX_set_mode(ctx.native_handle(), SSL_MODE_RELEASE_BUFFERS);
}

// Server-side resumption (TlsServerConfig::session_cache). Stateless tickets (RFC 8446 §4.6.1,
// RFC 5077) stay on either way: OpenSSL issues them unless SSL_OP_NO_TICKET, and with them it
// keeps no TLS 1.3 session in the cache (measured by bench_transport_tls_memory: 0 sessions
// cached after 2,000 TLS 1.3 or ticket-offering TLS 1.2 handshakes). The cache then only serves
// TLS 1.2 clients that offer no ticket, at ~1 KiB per closed session kept until its timeout, in a
// table all shards share under the context's lock.
void configure_session_cache(ssl::context& ctx, bool on) {
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_session_cache_mode(native, on ? SSL_SESS_CACHE_SERVER : SSL_SESS_CACHE_OFF);
  // With client certificates verified (verify_client), OpenSSL refuses any resumption, ticket or
  // cache, of a session whose session-ID context is empty, with a fatal handshake error
  // (SSL_R_SESSION_ID_CONTEXT_UNINITIALIZED in ssl_get_prev_session), and never caches one. One
  // context per process is enough: a listener's ticket keys are its own SSL_CTX's.
  static constexpr unsigned char kSidContext[] = "wimpu-transport";
  SSL_CTX_set_session_id_context(native, kSidContext, sizeof kSidContext - 1);
}

}  // namespace

Expected<std::unique_ptr<ssl::context>, StartupError> make_server_tls(const TlsServerConfig& c) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(kOptions, ec);
  release_idle_buffers(*ctx);
  configure_session_cache(*ctx, c.session_cache);
  // The stream frees its SSL after a TLS 1.3 handshake and protects the records itself
  // (tls_stream.hpp). With the session cache on it must not: OpenSSL removes a cached session
  // whose SSL is freed without a shutdown (ssl_clear_bad_session).
  // Kept as it is (session 7 review): SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN) before the stream's
  // SSL_free would keep a cached session too (ssl_clear_bad_session skips it), and OpenSSL 3
  // caches no TLS 1.3 session with stateless tickets on anyway, so cache-on listeners could
  // switch as well. But that is a change of behaviour, not a simplification: the contract of
  // TlsServerConfig::record_layer, docs/config.md and nf/ep-cscf/README.md ("tls_session_cache =
  // true stays on OpenSSL") and TlsRecordLayer.Tls12SessionCacheAndTheOpensslSettingStayOnOpenssl
  // would change with it, and TLS 1.3 resumption with the cache on would need its own test.
  if (c.record_layer == TlsRecordLayer::kWimpu && !c.session_cache) {
    use_wimpu_record_layer(*ctx);
  }
  if (c.cert_file.empty() || c.key_file.empty()) {
    return StartupError{"TLS listener needs cert_file and key_file"};
  }
  if (ctx->use_certificate_chain_file(c.cert_file, ec); ec) {
    return fail("cannot load certificate chain", c.cert_file, ec);
  }
  if (ctx->use_private_key_file(c.key_file, ssl::context::pem, ec); ec) {
    return fail("cannot load private key", c.key_file, ec);
  }
  if (c.verify_client) {
    if (ctx->load_verify_file(c.ca_file, ec); ec) {
      return fail("cannot load client CA file", c.ca_file, ec);
    }
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
  }
  return ctx;
}

Expected<std::unique_ptr<ssl::context>, StartupError> make_client_tls(const TlsClientConfig& c) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(kOptions, ec);
  release_idle_buffers(*ctx);
  if (c.verify_peer) {
    if (c.ca_file.empty()) {
      ctx->set_default_verify_paths(ec);
    } else if (ctx->load_verify_file(c.ca_file, ec); ec) {
      return fail("cannot load CA file", c.ca_file, ec);
    }
    ctx->set_verify_mode(ssl::verify_peer, ec);
  } else {
    ctx->set_verify_mode(ssl::verify_none, ec);
  }
  if (!c.cert_file.empty()) {
    if (ctx->use_certificate_chain_file(c.cert_file, ec); ec) {
      return fail("cannot load client certificate", c.cert_file, ec);
    }
    if (ctx->use_private_key_file(c.key_file, ssl::context::pem, ec); ec) {
      return fail("cannot load client key", c.key_file, ec);
    }
  }
  return ctx;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace wimpu::transport::detail
