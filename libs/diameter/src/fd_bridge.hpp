#pragma once
// Internals shared by the freeDiameter bridge files (node.cpp, fd_client.cpp, fd_server.cpp,
// fd_dictionary.cpp). Only these files include freeDiameter headers.
#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdcore.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "wimpu/diameter/cx_client.hpp"
#include "wimpu/diameter/cx_server.hpp"
#include "wimpu/diameter/node.hpp"

namespace wimpu::diameter::detail {

/// State every client, pending request and responder shares with the node, so that they stay
/// safe after the node is gone: they call freeDiameter only while holding `mutex` shared and
/// seeing `alive`; the node clears `alive` under the exclusive lock before fd_core_shutdown().
struct NodeShared {
  std::string identity;
  std::string realm;
  std::uint32_t session_high = 0;  ///< RFC 6733 §8.8 <high 32 bits>: start time
  std::atomic<std::uint32_t> session_low{0};

  mutable std::shared_mutex mutex;
  bool alive = true;

  /// A fresh Session-Id "<identity>;<high>;<low>" (RFC 6733 §8.8). Thread-safe.
  std::string next_session_id();
};

/// The Cx objects of the freeDiameter dictionary.
struct CxDictionary {
  struct dict_object* vendor = nullptr;
  struct dict_object* application = nullptr;
};

/// Finds or creates the 3GPP vendor, the Cx application, its four command pairs and every AVP of
/// codes.hpp in `dict` (existing definitions, e.g. from dict_dcca_3gpp.fdx, are reused, never
/// redefined). Throws std::runtime_error on failure (start-up only).
CxDictionary define_cx_dictionary(struct dictionary* dict);

/// Serializes a freeDiameter message into a byte vector (empty on failure).
std::vector<std::uint8_t> to_bytes(struct msg* message);

/// Parses our encoded bytes into a freeDiameter message resolved against the dictionary; nullptr on
/// failure (counted by the caller).
struct msg* from_bytes(std::span<const std::uint8_t> bytes);

/// A client sending through freeDiameter.
std::unique_ptr<CxClient> make_fd_client(std::shared_ptr<NodeShared> shared,
                                         boost::asio::any_io_executor executor,
                                         CxClientOptions options);

/// Registers the Cx dispatch callback; requests are posted to `executor` and given to `handler`.
void serve_fd(std::shared_ptr<NodeShared> shared, struct dict_object* application,
              boost::asio::any_io_executor executor, CxRequestHandler handler);

/// Writes a self-signed certificate and key for `identity` into `dir` (EC P-256, SAN DNS:identity,
/// CA:TRUE so GnuTLS accepts it as its own trust anchor). Throws on failure.
TlsFiles make_self_signed(const std::string& identity, const std::filesystem::path& dir);

}  // namespace wimpu::diameter::detail
