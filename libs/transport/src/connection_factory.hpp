#pragma once
// Constructors of the concrete connection types, each in its own translation unit (Beast and
// OpenSSL templates are heavy to compile).
#include "asio_types.hpp"
#include "connection.hpp"
#include "wimpu/transport/config.hpp"

namespace wimpu::transport::detail {

class Shard;
struct ListenerShared;

/// Inbound TCP or TLS connection accepted by `listener`.
ConnectionPtr make_inbound_stream(Shard& shard, ListenerShared& listener, Socket socket);
/// Outgoing TCP or TLS connection (not yet connected; call start_client).
ConnectionPtr make_outgoing_stream(Shard& shard, Protocol protocol);
/// Inbound WS or WSS connection accepted by `listener`.
ConnectionPtr make_inbound_ws(Shard& shard, ListenerShared& listener, Socket socket);
/// Outgoing WS or WSS connection (not yet connected; call start_client).
ConnectionPtr make_outgoing_ws(Shard& shard, Protocol protocol);
/// A UDP flow between `listener`'s socket and `remote`.
ConnectionPtr make_udp_flow(Shard& shard, ListenerShared& listener, const Endpoint& local,
                            const Endpoint& remote);

/// Applies TCP_NODELAY and the configured buffer sizes to a stream socket.
void apply_socket_options(BasicSocket& socket, const TransportConfig& config);

}  // namespace wimpu::transport::detail
