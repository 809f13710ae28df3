#pragma once
// A minimal WebSocket SIP registrar peer on 127.0.0.1: answers every REGISTER with a 200 OK that
// copies Via, From, To (plus a tag), Call-ID, CSeq and Contact, and nothing else. It exists to
// measure the load tool alone (its capacity, when the server is far cheaper than the tool) and
// to check the tool's wire format from the other side in tests: it decodes the client frames
// with its own code (ws_frame.hpp's decoder), insists on masking (RFC 6455 §5.1) and can record
// every masking key. Like the tool it answers all the frames of one read with one write.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wimpu::loadgen {

struct NullRegistrarOptions {
  std::uint16_t port = 0;             ///< listening port on 127.0.0.1; 0: a free one
  bool record_mask_keys = false;      ///< keep every masking key seen (tests)
  /// Write each answer with its own socket write, as a server without write coalescing does
  /// (the eP-CSCF and Kamailio of session 4): the tool then gets one frame per read unless it
  /// is itself behind.
  bool write_per_answer = false;
  /// Called with each 200 OK text before it is framed (tests: break its Call-ID or CSeq).
  std::function<void(std::string&)> mangle;
};

/// What the peer saw (a snapshot).
struct NullRegistrarCounts {
  std::uint64_t connections = 0;
  std::uint64_t registers = 0;      ///< REGISTERs answered
  std::uint64_t frames_in = 0;      ///< data frames received
  std::uint64_t reads = 0;          ///< socket reads that returned data (after the upgrade)
  std::uint64_t writes = 0;         ///< socket writes of answers
  std::uint64_t unmasked = 0;       ///< client frames without a mask (a protocol error)
  std::uint64_t bad = 0;            ///< undecodable frames or non-REGISTER messages
  std::vector<std::uint32_t> mask_keys;  ///< with record_mask_keys, in arrival order
};

/// The peer. Threading: start() runs it on its own thread, run() on the caller's until stop();
/// counts() may be called from any thread. Ownership: owns its sockets and thread.
class NullRegistrar {
public:
  explicit NullRegistrar(NullRegistrarOptions options = {});
  ~NullRegistrar();
  NullRegistrar(const NullRegistrar&) = delete;
  NullRegistrar& operator=(const NullRegistrar&) = delete;

  /// The bound port (valid after construction).
  std::uint16_t port() const noexcept;
  /// "ws://127.0.0.1:<port>/".
  std::string url() const;
  /// Serves on a new thread.
  void start();
  /// Serves on the calling thread until stop() (from a signal handler's thread or another).
  void run();
  /// Stops serving and joins the thread start() made. Idempotent.
  void stop();
  NullRegistrarCounts counts() const;

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace wimpu::loadgen
