#pragma once
// The `redis` W4 backend: Redis 7 (or Redis Cluster) holding the registration state, with every
// operation one FCALL of the `w4` Redis Functions library (REGISTERs issued in the same
// event-loop turn share one FCALL of w4_register_batch: group commit) (libs/registrar/src/lua/w4.lua,
// loaded on every connect unless the same or a newer version is installed: docs/w4.md 5.5). Atomic per block; time is Redis time. The key
// layout and each function's contract are in docs/w4.md.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "wimpu/registrar/w4.hpp"

namespace wimpu::registrar {

namespace detail {
class RedisConnection;
}

/// Connection settings of the redis backend.
struct RedisOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  /// A command not answered within this is failed with kUnavailable and the link is dropped and
  /// re-established (a hung or partitioned Redis must not hang the shard's transactions).
  std::chrono::milliseconds op_timeout{2000};
  /// Reconnect back-off: doubles from min to max after each failed attempt.
  std::chrono::milliseconds reconnect_min{50};
  std::chrono::milliseconds reconnect_max{2000};
  /// Commands accepted while (re)connecting, before failing fast with kUnavailable.
  std::size_t max_waiting = 65536;
  /// Tests only: load the `w4` library with its test functions (w4_test_advance_time, which
  /// moves a block's clock). Production leaves it false, so the function does not exist there.
  bool load_test_functions = false;
};

/// Redis-backed registrar over one hiredis connection owned by `executor` (give each shard its
/// own instance: the connection then lives on the shard, STYLE.md). Methods may be called from
/// any executor; the command runs on `executor` and the coroutine resumes on its own executor.
/// While Redis is unreachable, operations fail at once with kUnavailable (after at most
/// op_timeout if Redis hangs) and the connection retries in the background.
class RedisRegistrar final : public W4 {
public:
  /// Starts connecting at once. `blocks` must not be null. Each block is created in Redis on
  /// first connect, or checked against what Redis holds (kConfigMismatch if its IMPU numbering
  /// differs: the connection then keeps retrying, and operations fail with kUnavailable).
  RedisRegistrar(boost::asio::any_io_executor executor, BlockSetPtr blocks, RedisOptions options);
  /// Fails outstanding operations with kUnavailable. Destroy on `executor`'s thread, or after
  /// its io_context has stopped.
  ~RedisRegistrar() override;
  RedisRegistrar(const RedisRegistrar&) = delete;
  RedisRegistrar& operator=(const RedisRegistrar&) = delete;

  const BlockSet& blocks() const override { return *blocks_; }
  W4Task<RegisterResult> register_contacts(RegisterRequest req) override;
  W4Task<RemoveResult> remove_contact(std::string impu, ContactKey key) override;
  W4Task<RemoveResult> remove_all(std::string impu, std::optional<CallIdGuard> guard) override;
  W4Task<std::uint32_t> remove_flow(std::string flow_token) override;
  W4Task<Binding> lookup(std::string impu) override;
  W4Task<bool> is_registered(std::string impu) override;
  W4Task<Binding> lookup_identity(std::string block, WebIdentity identity) override;
  W4Task<BlockUsage> usage(std::string block) override;
  W4Task<ListPage> list(std::string block, std::uint64_t cursor, std::uint32_t limit) override;
  /// Succeeds once connected with the functions loaded and the blocks configured; waits for the
  /// first connection attempt (up to op_timeout) rather than failing before it is made.
  W4Task<void> ping() override;

  /// The `w4` Redis Functions library source (the text FUNCTION LOAD receives).
  static std::string_view functions_source();
  /// The version of that library (its `VERSION`, what `FCALL_RO w4_version 0` returns). On
  /// connect the client loads its library only over an older one (or none): a newer library,
  /// loaded by a newer client during a rolling upgrade, is kept (docs/w4.md section 5.5).
  static long long functions_version();
  /// The arguments of `FCALL w4_configure` for `block` (docs/w4.md), e.g. for a provisioning tool.
  static std::vector<std::string> configure_command(const Block& block);

private:
  BlockSetPtr blocks_;
  std::shared_ptr<detail::RedisConnection> conn_;
};

}  // namespace wimpu::registrar
