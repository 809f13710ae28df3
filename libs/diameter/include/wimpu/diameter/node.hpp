#pragma once
// DiameterNode: the process's bridge to freeDiameter. freeDiameter's core is a per-process
// singleton with its own threads, so there is one node (one Diameter identity) per process, started
// once and stopped once (it cannot be restarted in the same process).
//
// What crosses the bridge is bytes: our codec (cx_codec.hpp) encodes a request, freeDiameter parses
// the buffer (fd_msg_parse_buffer), routes and sends it; the answer comes back as a freeDiameter
// message that is serialized (fd_msg_bufferize), posted to the requesting shard's executor and
// decoded there. freeDiameter's threads only copy bytes and post: they never run wimpu logic.
// See docs/diameter.md for the configuration, TLS, the dictionary and the async model.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "wimpu/diameter/cx_client.hpp"
#include "wimpu/diameter/cx_server.hpp"
#include "wimpu/diameter/node_config.hpp"

namespace wimpu::diameter {

/// Per-client settings of make_cx_client().
struct CxClientOptions {
  std::string destination_realm;  ///< Destination-Realm of requests (required), e.g. the HSS realm
  std::string destination_host;   ///< Destination-Host, to pin one HSS; empty = any in the realm
  /// How long a request may wait for its answer before completing with CxError::kTimeout. Small in
  /// tests; the default leaves room for one freeDiameter failover.
  std::chrono::milliseconds timeout{3000};
  /// More outstanding requests complete with kOverload at once. A request is outstanding until
  /// freeDiameter gives it back (answer, or its expiry at twice `timeout`), also after the caller
  /// got kTimeout: this bounds the bytes in flight on the Cx connection (docs/diameter.md).
  std::size_t max_pending = 1024;
};

class DiameterNode {
public:
  /// Validates `config`, writes state_dir/freeDiameter.conf (and a self-signed certificate when
  /// config.tls is empty), initializes and starts freeDiameter, defines the Cx dictionary objects
  /// and advertises Cx (16777216, vendor 10415) in CER/CEA. Start-up code: throws
  /// std::runtime_error on any failure, and also when a node was already started in this process.
  /// Sets SIGPIPE to ignored for the process (freeDiameter's TLS writes do not use MSG_NOSIGNAL).
  static std::unique_ptr<DiameterNode> start(const NodeConfig& config);

  /// Stops freeDiameter (DPR to peers, threads joined). Requests still pending never complete
  /// (their handlers are dropped), so stop the shards' work first. Bounded: when freeDiameter has
  /// not stopped within 20 s, logs it, counts `diameter.shutdown.timed_out`, and returns with its
  /// threads still running (meant for process exit; no new node can start in this process). The io_contexts of clients and
  /// of the server executor must outlive the node.
  ~DiameterNode();

  DiameterNode(const DiameterNode&) = delete;
  DiameterNode& operator=(const DiameterNode&) = delete;

  /// A Cx client bound to `executor` (one per shard). Thread-safe. The client may be destroyed
  /// while requests are pending (their handlers still run).
  std::unique_ptr<CxClient> make_cx_client(boost::asio::any_io_executor executor,
                                           CxClientOptions options);

  /// Serves Cx: every UAR/SAR/LIR/MAR received is decoded on `executor` and handed to `handler`
  /// there. Requests that fail to decode are answered by the node itself (5005 MISSING_AVP, 5004
  /// INVALID_AVP_VALUE, 5009 AVP_OCCURS_TOO_MANY_TIMES, 5014 INVALID_AVP_LENGTH). Call once.
  void serve_cx(boost::asio::any_io_executor executor, CxRequestHandler handler);

  /// True when the peer `identity` is in the OPEN state (CER/CEA done). Thread-safe.
  bool peer_open(std::string_view identity) const;

  /// Blocks up to `timeout` until peer_open(identity) == open. For start-up and tests only: never
  /// call it on a shard. Returns whether the state was reached.
  bool wait_for_peer(std::string_view identity, std::chrono::milliseconds timeout,
                     bool open = true);

  /// Our Diameter identity (Origin-Host).
  const std::string& identity() const;
  /// Our realm (Origin-Realm).
  const std::string& realm() const;

  struct Impl;

private:
  explicit DiameterNode(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wimpu::diameter
