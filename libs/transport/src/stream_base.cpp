// Shared parts of the stream connections; see stream_base.hpp.
#include "stream_base.hpp"

#include <boost/asio/ssl.hpp>

#include "connection_factory.hpp"
#include "counters.hpp"
#include "shard.hpp"
#include "tls.hpp"

namespace wimpu::transport::detail {

Expected<void, SendError> StreamBase::send(std::string bytes) {
  if (auto r = enqueue(std::move(bytes)); !r) {
    return r;
  }
  touch();
  hot(protocol_).messages_out->inc();
  request_flush();
  return {};
}

void StreamBase::request_flush() {
  if (writing_ || !established_ || closed_) {
    return;  // the write in flight, or the end of the handshake, takes the queue
  }
  if (in_input_batch_) {
    flush_after_batch_ = true;
    return;
  }
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    shard_.defer_flush(shared_from_this());
  }
}

void StreamBase::deferred_flush() {
  flush_scheduled_ = false;
  if (in_input_batch_) {
    // Beast is still delivering frames it had buffered (posted, one per handler): the batch's
    // end writes, with the answers to those frames.
    flush_after_batch_ = true;
    return;
  }
  flush_queued();
}

void StreamBase::set_destination(const Destination& dest) {
  remote_ = dest.remote;
  host_ = dest.host.empty() ? dest.remote.address.to_string() : dest.host;
}

Awaitable<bool> StreamBase::connect(BasicSocket& socket) {
  error_code ec;
  socket.open(remote_.address.is_v4() ? tcp::v4() : tcp::v6(), ec);
  if (!ec) {
    apply_socket_options(socket, shard_.config());
    auto [connect_ec] = co_await socket.async_connect(to_tcp(remote_), kAwait);
    ec = connect_ec;
  }
  if (closed_) {
    co_return false;
  }
  if (ec) {
    proto_counter(protocol_, "connect_failed").inc();
    close(CloseReason::kConnectFailed);
    co_return false;
  }
  connected_ = true;
  local_ = to_endpoint(socket.local_endpoint(ec));
  co_return true;
}

Awaitable<bool> StreamBase::tls_handshake(TlsStream& tls,
                                          asio::ssl::stream_base::handshake_type role) {
  if (role == asio::ssl::stream_base::client) {
    if (!is_ip_literal(host_)) {
      // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it expands to.
      SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(host_.c_str()));
    }
    if (shard_.config().tls_client.verify_peer) {
      // RFC 5922 §7 / RFC 6125: the certificate must name the host we meant to reach.
      tls.set_verify_host(host_);
    }
  }
  auto [ec] = co_await tls.async_handshake(role, kAwait);
  if (closed_) {
    co_return false;
  }
  if (ec) {
    proto_counter(protocol_, "handshake_failed").inc();
    close(CloseReason::kHandshakeFailed);
    co_return false;
  }
  co_return true;
}

bool StreamBase::after_write(const error_code& ec, std::size_t messages) {
  writing_ = false;
  if (closed_) {
    return false;
  }
  if (ec) {
    proto_counter(protocol_, "write_error").inc();
    close(CloseReason::kNetworkError);
    return false;
  }
  for (std::size_t i = 0; i < messages; ++i) {
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
  }
  if (drained()) {
    return false;
  }
  return !queue_.empty();
}

}  // namespace wimpu::transport::detail
