#pragma once
// An in-test WebSocket SIP server (Beast) on 127.0.0.1, port 0, for the load tool's tests: it
// answers REGISTER with 200 (optionally after a digest challenge it verifies independently of
// the tool's digest code), can refuse the upgrade for a wrong Origin, can ping, and can play the
// IMS side of a call toward a registered client (INVITE, then ACK+BYE, or CANCEL).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wimpu::loadgen::test {

struct ResponderOptions {
  bool digest = false;              ///< challenge every REGISTER without credentials (401)
  std::string secret = "s3cret";    ///< auth_ephemeral shared secret
  std::string realm = "loadgen.test";
  bool silent = false;              ///< never answer REGISTER
  std::string required_origin;      ///< non-empty: other Origins get HTTP 403
  bool ping_after_register = false; ///< send a WebSocket ping after each 200
  bool place_call = false;          ///< after the first 200 on a connection, send an INVITE
  bool cancel_call = false;         ///< ... and CANCEL it when the 180 arrives
  bool tls = false;                 ///< wss (self-signed certificate, see cert_pem())
  std::uint32_t grant_expires = 0;  ///< non-zero: the 200 grants this expiry to the contact
  std::uint32_t reject_first = 0;   ///< answer the first N REGISTERs (over all connections) 403
};

/// What the responder saw. Copied out under a lock.
struct ResponderCounts {
  std::uint64_t connections = 0;
  std::uint64_t tcp_accepted = 0;                 ///< TCP connections accepted (before any handshake)
  std::uint64_t tcp_accepted_at_first_register = 0;
  std::uint64_t handshakes_refused = 0;
  std::uint64_t registers = 0;
  std::uint64_t text_frames = 0;
  std::uint64_t binary_frames = 0;
  std::uint64_t ok_sent = 0;
  std::uint64_t challenges_sent = 0;
  std::uint64_t digest_ok = 0;
  std::uint64_t digest_bad = 0;
  std::uint64_t pongs = 0;
  std::uint64_t parse_errors = 0;
  std::map<std::string, std::uint64_t> bearer_tokens;  ///< token -> times seen
  std::string last_origin;
  std::string last_subprotocol;
  std::string last_register;                           ///< raw text of the last REGISTER
  // call scenario
  std::uint64_t got_180 = 0;
  std::uint64_t got_200_invite_with_sdp = 0;
  std::uint64_t got_200_bye = 0;
  std::uint64_t got_200_cancel = 0;
  std::uint64_t got_487 = 0;
  std::uint64_t calls_done = 0;
  std::string last_invite_response;                    ///< raw 200 to the INVITE
};

class SipResponder {
public:
  explicit SipResponder(ResponderOptions options);
  ~SipResponder();
  SipResponder(const SipResponder&) = delete;
  SipResponder& operator=(const SipResponder&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  /// "ws://127.0.0.1:<port>/sip" (or wss://).
  std::string url() const;
  /// The self-signed certificate (PEM) of the TLS variant, for the client's CA file.
  const std::string& cert_pem() const noexcept { return cert_pem_; }
  ResponderCounts counts() const;
  /// Calls `fn` on the responder's thread after every change of the counts.
  void on_change(std::function<void(const ResponderCounts&)> fn);
  /// Blocks until `pred(counts())` holds or `timeout` passes (a bound, not a synchronisation).
  bool wait_for(const std::function<bool(const ResponderCounts&)>& pred,
                std::chrono::milliseconds timeout);

  // Used by the sessions (responder thread).
  const ResponderOptions& options() const noexcept { return options_; }
  template <class F>
  void update(F&& f) {
    std::function<void(const ResponderCounts&)> cb;
    ResponderCounts copy;
    {
      std::lock_guard lock(mu_);
      f(counts_);
      cb = on_change_;
      copy = counts_;
    }
    cv_.notify_all();
    if (cb) {
      cb(copy);
    }
  }

private:
  void do_accept();

  ResponderOptions options_;
  boost::asio::io_context io_{1};
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::string cert_pem_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  ResponderCounts counts_;
  std::function<void(const ResponderCounts&)> on_change_;
};

}  // namespace wimpu::loadgen::test
