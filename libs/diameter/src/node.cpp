// DiameterNode: start-up and shutdown of freeDiameter, peer state, logging. The client and server
// halves are in fd_client.cpp and fd_server.cpp; the dictionary in fd_dictionary.cpp.
#include <arpa/inet.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "fd_bridge.hpp"
#include "wimpu/common/counter.hpp"

// freeDiameter 1.2.1's internal routing and dispatch queues and the call that tells their
// threads to stop (libfdcore/fdcore-internal.h, routing_dispatch.c; exported by libfdcore.so but
// absent from the public headers). Used only by detach_routing_queues().
extern "C" {
extern struct fifo* fd_g_incoming;
extern struct fifo* fd_g_outgoing;
extern struct fifo* fd_g_local;
int fd_rtdisp_cleanstop(void);
}
static_assert(FD_PROJECT_VERSION_MAJOR == 1 && FD_PROJECT_VERSION_MINOR == 2,
              "detach_routing_queues() relies on freeDiameter 1.2 internals: re-check it");

namespace wimpu::diameter {

namespace detail {

std::string NodeShared::next_session_id() {
  const std::uint32_t low = session_low.fetch_add(1, std::memory_order_relaxed);
  return identity + ";" + std::to_string(session_high) + ";" + std::to_string(low);
}

std::vector<std::uint8_t> to_bytes(struct msg* message) {
  std::uint8_t* buffer = nullptr;
  std::size_t length = 0;
  if (fd_msg_bufferize(message, &buffer, &length) != 0 || buffer == nullptr) {
    return {};
  }
  std::vector<std::uint8_t> out(buffer, buffer + length);
  std::free(buffer);
  return out;
}

struct msg* from_bytes(std::span<const std::uint8_t> bytes) {
  // fd_msg_parse_buffer takes ownership of a malloc'd buffer (freed by fd_msg_parse_dict or with
  // the message).
  auto* buffer = static_cast<std::uint8_t*>(std::malloc(bytes.size()));
  if (buffer == nullptr) {
    return nullptr;
  }
  std::memcpy(buffer, bytes.data(), bytes.size());
  struct msg* message = nullptr;
  if (fd_msg_parse_buffer(&buffer, bytes.size(), &message) != 0) {
    std::free(buffer);
    return nullptr;
  }
  struct fd_pei error_info;
  std::memset(&error_info, 0, sizeof error_info);
  if (fd_msg_parse_dict(message, fd_g_config->cnf_dict, &error_info) != 0) {
    fd_msg_free(message);
    return nullptr;
  }
  return message;
}

}  // namespace detail

namespace {

int log_threshold(const std::string& level) {
  if (level == "debug") {
    return FD_LOG_DEBUG;
  }
  if (level == "notice") {
    return FD_LOG_NOTICE;
  }
  if (level == "fatal") {
    return FD_LOG_FATAL;
  }
  return FD_LOG_ERROR;
}

std::atomic<int> g_log_threshold{FD_LOG_ERROR};
std::atomic<bool> g_stopping{false};
// Longer than a normal stop after a peer died (~15 s of DPR/DPA waiting in freeDiameter).
constexpr std::chrono::seconds kShutdownBound{20};
std::atomic<bool> g_started{false};

// freeDiameter's log lines go to stderr above the configured threshold. fd_core_shutdown() logs
// its normal stop at FATAL level; that one is silenced.
void fd_logger(int level, const char* format, va_list args) {
  if (level < g_log_threshold.load(std::memory_order_relaxed)) {
    return;
  }
  if (level >= FD_LOG_FATAL && g_stopping.load(std::memory_order_relaxed)) {
    return;
  }
  char line[1024];
  std::vsnprintf(line, sizeof line, format, args);
  std::fprintf(stderr, "freeDiameter[%d]: %s\n", level, line);
}

// Works around an abort (SIGABRT) of freeDiameter's stop on a CPU-starved machine.
// fd_core_shutdown()'s runner thread destroys the three routing/dispatch queues (fd_rtdisp_fini
// -> fd_queues_fini -> fd_fifo_del) while their threads (routing-in, routing-out, app_threads
// dispatchers) are still blocked reading them. fd_fifo_del wakes one waiter per 1 ms and
// ASSERTs that all are gone within 20 rounds (libfdproto/fifo.c, "++loops < 20"): a woken
// thread that does not get a CPU for ~20 ms aborts the process. Seen as "wimpu-ei-cscf exited
// with -6" in loaded ctest runs (sipp_ims).
//
// So the queues are swapped out before the stop: the threads are told to stop after their
// current wait (fd_rtdisp_cleanstop: they read with a 1 s timeout and then check that order),
// and the globals get fresh empty queues that no thread waits on, which freeDiameter then
// destroys without the wake-up rounds. Each thread keeps the queue it captured when it started
// (process_thr's argument); those three stay allocated, since a thread may wait on one for up
// to 1 s more. freeDiameter's stop waits for the threads to see the order (up to 1 s, polled),
// then cancels and joins them: the stop takes up to ~1 s longer than before. Messages still
// queued are dropped, which is what the stop does anyway: clients and responders stopped using
// freeDiameter before (NodeShared::alive). Peer disconnection (DPR/DPA) does not go through
// these queues (p_dp.c sends on the peer directly). Check: diameter_node_stop_under_starvation.
void detach_routing_queues() {
  fd_rtdisp_cleanstop();
  for (struct fifo** queue : {&fd_g_incoming, &fd_g_outgoing, &fd_g_local}) {
    struct fifo* fresh = nullptr;
    // No limit: a poster must never block on a queue nobody reads.
    if (fd_fifo_new(&fresh, 0) != 0) {
      common::counter("diameter.shutdown.queue_swap_failed").inc();
      continue;  // that queue keeps the original behaviour
    }
    *queue = fresh;  // the old one is deliberately leaked (see above): once per process
  }
}

}  // namespace

// freeDiameter 1.2.1 never frees the certificate list gnutls_x509_crt_list_import2() returns while
// it parses TLS_CA (fdd.y): a one-off start-up allocation, not ours. Suppressed for LeakSanitizer
// builds (WIMPU_SANITIZE) of every program linking the bridge; ignored otherwise.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:gnutls_x509_crt_list_import2\n";
}

struct DiameterNode::Impl {
  NodeConfig config;
  std::shared_ptr<detail::NodeShared> shared = std::make_shared<detail::NodeShared>();
  detail::CxDictionary dictionary;
  std::shared_ptr<void> server;  // the Cx dispatch target; released after freeDiameter stops

  std::mutex peer_mutex;
  std::condition_variable peer_cv;
};

namespace {

DiameterNode::Impl* g_impl = nullptr;  // for freeDiameter's C callbacks; set while running

void peer_hook(enum fd_hook_type type, struct msg*, struct peer_hdr* peer, void* other,
               struct fd_hook_permsgdata*, void*) {
  if (type == HOOK_PEER_CONNECT_SUCCESS) {
    common::counter("diameter.peer.connected").inc();
  } else {
    common::counter("diameter.peer.connect_failed").inc();
    if (g_log_threshold.load() <= FD_LOG_NOTICE) {
      std::fprintf(stderr, "diameter: connection with %s failed: %s\n",
                   peer != nullptr ? peer->info.pi_diamid : "(unknown peer)",
                   other != nullptr ? static_cast<const char*>(other) : "");
    }
  }
  if (DiameterNode::Impl* impl = g_impl) {
    // The state moves to OPEN just after this hook: waiters re-check on a short period too.
    std::lock_guard lock(impl->peer_mutex);
    impl->peer_cv.notify_all();
  }
}

// Replaces freeDiameter's default behaviour for the per-message hooks. Without a registered hook,
// fd_hook_call() formats every message it sees (fd_msg_dump_full for each locally sent request,
// fd_msg_dump_summary for each one received, sent or dispatched: snprintf per AVP) under one
// process-wide mutex, and only then hands the text to the logger, which drops it below "debug".
// That was the `vfprintf` of the eI-CSCF's per-call profile (bench/RESULTS.md, figure 4). The
// message counts here are what is left of that trace at the default log levels.
void message_hook(enum fd_hook_type type, struct msg*, struct peer_hdr*, void*,
                  struct fd_hook_permsgdata*, void*) {
  static common::Counter& received = common::counter("diameter.messages.received");
  static common::Counter& sent = common::counter("diameter.messages.sent");
  if (type == HOOK_MESSAGE_RECEIVED) {
    received.inc();
  } else if (type == HOOK_MESSAGE_SENT) {
    sent.inc();
  }
}

bool accepted(const NodeConfig& config, std::string_view identity) {
  for (const std::string& a : config.accept_peers) {
    if (a == "*" || (a.size() == identity.size() &&
                     strncasecmp(a.data(), identity.data(), identity.size()) == 0)) {
      return true;
    }
  }
  return false;
}

// Incoming connection from a peer not in ConnectPeer: accept it when listed in accept_peers.
// Setting PI_SEC_NONE allows the CER/CEA and the session without TLS (freeDiameter p_ce.c).
int validate_peer(struct peer_info* info, int* auth, int (**cb2)(struct peer_info*)) {
  *cb2 = nullptr;
  DiameterNode::Impl* impl = g_impl;
  if (impl == nullptr || info->pi_diamid == nullptr) {
    *auth = 0;
    return 0;
  }
  const std::string_view id(info->pi_diamid, info->pi_diamidlen);
  if (accepted(impl->config, id)) {
    *auth = 1;
    if (!impl->config.require_tls) {
      info->config.pic_flags.sec |= PI_SEC_NONE;
    }
  } else {
    common::counter("diameter.peer.rejected").inc();
    *auth = 0;  // no decision: freeDiameter rejects unknown peers (DIAMETER_UNKNOWN_PEER)
  }
  return 0;
}

void add_listen_endpoint(const NodeConfig& config) {
  // freeDiameter's ListenOn drops loopback addresses (fd_ep_add_merge without EP_ACCEPTALL), so
  // the endpoint is added here, where the flag can be given.
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, config.listen_address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, config.listen_address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    len = sizeof(sockaddr_in6);
  } else {
    throw std::runtime_error("diameter: bad listen address " + config.listen_address);
  }
  if (fd_ep_add_merge(&fd_g_config->cnf_endpoints, reinterpret_cast<sSA*>(&ss), len,
                      EP_FL_CONF | EP_ACCEPTALL) != 0) {
    throw std::runtime_error("diameter: cannot add listen address " + config.listen_address);
  }
}

}  // namespace

DiameterNode::DiameterNode(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<DiameterNode> DiameterNode::start(const NodeConfig& config) {
  if (const std::string error = validate(config); !error.empty()) {
    throw std::runtime_error(error);
  }
  if (g_started.exchange(true)) {
    throw std::runtime_error(
        "diameter: a Diameter node was already started in this process (freeDiameter is a "
        "per-process singleton)");
  }
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->shared->identity = config.identity;
  impl->shared->realm = config.realm;
  impl->shared->session_high = static_cast<std::uint32_t>(std::time(nullptr));

  std::filesystem::create_directories(config.state_dir);
  const TlsFiles tls =
      config.tls ? *config.tls : detail::make_self_signed(config.identity, config.state_dir / "tls");
  const std::filesystem::path conf_path = config.state_dir / "freeDiameter.conf";
  {
    std::ofstream out(conf_path, std::ios::trunc);
    out << render_freediameter_conf(config, tls);
    if (!out) {
      throw std::runtime_error("diameter: cannot write " + conf_path.string());
    }
  }

  // freeDiameter's TLS sessions (GnuTLS) write to the socket without MSG_NOSIGNAL: a peer that
  // vanished mid-write would kill the whole process with SIGPIPE. Seen in a test whose HSS peer
  // was killed during shutdown. The node is a per-process singleton, so it sets the process-wide
  // disposition; the write then fails with EPIPE and freeDiameter closes that connection.
  std::signal(SIGPIPE, SIG_IGN);
  g_log_threshold = log_threshold(config.log_level);
  fd_g_debug_lvl = g_log_threshold.load();
  fd_log_handler_register(fd_logger);
  if (int ret = fd_core_initialize(); ret != 0) {
    throw std::runtime_error("diameter: fd_core_initialize failed: " + std::to_string(ret));
  }
  if (int ret = fd_core_parseconf(conf_path.c_str()); ret != 0) {
    throw std::runtime_error("diameter: freeDiameter rejected " + conf_path.string() +
                             " (error " + std::to_string(ret) + ")");
  }
  if (config.port != 0 || config.tls_port != 0) {
    add_listen_endpoint(config);
  }
  impl->dictionary = detail::define_cx_dictionary(fd_g_config->cnf_dict);
  // Advertise Cx in CER/CEA as Vendor-Specific-Application-Id {10415, Auth 16777216}.
  if (fd_disp_app_support(impl->dictionary.application, impl->dictionary.vendor, 1, 0) != 0) {
    throw std::runtime_error("diameter: fd_disp_app_support failed");
  }
  g_impl = impl.get();
  // fd_hook_register() insists on an out-parameter for the handle, which only
  // fd_hook_unregister() would use. The hooks are never unregistered: they live as long as
  // freeDiameter, a per-process singleton that is never started again once stopped.
  struct fd_hook_hdl* hook_handle = nullptr;
  if (fd_peer_validate_register(validate_peer) != 0 ||
      fd_hook_register(HOOK_MASK(HOOK_PEER_CONNECT_SUCCESS, HOOK_PEER_CONNECT_FAILED), peer_hook,
                       nullptr, nullptr, &hook_handle) != 0) {
    throw std::runtime_error("diameter: cannot register freeDiameter callbacks");
  }
  // At "debug" freeDiameter's own per-message dumps stay (they are the trace one asks for).
  if (g_log_threshold.load() > FD_LOG_DEBUG &&
      fd_hook_register(HOOK_MASK(HOOK_DATA_RECEIVED, HOOK_MESSAGE_RECEIVED, HOOK_MESSAGE_LOCAL,
                                 HOOK_MESSAGE_SENDING, HOOK_MESSAGE_SENT,
                                 HOOK_MESSAGE_ROUTING_FORWARD, HOOK_MESSAGE_ROUTING_LOCAL),
                       message_hook, nullptr, nullptr, &hook_handle) != 0) {
    throw std::runtime_error("diameter: cannot register the freeDiameter message hook");
  }
  if (int ret = fd_core_start(); ret != 0) {
    throw std::runtime_error("diameter: fd_core_start failed: " + std::to_string(ret) +
                             " (port in use?)");
  }
  return std::unique_ptr<DiameterNode>(new DiameterNode(std::move(impl)));
}

DiameterNode::~DiameterNode() {
  {
    // From here on no client, pending request or responder calls into freeDiameter.
    std::unique_lock lock(impl_->shared->mutex);
    impl_->shared->alive = false;
  }
  g_stopping = true;
  detach_routing_queues();
  fd_core_shutdown();
  // freeDiameter's stop waits for every peer's DPA and its TLS close; on a loaded machine it was
  // seen blocked for good (a test process hung for 734 s with a TLS peer). A node being destroyed
  // belongs to a process that is stopping: wait a bounded time, then leave freeDiameter's threads
  // to the process exit. They may still call our callbacks, so what those reach stays allocated.
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  std::thread([done] {
    fd_core_wait_shutdown_complete();
    done->set_value();
  }).detach();
  if (finished.wait_for(kShutdownBound) != std::future_status::ready) {
    common::counter("diameter.shutdown.timed_out").inc();
    std::fprintf(stderr,
                 "diameter: freeDiameter did not finish stopping within %lld s; its threads are "
                 "left to the process exit\n",
                 static_cast<long long>(kShutdownBound.count()));
    static_cast<void>(impl_.release());  // deliberately kept: see above
    return;
  }
  g_impl = nullptr;
  impl_->server.reset();
}

std::unique_ptr<CxClient> DiameterNode::make_cx_client(boost::asio::any_io_executor executor,
                                                       CxClientOptions options) {
  if (options.destination_realm.empty()) {
    options.destination_realm = impl_->config.realm;
  }
  return detail::make_fd_client(impl_->shared, std::move(executor), std::move(options));
}

void DiameterNode::serve_cx(boost::asio::any_io_executor executor, CxRequestHandler handler) {
  if (impl_->server) {
    throw std::logic_error("diameter: serve_cx called twice");
  }
  impl_->server = detail::serve_fd(impl_->shared, impl_->dictionary.application,
                                   std::move(executor), std::move(handler));
}

bool DiameterNode::peer_open(std::string_view identity) const {
  std::string id(identity);
  struct peer_hdr* peer = nullptr;
  if (fd_peer_getbyid(id.data(), id.size(), 1, &peer) != 0 || peer == nullptr) {
    return false;
  }
  return fd_peer_get_state(peer) == STATE_OPEN;
}

bool DiameterNode::wait_for_peer(std::string_view identity, std::chrono::milliseconds timeout,
                                 bool open) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(impl_->peer_mutex);
  while (peer_open(identity) != open) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return false;
    }
    // Woken by the connect hooks; the short cap covers the state change that follows the hook.
    impl_->peer_cv.wait_for(lock, std::min<std::chrono::steady_clock::duration>(
                                      deadline - now, std::chrono::milliseconds(20)));
  }
  return true;
}

const std::string& DiameterNode::identity() const { return impl_->config.identity; }
const std::string& DiameterNode::realm() const { return impl_->config.realm; }

}  // namespace wimpu::diameter
