#pragma once
// Asio types used inside the transport. Sockets are bound to the concrete io_context executor
// (not any_io_executor): every I/O object lives on one shard's context, and the concrete type
// saves the type-erasure on each operation.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "wimpu/transport/types.hpp"

namespace wimpu::transport::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using error_code = boost::system::error_code;
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using BasicSocket = asio::basic_socket<tcp, Executor>;  ///< what lowest_layer() returns
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;
using UdpSocket = asio::basic_datagram_socket<udp, Executor>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                         asio::wait_traits<std::chrono::steady_clock>, Executor>;
using SteadyTime = std::chrono::steady_clock::time_point;

/// use_awaitable with the error as a value: no exception on I/O errors (STYLE.md "Errors").
inline constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

template <class T>
using Awaitable = asio::awaitable<T>;

/// SO_REUSEPORT, which Asio does not name (Linux >= 3.9).
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

inline Endpoint to_endpoint(const tcp::endpoint& e) { return {e.address(), e.port()}; }
inline Endpoint to_endpoint(const udp::endpoint& e) { return {e.address(), e.port()}; }
inline tcp::endpoint to_tcp(const Endpoint& e) { return {e.address, e.port}; }
inline udp::endpoint to_udp(const Endpoint& e) { return {e.address, e.port}; }

/// The completion handler of every co_spawn: the coroutines handle errors as values, so an
/// exception here is a bug (or bad_alloc); log it and count it rather than lose it.
void log_coroutine_exit(const char* what, std::exception_ptr e);

}  // namespace wimpu::transport::detail
