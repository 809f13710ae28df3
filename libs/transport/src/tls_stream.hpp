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
//
// The wimpu record layer (TlsServerConfig::record_layer): even idle, an SSL object costs ~14 KB
// (bench/RESULTS.md, figure 3 session 5). After a server-side TLS 1.3 handshake with one of the
// three TLS 1.3 AEAD suites, the stream frees its SSL and protects the records itself
// (tls13_records.hpp, RFC 8446 §5), from the traffic secrets OpenSSL hands to the context's key
// log callback (use_wimpu_record_layer) during the handshake. This is the user-space form of
// kTLS (which this kernel lacks): an idle connection keeps two traffic secrets, keys, IVs and
// sequence numbers, and a record buffer only while a record is in flight. native_handle() is
// null afterwards. TLS 1.2, the client role and any doubt about the record boundary at the
// switch (see TlsStream::switch_to_records) stay on OpenSSL.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/core/role.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <cstring>
#include <string>

#include "asio_types.hpp"
#include "tls13_records.hpp"

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
  /// The OpenSSL object; null once the wimpu record layer took over after the handshake.
  SSL* native_handle() noexcept { return ssl_; }
  /// True once the handshake is over and the records are protected by tls13_records.
  bool wimpu_records() const noexcept { return rec_ != nullptr; }

  /// Test hook, after a handshake that switched to the wimpu record layer: the next write starts
  /// with a KeyUpdate of ours (RFC 8446 §4.6.3) whose write-key update fails.
  void fail_next_key_update_for_test();

  /// Best effort, synchronous: one close_notify if nothing else is being written (Beast's
  /// teardown). Never blocks.
  void close_notify_now();

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
    // One walk over `buffers`. The record layer seals up to kMaxGather non-empty buffers now,
    // straight from the caller's memory into the record. OpenSSL writes a single non-empty
    // buffer in place, or a copy of up to one record gathered from the first and those after.
    std::array<asio::const_buffer, kMaxGather> parts;
    std::size_t count = 0;
    for (auto it = asio::buffer_sequence_begin(buffers);
         it != asio::buffer_sequence_end(buffers) && count < parts.size() &&
         op.copy.size() < tls13::kMaxPlaintext;
         ++it) {
      const asio::const_buffer b(*it);
      if (b.size() == 0) {
        continue;
      }
      if (rec_ != nullptr || count == 0) {
        parts[count++] = b;
        continue;
      }
      if (op.copy.empty()) {
        gather(op.copy, parts[0]);
      }
      gather(op.copy, b);
    }
    if (rec_ != nullptr) {
      op.size = seal_write(parts.data(), count);
    } else if (!op.copy.empty()) {
      op.size = op.copy.size();
    } else if (count != 0) {
      op.data = const_cast<void*>(parts[0].data());  // SSL_write_ex only reads it
      op.size = parts[0].size();
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
  static constexpr std::size_t kMaxGather = 16;
  /// Appends what fits of `b` to `copy`, up to one record (tls13::kMaxPlaintext).
  static void gather(std::string& copy, const asio::const_buffer& b) {
    const std::size_t take = std::min(b.size(), tls13::kMaxPlaintext - copy.size());
    copy.append(static_cast<const char*>(b.data()), take);
  }
  struct Capture;  // secrets and record counts seen during the handshake (tls_stream_state.hpp)
  struct Records;  // the record layer's state after it (tls_stream_state.hpp)
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
  /// After SSL_do_handshake returned 1: frees the SSL and installs the record layer when safe.
  void switch_to_records();
  /// The record layer's read, write (flush) and shutdown steps.
  Step records_read(void* data, std::size_t size);
  Step records_flush(std::size_t consumed);
  Step records_shutdown();
  /// Seals up to one record of `parts` (after a KeyUpdate of ours if one is due) into the
  /// pending output; the plaintext bytes taken (0 on error, recorded for records_flush).
  std::size_t seal_write(const asio::const_buffer* parts, std::size_t count);
  /// RFC 8446 §6.2: OpenSSL failed to seal a record or to update the write keys (KeyUpdate), an
  /// internal_error. Counted; the connection is over both ways (the sticky errors), with no
  /// alert: the write keys and sequence number are in doubt. Returns 0 (no bytes taken).
  std::size_t seal_failed();
  /// Best effort: one alert (RFC 8446 §6) sent at once, without waiting, and only when nothing
  /// else is being written (a record must not be cut in two) and no close_notify went out. True
  /// if it was sealed (its sequence number used).
  bool send_alert_now(std::uint8_t level, std::uint8_t description);

  static int stream_index();  // SSL ex_data slot holding the TlsStream (server, wimpu layer)
  static void on_keylog(const SSL* ssl, const char* line);
  static void on_message(int write_p, int version, int content_type, const void* buf,
                         std::size_t len, SSL* ssl, void* arg);
  friend void use_wimpu_record_layer(asio::ssl::context& ctx);

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
  std::unique_ptr<Capture> capture_;
  std::unique_ptr<Records> rec_;
};

/// Lets server streams on `ctx` switch to the wimpu record layer after a TLS 1.3 handshake:
/// installs the key log callback that hands the traffic secrets to the stream (never logged
/// anywhere). Startup only (TlsServerConfig::record_layer, tls.cpp).
void use_wimpu_record_layer(asio::ssl::context& ctx);

/// Beast's WebSocket close (RFC 6455 §7.1.1) ends the TLS layer like this.
void teardown(boost::beast::role_type role, TlsStream& stream, error_code& ec);

template <class Handler>
void async_teardown(boost::beast::role_type, TlsStream& stream, Handler&& handler) {
  stream.async_shutdown(std::forward<Handler>(handler));
}

}  // namespace wimpu::transport::detail
