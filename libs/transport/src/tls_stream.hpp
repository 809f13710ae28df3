#pragma once
// TlsStream: TLS over one TCP socket, with OpenSSL reading and writing the socket itself through a
// small BIO (send/recv on the non-blocking descriptor) and Asio only waiting for readiness.
//
// Why not asio::ssl::stream: it keeps, for the connection's whole life, a 17 KiB input and a
// 17 KiB output buffer of its own plus a BIO pair with two more 17 KiB buffers (about 68 KiB per
// connection), and OpenSSL's SSL_MODE_RELEASE_BUFFERS cannot free any of them. Most eP-CSCF flows
// are idle WICs waiting for a call (issue 8, figure 3: at most 8 KiB per idle connection). Here
// the only per-connection TLS state is the SSL object; with SSL_MODE_RELEASE_BUFFERS (tls.cpp)
// OpenSSL frees its record buffers whenever a connection is idle.
//
// The interface is the subset of asio::ssl::stream the transport uses (an AsyncStream for Beast):
// async_handshake, async_read_some, async_write_some, async_shutdown, next_layer, lowest_layer,
// native_handle. Errors are those of asio::ssl::stream: asio::error::eof for a close_notify,
// asio::ssl::error::stream_truncated for an EOF without one, the SSL category otherwise.
// Threading: one strand (the shard's io_context thread), as every transport object. At most one
// read and one write operation may be outstanding at a time (as for asio::ssl::stream); OpenSSL
// allows SSL_read and SSL_write to alternate on one SSL object from one thread.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/core/role.hpp>

#include <cstddef>
#include <cstring>
#include <string>

#include "asio_types.hpp"

namespace wimpu::transport::detail {

class TlsStream {
public:
  using executor_type = Executor;
  using next_layer_type = Socket;
  using lowest_layer_type = Socket::lowest_layer_type;

  /// Inbound: an accepted socket. `ctx` must outlive the stream (the listener's context).
  TlsStream(Socket socket, asio::ssl::context& ctx);
  /// Outgoing: a socket to connect later through next_layer()/lowest_layer().
  TlsStream(const Executor& ex, asio::ssl::context& ctx);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  Socket& next_layer() noexcept { return socket_; }
  lowest_layer_type& lowest_layer() noexcept { return socket_.lowest_layer(); }
  SSL* native_handle() noexcept { return ssl_; }

  /// Client role: the certificate must name `host` (a DNS name, or an IP literal checked against
  /// the iPAddress entries; RFC 6125, RFC 5922 §7). Call before async_handshake.
  void set_verify_host(const std::string& host);

  /// TLS handshake in `role`. Completion: void(error_code).
  template <class Token>
  auto async_handshake(asio::ssl::stream_base::handshake_type role, Token&& token) {
    begin(role);
    return asio::async_compose<Token, void(error_code)>(Op<false>{this, Kind::kHandshake}, token,
                                                        socket_);
  }

  /// Reads decrypted bytes into the first non-empty buffer. Completion: void(error_code, size_t).
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    Op<true> op{this, Kind::kRead};
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers);
         ++it) {
      asio::mutable_buffer b(*it);
      if (b.size() != 0) {
        op.data = b.data();
        op.size = b.size();
        break;
      }
    }
    return asio::async_compose<Token, void(error_code, std::size_t)>(std::move(op), token,
                                                                     socket_);
  }

  /// Encrypts and sends up to one record (16 KiB) of `buffers`: several buffers (a WebSocket
  /// header and its payload, or gathered SIP messages) are copied into one record rather than a
  /// record and a send() each. Completion: void(error_code, bytes of `buffers` consumed).
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    Op<true> op{this, Kind::kWrite};
    std::size_t nonempty = 0;
    const void* first = nullptr;
    std::size_t first_size = 0;
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers);
         ++it) {
      asio::const_buffer b(*it);
      if (b.size() != 0) {
        if (nonempty++ == 0) {
          first = b.data();
          first_size = b.size();
        }
      }
    }
    if (nonempty <= 1) {
      op.data = const_cast<void*>(first);  // SSL_write_ex only reads it
      op.size = first_size;
    } else {
      for (auto it = asio::buffer_sequence_begin(buffers);
           it != asio::buffer_sequence_end(buffers) && op.copy.size() < kMaxRecord; ++it) {
        asio::const_buffer b(*it);
        const std::size_t take = std::min(b.size(), kMaxRecord - op.copy.size());
        op.copy.append(static_cast<const char*>(b.data()), take);
      }
      op.size = op.copy.size();
    }
    return asio::async_compose<Token, void(error_code, std::size_t)>(std::move(op), token,
                                                                     socket_);
  }

  /// Sends close_notify (RFC 8446 §6.1) without waiting for the peer's. Completion:
  /// void(error_code).
  template <class Token>
  auto async_shutdown(Token&& token) {
    return asio::async_compose<Token, void(error_code)>(Op<false>{this, Kind::kShutdown}, token,
                                                        socket_);
  }

private:
  static constexpr std::size_t kMaxRecord = 16 * 1024;  // RFC 8446 §5.1: 2^14
  enum class Kind { kHandshake, kRead, kWrite, kShutdown };
  enum class Want { kNothing, kRead, kWrite };
  struct Step {
    Want want = Want::kNothing;
    error_code ec;
    std::size_t n = 0;
  };

  void begin(asio::ssl::stream_base::handshake_type role);
  /// One OpenSSL call on the socket; what it needs next, or its result.
  Step perform(Kind kind, void* data, std::size_t size);

  // One operation: try OpenSSL, wait for readiness while it wants to read or write, retry. A
  // result available at once is posted (never a completion from inside the initiating call).
  template <bool kSized>
  struct Op {
    Op(TlsStream* stream, Kind k) : s(stream), kind(k) {}

    TlsStream* s;
    Kind kind;
    void* data = nullptr;
    std::size_t size = 0;
    std::string copy;  // write: several buffers gathered into one record
    bool waited = false;
    bool have_result = false;
    Step result;

    template <class Self>
    void operator()(Self& self, error_code ec = {}) {
      if (have_result) {
        finish(self, result);
        return;
      }
      if (ec) {
        finish(self, Step{Want::kNothing, ec, 0});
        return;
      }
      void* p = copy.empty() ? data : copy.data();
      Step st = s->perform(kind, p, size);
      if (st.want != Want::kNothing) {
        waited = true;
        s->socket_.async_wait(st.want == Want::kRead ? Socket::wait_read : Socket::wait_write,
                              std::move(self));
        return;
      }
      if (!waited) {
        have_result = true;
        result = st;
        asio::post(s->socket_.get_executor(), std::move(self));
        return;
      }
      finish(self, st);
    }

    template <class Self>
    static void finish(Self& self, const Step& st) {
      if constexpr (kSized) {
        self.complete(st.ec, st.n);
      } else {
        self.complete(st.ec);
      }
    }
  };

  Socket socket_;
  SSL* ssl_ = nullptr;
  bool bio_bound_ = false;
};

/// Beast's WebSocket close (RFC 6455 §7.1.1) ends the TLS layer like this.
void teardown(boost::beast::role_type role, TlsStream& stream, error_code& ec);

template <class Handler>
void async_teardown(boost::beast::role_type, TlsStream& stream, Handler&& handler) {
  stream.async_shutdown(std::forward<Handler>(handler));
}

}  // namespace wimpu::transport::detail
