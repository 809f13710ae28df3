#include "tls_stream.hpp"

#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "tls_stream_state.hpp"
#include "wimpu/common/assert.hpp"

namespace wimpu::transport::detail {
namespace {

// The BIO: send()/recv() on the socket's descriptor, read at each call from the Socket (so a
// closed socket, whose number the kernel may give to another connection, is never written).
// send() with MSG_NOSIGNAL: a peer that went away must not raise SIGPIPE (OpenSSL's own socket
// BIO uses write()).
Socket* socket_of(BIO* b) { return static_cast<Socket*>(BIO_get_data(b)); }

int bio_write(BIO* b, const char* data, int len) {
  BIO_clear_retry_flags(b);
  Socket* s = socket_of(b);
  if (s == nullptr || !s->is_open()) {
    errno = EBADF;
    return -1;
  }
  const ssize_t n = ::send(s->native_handle(), data, static_cast<std::size_t>(len), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_write(b);
  }
  return static_cast<int>(n);
}

int bio_read(BIO* b, char* data, int len) {
  BIO_clear_retry_flags(b);
  Socket* s = socket_of(b);
  if (s == nullptr || !s->is_open()) {
    errno = EBADF;
    return -1;
  }
  const ssize_t n = ::recv(s->native_handle(), data, static_cast<std::size_t>(len), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_read(b);
  }
  return static_cast<int>(n);
}

int bio_puts(BIO* b, const char* str) {
  return bio_write(b, str, static_cast<int>(std::strlen(str)));
}

long bio_ctrl(BIO*, int cmd, long, void*) {
  // Writes go straight to the socket: nothing to flush. Everything else is unsupported.
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

const BIO_METHOD* socket_bio_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "wimpu socket");
    WIMPU_RELEASE_ASSERT(m != nullptr);
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_puts(m, bio_puts);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

}  // namespace

TlsStream::TlsStream(Socket socket, asio::ssl::context& ctx)
    : socket_(std::move(socket)), ssl_(SSL_new(ctx.native_handle())) {
  WIMPU_RELEASE_ASSERT(ssl_ != nullptr);
  // Partial writes give async_write_some its meaning; the record buffer may move between a
  // WANT_WRITE and the retry (the operation object holding a gathered copy moves).
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

TlsStream::TlsStream(const Executor& ex, asio::ssl::context& ctx)
    : TlsStream(Socket(ex), ctx) {}

TlsStream::~TlsStream() { SSL_free(ssl_); }  // frees the BIO too (null after the switch)

void TlsStream::set_verify_host(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (!ec) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str());
  } else {
    SSL_set1_host(ssl_, host.c_str());
  }
}

void TlsStream::begin(asio::ssl::stream_base::handshake_type role) {
  if (!bio_bound_) {
    bio_bound_ = true;
    BIO* bio = BIO_new(socket_bio_method());
    WIMPU_RELEASE_ASSERT(bio != nullptr);
    BIO_set_data(bio, &socket_);
    SSL_set_bio(ssl_, bio, bio);  // one reference for both directions
  }
  error_code ec;
  socket_.native_non_blocking(true, ec);  // OpenSSL calls send/recv on it directly
  if (role == asio::ssl::stream_base::client) {
    SSL_set_connect_state(ssl_);
  } else {
    SSL_set_accept_state(ssl_);
    if (SSL_CTX_get_keylog_callback(SSL_get_SSL_CTX(ssl_)) == &TlsStream::on_keylog &&
        capture_ == nullptr) {
      capture_ = std::make_unique<Capture>();
      SSL_set_ex_data(ssl_, TlsStream::stream_index(), this);
      SSL_set_msg_callback(ssl_, &TlsStream::on_message);
    }
  }
}

TlsStream::Step TlsStream::perform(Kind kind, void* data, std::size_t size) {
  if (!socket_.is_open() || !bio_bound_) {
    return Step{Want::kNothing, asio::error::bad_descriptor, 0};
  }
  if (rec_ != nullptr) {
    switch (kind) {
      case Kind::kRead:
        return records_read(data, size);
      case Kind::kWrite:
        return records_flush(size);
      case Kind::kShutdown:
        return records_shutdown();
      case Kind::kHandshake:
        return Step{};
    }
  }
  if ((kind == Kind::kRead || kind == Kind::kWrite) && size == 0) {
    return Step{};
  }
  ERR_clear_error();
  errno = 0;
  std::size_t n = 0;
  int r = 0;
  switch (kind) {
    case Kind::kHandshake:
      r = SSL_do_handshake(ssl_);
      break;
    case Kind::kRead:
      r = SSL_read_ex(ssl_, data, size, &n);
      break;
    case Kind::kWrite:
      r = SSL_write_ex(ssl_, data, size, &n);
      break;
    case Kind::kShutdown:
      r = SSL_shutdown(ssl_);
      if (r == 0) {
        return Step{};  // close_notify sent; the peer's is not awaited
      }
      break;
  }
  if (r == 1) {
    if (kind == Kind::kHandshake && capture_ != nullptr) {
      switch_to_records();
    }
    return Step{Want::kNothing, {}, n};
  }
  const int sys = errno;
  switch (SSL_get_error(ssl_, r)) {
    case SSL_ERROR_WANT_READ:
      return Step{Want::kRead, {}, 0};
    case SSL_ERROR_WANT_WRITE:
      return Step{Want::kWrite, {}, 0};
    case SSL_ERROR_ZERO_RETURN:
      return Step{Want::kNothing, asio::error::eof, 0};  // the peer's close_notify
    case SSL_ERROR_SYSCALL: {
      if (const unsigned long e = ERR_get_error(); e != 0) {
        return Step{Want::kNothing, error_code(static_cast<int>(e), asio::error::get_ssl_category()),
                    0};
      }
      if (sys != 0) {
        return Step{Want::kNothing, error_code(sys, asio::error::get_system_category()), 0};
      }
      return Step{Want::kNothing, asio::ssl::error::stream_truncated, 0};  // EOF, no close_notify
    }
    case SSL_ERROR_SSL: {
      const unsigned long e = ERR_get_error();
      if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        return Step{Want::kNothing, asio::ssl::error::stream_truncated, 0};
      }
      return Step{Want::kNothing, error_code(static_cast<int>(e), asio::error::get_ssl_category()),
                  0};
    }
    default:
      return Step{Want::kNothing, asio::ssl::error::unspecified_system_error, 0};
  }
}

void teardown(boost::beast::role_type, TlsStream& stream, error_code& ec) {
  ec = {};
  stream.close_notify_now();
}

}  // namespace wimpu::transport::detail
