#pragma once
// A TLS client for the transport's TLS tests: plain OpenSSL over memory BIOs on a blocking
// loopback socket with a receive timeout, so a test sends exactly the ciphertext bytes it wants
// (half a record, a tampered record, data in the flight of its Finished) and a bug fails the
// test instead of hanging it.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "test_support.hpp"

namespace wimpu::transport::test {

struct ClientOptions {
  int max_version = TLS1_3_VERSION;
  bool offer_ticket = true;
  const TestCert* client_cert = nullptr;  // present this certificate (mutual TLS)
  std::string ciphersuites;               // TLS 1.3 suites to offer (empty: OpenSSL's default)
};

// One TLS client connection: OpenSSL over memory BIOs, ciphertext moved by hand to a blocking
// socket (5 s receive timeout).
class MemTlsClient {
public:
  MemTlsClient(const ClientOptions& o, SSL_SESSION* resume) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_max_proto_version(ctx_, o.max_version);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    if (!o.offer_ticket) {
      SSL_CTX_set_options(ctx_, SSL_OP_NO_TICKET);
    }
    if (!o.ciphersuites.empty()) {
      SSL_CTX_set_ciphersuites(ctx_, o.ciphersuites.c_str());
    }
    if (o.client_cert != nullptr) {
      SSL_CTX_use_certificate_chain_file(ctx_, o.client_cert->cert_file().c_str());
      SSL_CTX_use_PrivateKey_file(ctx_, o.client_cert->key_file().c_str(), SSL_FILETYPE_PEM);
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_msg_callback(ssl_, &MemTlsClient::on_message);
    SSL_set_msg_callback_arg(ssl_, this);
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl_, in_, out_);
    SSL_set_connect_state(ssl_);
    if (resume != nullptr) {
      SSL_set_session(ssl_, resume);
    }
  }
  ~MemTlsClient() {
    SSL_free(ssl_);  // frees both BIOs
    SSL_CTX_free(ctx_);
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  MemTlsClient(const MemTlsClient&) = delete;
  MemTlsClient& operator=(const MemTlsClient&) = delete;

  /// Handshakes; `first` (if any) is written right after the client's Finished, so both leave
  /// in the same send() (data in the flight that ends the handshake).
  bool connect(const Endpoint& server, const std::string& first = {}) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(server.port);
    const auto bytes = server.address.to_v4().to_bytes();
    std::memcpy(&sa.sin_addr, bytes.data(), bytes.size());
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      return false;
    }
    for (int i = 0; i < 100; ++i) {
      const int r = SSL_do_handshake(ssl_);
      if (r == 1 && !first.empty()) {
        std::size_t n = 0;
        if (SSL_write_ex(ssl_, first.data(), first.size(), &n) != 1) {
          return false;
        }
      }
      if (!flush()) {
        return false;
      }
      if (r == 1) {
        return true;
      }
      if (SSL_get_error(ssl_, r) != SSL_ERROR_WANT_READ || !receive()) {
        return false;
      }
    }
    return false;
  }

  /// Encrypts `plain` (one record if it fits) and returns the ciphertext without sending it.
  std::string seal(const std::string& plain) {
    std::size_t n = 0;
    EXPECT_EQ(SSL_write_ex(ssl_, plain.data(), plain.size(), &n), 1);
    return drain();
  }
  bool send_raw(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  bool send(const std::string& plain) { return send_raw(seal(plain)); }

  /// Reads decrypted bytes until `count` have arrived (or the receive timeout).
  std::string read(std::size_t count) {
    std::string got;
    char buf[4096];
    while (got.size() < count) {
      std::size_t n = 0;
      if (SSL_read_ex(ssl_, buf, sizeof buf, &n) == 1) {
        got.append(buf, n);
        continue;
      }
      if (SSL_get_error(ssl_, 0) != SSL_ERROR_WANT_READ || !flush() || !receive()) {
        break;
      }
    }
    return got;
  }

  /// Asks for a KeyUpdate (RFC 8446 §4.6.3); it leaves with the next send().
  bool key_update(bool update_requested) {
    return SSL_key_update(ssl_, update_requested ? SSL_KEY_UPDATE_REQUESTED
                                                 : SSL_KEY_UPDATE_NOT_REQUESTED) == 1;
  }
  /// Sends close_notify.
  bool send_close_notify() {
    SSL_shutdown(ssl_);
    return flush();
  }
  /// Reads until the connection ends (or the receive timeout): SSL_ERROR_ZERO_RETURN for a
  /// close_notify, the OpenSSL reason of a received alert (SSL_AD_REASON_OFFSET + its
  /// description), or -1 for anything else. Application data on the way is appended to `data`.
  int read_until_end(std::string* data = nullptr) {
    char buf[4096];
    for (int i = 0; i < 1000; ++i) {
      std::size_t n = 0;
      ERR_clear_error();
      const int r = SSL_read_ex(ssl_, buf, sizeof buf, &n);
      if (r == 1) {
        if (data != nullptr) {
          data->append(buf, n);
        }
        continue;
      }
      const int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_ZERO_RETURN) {
        return SSL_ERROR_ZERO_RETURN;
      }
      if (e == SSL_ERROR_SSL) {
        return ERR_GET_REASON(ERR_peek_error());
      }
      if (e != SSL_ERROR_WANT_READ || !flush() || !receive()) {
        return -1;
      }
    }
    return -1;
  }
  /// KeyUpdate messages received from the server.
  int key_updates_received() const { return key_updates_received_; }
  /// The negotiated suite's name.
  std::string cipher() const { return SSL_get_cipher_name(ssl_); }
  /// True when the server closed the TCP connection (EOF or reset) within the receive timeout.
  bool peer_closed() {
    char c = 0;
    return ::recv(fd_, &c, 1, 0) <= 0 && errno != EAGAIN;
  }

  bool reused() const { return SSL_session_reused(ssl_) == 1; }
  /// The session to resume next time (the last ticket received); the caller frees it.
  SSL_SESSION* session() const { return SSL_get1_session(ssl_); }

private:
  std::string drain() {
    std::string bytes;
    char buf[4096];
    int n = 0;
    while ((n = BIO_read(out_, buf, sizeof buf)) > 0) {
      bytes.append(buf, static_cast<std::size_t>(n));
    }
    return bytes;
  }
  bool flush() {
    const std::string bytes = drain();
    return bytes.empty() || send_raw(bytes);
  }
  bool receive() {
    char buf[8192];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      return false;
    }
    BIO_write(in_, buf, static_cast<int>(n));
    return true;
  }

  static void on_message(int write_p, int, int content_type, const void* buf, std::size_t len,
                         SSL*, void* arg) {
    if (write_p == 0 && content_type == SSL3_RT_HANDSHAKE && len > 0 &&
        static_cast<const unsigned char*>(buf)[0] == SSL3_MT_KEY_UPDATE) {
      ++static_cast<MemTlsClient*>(arg)->key_updates_received_;
    }
  }

  int key_updates_received_ = 0;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;
  BIO* out_ = nullptr;
  int fd_ = -1;
};

}  // namespace wimpu::transport::test
