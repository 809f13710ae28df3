#include "redis_socket.hpp"

#include <hiredis/async.h>

namespace wimpu::registrar::detail {
namespace {

using Holder = std::shared_ptr<RedisSocket>;

RedisSocket& from(void* privdata) { return **static_cast<Holder*>(privdata); }

}  // namespace

RedisSocket::RedisSocket(const boost::asio::any_io_executor& ex, redisAsyncContext* ac)
    : fd_(ex), ac_(ac) {}

bool RedisSocket::attach(const boost::asio::any_io_executor& ex, redisAsyncContext* ac) {
  auto self = std::make_shared<RedisSocket>(ex, ac);
  boost::system::error_code ec;
  self->fd_.assign(ac->c.fd, ec);
  if (ec) {
    return false;
  }
  ac->ev.data = new Holder(std::move(self));
  ac->ev.addRead = [](void* p) { from(p).add_read(); };
  ac->ev.delRead = [](void* p) { from(p).want_read_ = false; };
  ac->ev.addWrite = [](void* p) { from(p).add_write(); };
  ac->ev.delWrite = [](void* p) { from(p).want_write_ = false; };
  ac->ev.cleanup = [](void* p) {
    auto* holder = static_cast<Holder*>(p);
    (*holder)->cleanup();
    delete holder;
  };
  return true;
}

// hiredis asks for events level-style; an async_wait that completes while the interest was
// withdrawn (del*) is simply not acted upon and not re-armed.
void RedisSocket::add_read() {
  want_read_ = true;
  arm_read();
}

void RedisSocket::add_write() {
  want_write_ = true;
  arm_write();
}

void RedisSocket::arm_read() {
  if (read_armed_ || ac_ == nullptr) {
    return;
  }
  read_armed_ = true;
  fd_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                 [self = shared_from_this()](boost::system::error_code ec) {
                   self->read_armed_ = false;
                   if (ec || self->ac_ == nullptr || !self->want_read_) {
                     return;
                   }
                   // May free the context (peer closed): cleanup() then nulls ac_.
                   redisAsyncHandleRead(self->ac_);
                   if (self->ac_ != nullptr && self->want_read_) {
                     self->arm_read();
                   }
                 });
}

void RedisSocket::arm_write() {
  if (write_armed_ || ac_ == nullptr) {
    return;
  }
  write_armed_ = true;
  fd_.async_wait(boost::asio::posix::descriptor_base::wait_write,
                 [self = shared_from_this()](boost::system::error_code ec) {
                   self->write_armed_ = false;
                   if (ec || self->ac_ == nullptr || !self->want_write_) {
                     return;
                   }
                   // Completes a pending connect, then flushes the output buffer.
                   redisAsyncHandleWrite(self->ac_);
                   if (self->ac_ != nullptr && self->want_write_) {
                     self->arm_write();
                   }
                 });
}

void RedisSocket::cleanup() {
  ac_ = nullptr;
  want_read_ = false;
  want_write_ = false;
  // hiredis closes the fd itself right after this hook: deregister it without closing.
  // release() also cancels the pending waits (they complete with operation_aborted).
  if (fd_.is_open()) {
    (void)fd_.release();
  }
}

}  // namespace wimpu::registrar::detail
