#pragma once
// CorkStream: the next layer under Beast's websocket::stream, so that several WebSocket frames of
// one connection leave in one socket write (issue 8 figure 2: one sendmsg per SIP response was
// 47% of the eP-CSCF's CPU; on loopback each one also runs the peer's receive and wake-up).
//
// Why a layer, and why the connection frames its data messages itself (not Beast's async_write):
// - Beast writes one message per async_write, and writes control frames on its own: the pong to a
//   client's ping and the Close reply from inside async_read, our pings and our Close. Two writers
//   on one socket could interleave. Under Beast, every write now goes through this layer, which
//   only appends whole buffers to pending_; the socket has exactly one writer, the connection's
//   start_write(), which sends everything pending in one write (WsConnection).
//   Invariant: each append is complete (a write_some is consumed whole, at once), so frames are
//   never split or interleaved and go out in the order they were appended.
// - SIP messages are framed by the connection (ws_frame.hpp, RFC 6455 §5.2) straight into
//   pending_: no Beast operation and no completion handler per message, and no call into Beast
//   while one of Beast's own operations is running (a flush may start from inside Beast's pong
//   write, through CorkSink::on_cork_append()).
// - A write of Beast's completes only once its bytes are on the socket, as it did on the raw
//   socket: Beast's Close reply is written before its teardown shuts the connection down, and
//   Beast's write lock (one write of Beast's at a time) holds as before.
// - Reads: Beast reads at most 1,536 bytes (its tcp_frame_size) per socket read, so the four
//   ~900-byte REGISTERs a busy WIC connection sends at once took 3-4 recvmsg (issue 8 figure 2:
//   ~1 recvmsg per REGISTER, ~8% of the eP-CSCF). A socket read that filled Beast's buffer says
//   the socket has more: the next one goes into this layer's kReadChunk buffer, from which Beast's
//   next reads are served (no syscall) until it is drained and freed. A read that did not fill its
//   buffer drained the socket; the next one (which likely waits for the peer) goes straight into
//   Beast's buffer, so a waiting or idle connection holds no buffer here (figure 3's memory).
//   socket_reads() counts the reads that reached the socket, which tells the connection whether
//   its input batch ended (see WsConnection::on_read).
// Threading: the shard's thread only, like the connection that owns it.
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "asio_types.hpp"
#include "wimpu/common/assert.hpp"

namespace wimpu::transport::detail {

/// The owner of a CorkStream: writes what was appended.
class CorkSink {
public:
  /// Beast appended bytes of its own (handshake, pong, ping, Close) and waits for them: the sink
  /// must start a write (or let the one in flight be followed by one). Called from inside a Beast
  /// operation: the sink must not call back into Beast's stream.
  virtual void on_cork_append() = 0;

protected:
  ~CorkSink() = default;
};

template <class Next>
class CorkStream {
public:
  using executor_type = typename Next::executor_type;
  using next_layer_type = Next;
  using Waiter = asio::any_completion_handler<void(error_code, std::size_t)>;

  /// Beast's write waiting for a write of the sink to complete, with the bytes it appended.
  struct Done {
    Waiter handler;
    std::size_t bytes = 0;
    /// Completes Beast's write; may run Beast's operation (and the connection's handlers) inline.
    void operator()(const error_code& ec) { std::move(handler)(ec, ec ? 0 : bytes); }
  };

  template <class... Args>
  explicit CorkStream(Args&&... args) : next_(std::forward<Args>(args)...) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }
  Next& next_layer() noexcept { return next_; }
  /// The sink is told of Beast's writes; set once, before any Beast operation. Not owned.
  void set_sink(CorkSink* sink) { sink_ = sink; }

  /// Beast's reads: from this layer's buffer while it holds bytes (completion posted), else from
  /// the socket, into this layer's buffer after a read that filled its buffer, else straight into
  /// `buffers` (see the header comment). At most one read outstanding (Beast's read lock).
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) { this->start_read(std::move(handler), b); },
        token, buffers);
  }
  /// How many of Beast's reads reached the socket so far.
  std::uint64_t socket_reads() const { return socket_reads_; }
  /// Whether this layer holds a read buffer now (only while a burst is being read).
  bool holds_read_buffer() const { return rd_buf_ != nullptr; }

  /// Beast's writes: appends all of `buffers` now; completes once a write of the sink carried them
  /// (or with operation_aborted after abort()). Beast has at most one write outstanding.
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          WIMPU_ASSERT(!waiter_ && sink_ != nullptr);
          std::size_t n = 0;
          for (auto it = asio::buffer_sequence_begin(b); it != asio::buffer_sequence_end(b);
               ++it) {
            const asio::const_buffer piece(*it);
            pending_.append(static_cast<const char*>(piece.data()), piece.size());
            n += piece.size();
          }
          waiter_.emplace(Done{Waiter(std::move(handler)), n});
          sink_->on_cork_append();
        },
        token, buffers);
  }

  /// Bytes appended and not yet handed to a write; the sink appends its own frames here.
  std::string& pending() { return pending_; }
  bool has_pending() const { return !pending_.empty(); }

  /// The sink starts a write: everything pending moves to the in-flight buffer, which stays put
  /// until end_write(). Exactly one write at a time.
  asio::const_buffer begin_write() {
    WIMPU_ASSERT(!writing_ && !pending_.empty());
    writing_ = true;
    inflight_.swap(pending_);  // pending_ takes the empty (released) buffer
    waiter_in_flight_ = waiter_.has_value();
    return asio::buffer(inflight_);
  }

  /// The write of begin_write() ended: frees its buffer (an idle connection keeps none) and
  /// returns Beast's write that it carried, for the sink to complete once its own state is
  /// consistent (completing it may re-enter the sink).
  std::optional<Done> end_write() {
    writing_ = false;
    std::string().swap(inflight_);
    std::optional<Done> done;
    if (waiter_in_flight_) {
      waiter_in_flight_ = false;
      done = std::move(waiter_);
      waiter_.reset();
    }
    return done;
  }

  /// The connection is closing: a write of Beast's not yet handed to the socket completes with
  /// operation_aborted (posted). One in flight completes through end_write().
  void abort() {
    if (waiter_ && !waiter_in_flight_) {
      Done done = std::move(*waiter_);
      waiter_.reset();
      asio::post(next_.get_executor(), [d = std::move(done)]() mutable {
        d(asio::error::operation_aborted);
      });
    }
  }

private:
  /// This layer's read buffer: large enough for a burst of requests in one recvmsg, allocated only
  /// while a burst is being read.
  static constexpr std::size_t kReadChunk = 16 * 1024;

  template <class Handler, class MutableBuffers>
  void start_read(Handler handler, const MutableBuffers& b) {
    if (rd_begin_ < rd_end_) {
      const std::size_t n = take(b);
      asio::post(next_.get_executor(), asio::append(std::move(handler), error_code{}, n));
      return;
    }
    ++socket_reads_;
    // The buffer only for bytes already queued in the kernel: a read that waits for the peer (an
    // idle WIC after a burst that ended on Beast's buffer boundary) must not hold 16 KiB.
    error_code available_ec;
    if (rd_more_ && next_.lowest_layer().available(available_ec) == 0) {
      rd_more_ = false;
    }
    if (!rd_more_) {
      const std::size_t cap = asio::buffer_size(b);
      next_.async_read_some(
          b, [this, h = std::move(handler), cap](error_code ec, std::size_t n) mutable {
            rd_more_ = !ec && n == cap;
            std::move(h)(ec, n);
          });
      return;
    }
    if (!rd_buf_) {
      rd_buf_ = std::make_unique_for_overwrite<char[]>(kReadChunk);
    }
    next_.async_read_some(
        asio::buffer(rd_buf_.get(), kReadChunk),
        [this, h = std::move(handler), b](error_code ec, std::size_t n) mutable {
          rd_begin_ = 0;
          rd_end_ = ec ? 0 : n;
          rd_more_ = !ec && n == kReadChunk;
          const std::size_t copied = take(b);
          std::move(h)(ec, copied);
        });
  }

  // Copies buffered bytes into `b`; frees the buffer once drained.
  template <class MutableBuffers>
  std::size_t take(const MutableBuffers& b) {
    const std::size_t n =
        asio::buffer_copy(b, asio::const_buffer(rd_buf_.get() + rd_begin_, rd_end_ - rd_begin_));
    rd_begin_ += n;
    if (rd_begin_ == rd_end_) {
      rd_buf_.reset();
      rd_begin_ = rd_end_ = 0;
    }
    return n;
  }

  Next next_;
  CorkSink* sink_ = nullptr;
  std::string pending_;
  std::string inflight_;
  std::optional<Done> waiter_;
  bool waiter_in_flight_ = false;
  bool writing_ = false;
  std::uint64_t socket_reads_ = 0;
  std::unique_ptr<char[]> rd_buf_;  // null unless a burst is being read
  std::size_t rd_begin_ = 0;        // rd_buf_[rd_begin_, rd_end_) is not yet Beast's
  std::size_t rd_end_ = 0;
  bool rd_more_ = false;  // the last socket read filled its buffer: the socket likely has more
};

/// Beast's WebSocket close (RFC 6455 §7.1.1) tears down the layer below. Its Close frame is on
/// the socket by then (Beast's write completed).
template <class Next>
void teardown(boost::beast::role_type role, CorkStream<Next>& stream, error_code& ec) {
  using boost::beast::websocket::teardown;
  teardown(role, stream.next_layer(), ec);
}

template <class Next, class Handler>
void async_teardown(boost::beast::role_type role, CorkStream<Next>& stream, Handler&& handler) {
  using boost::beast::websocket::async_teardown;
  async_teardown(role, stream.next_layer(), std::forward<Handler>(handler));
}

}  // namespace wimpu::transport::detail
