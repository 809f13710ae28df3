#pragma once
// The hiredis <-> Boost.Asio adapter. hiredis's async API does no I/O waiting of its own: it asks
// the event loop, through five hooks (addRead/delRead/addWrite/delWrite/cleanup), to tell it when
// its socket is readable or writable. Here each hook maps onto a posix::stream_descriptor's
// async_wait on the connection's executor, so hiredis runs on the shard like any other socket.
//
// Lifetime: the adapter is owned through a shared_ptr held by hiredis (ev.data) and by every
// pending wait. hiredis calls cleanup() when it frees the context (just before closing the fd):
// the adapter then forgets the context, releases the fd without closing it, and any wait still
// pending completes as a no-op.
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

struct redisAsyncContext;

namespace wimpu::registrar::detail {

class RedisSocket : public std::enable_shared_from_this<RedisSocket> {
public:
  /// Installs the adapter on `ac` (whose socket is open). Must run on `ex`'s thread before any
  /// command or connect callback is set on `ac`. Returns false if the fd cannot be registered.
  static bool attach(const boost::asio::any_io_executor& ex, redisAsyncContext* ac);

  RedisSocket(const boost::asio::any_io_executor& ex, redisAsyncContext* ac);

private:
  void add_read();
  void add_write();
  void cleanup();
  void arm_read();
  void arm_write();

  boost::asio::posix::stream_descriptor fd_;
  redisAsyncContext* ac_;  ///< Null once hiredis has cleaned up.
  bool want_read_ = false;
  bool want_write_ = false;
  bool read_armed_ = false;
  bool write_armed_ = false;
};

}  // namespace wimpu::registrar::detail
