// bench_transport_tls_memory: where an idle server-side TLS connection's heap goes in OpenSSL
// (issue 8, figure 3: at most 8 KiB of eP-CSCF memory per idle WSS connection).
//
// A plain measuring main, not a Google Benchmark: the figure is bytes, not time. It builds the
// server SSL_CTX with libs/transport's own setup (detail::make_server_tls, so the production
// options are what is measured), then for N connections: a socketpair, a server SSL (over a
// socket BIO, as TlsStream's) and a client SSL, a full handshake, one request and one response
// of SIP size (a REGISTER and its 200 OK), then the client is freed and its end closed. The N
// server SSL objects stay alive, idle. Per connection = (live heap with N idle server SSLs -
// live heap before) / N, where the live heap is counted two ways:
//  - OpenSSL's own allocations through CRYPTO_set_mem_functions, each with the OpenSSL source
//    file:line that made it (the breakdown; malloc_usable_size bytes, i.e. with rounding);
//  - glibc's mallinfo2().uordblks (all heap in use, with chunk headers: the figure that counts).
// Then every server SSL is freed and what stays (the server session cache) is reported.
//
// --stream measures the transport's TlsStream instead of a bare SSL (socketpair, handshake,
// request and response through async_handshake/async_read_some/async_write_some on an
// io_context): with --record-layer wimpu (TlsServerConfig::record_layer, the default) the idle
// connection is the record layer's state after the SSL was freed; with openssl, the SSL.
//
// Options toggle one candidate each (see --help). Example:
//   bench_transport_tls_memory --n 2000 --tls13 --sites
//   bench_transport_tls_memory --n 2000 --tls12 --session-cache off
//   bench_transport_tls_memory --n 2000 --stream --record-layer wimpu
#include <malloc.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ssl/stream_base.hpp>

#include <memory>

#include "bench_cert.hpp"
#include "tls.hpp"
#include "tls_stream.hpp"

namespace {
using wimpu::bench::CertFiles;
using wimpu::bench::make_cert;

// ---- counting allocator (installed before OpenSSL allocates anything) ----------------------
bool g_track = false;  // per-allocation bookkeeping (--sites); costs heap of its own
long long g_live = 0;  // OpenSSL live bytes (usable sizes)
struct Alloc {
  std::size_t size;
  const char* file;
  int line;
};
std::unordered_map<void*, Alloc>* g_allocs = nullptr;

void note_alloc(void* p, const char* file, int line) {
  if (p == nullptr) {
    return;
  }
  const std::size_t n = malloc_usable_size(p);
  g_live += static_cast<long long>(n);
  if (g_track) {
    (*g_allocs)[p] = Alloc{n, file, line};
  }
}
void note_free(void* p) {
  if (p == nullptr) {
    return;
  }
  g_live -= static_cast<long long>(malloc_usable_size(p));
  if (g_track) {
    g_allocs->erase(p);
  }
}
void* count_malloc(std::size_t n, const char* file, int line) {
  void* p = std::malloc(n);
  note_alloc(p, file, line);
  return p;
}
void* count_realloc(void* old, std::size_t n, const char* file, int line) {
  note_free(old);
  void* p = std::realloc(old, n);
  if (p == nullptr && old != nullptr && n != 0) {
    note_alloc(old, file, line);  // failed: the old block stays
    return nullptr;
  }
  note_alloc(p, file, line);
  return p;
}
void count_free(void* p, const char*, int) {
  note_free(p);
  std::free(p);
}

using Sites = std::map<std::string, long long>;
Sites live_by_site() {
  Sites out;
  if (g_allocs == nullptr) {
    return out;
  }
  for (const auto& [p, a] : *g_allocs) {
    out[std::string(a.file != nullptr ? a.file : "?") + ":" + std::to_string(a.line)] +=
        static_cast<long long>(a.size);
  }
  return out;
}
long long heap_in_use() { return static_cast<long long>(mallinfo2().uordblks); }

// ---- options -------------------------------------------------------------------------------
struct Options {
  int n = 1000;
  int version = TLS1_3_VERSION;  // max (and min) protocol version
  int session_cache = -1;        // -1: as configured by make_server_tls; else SSL_SESS_CACHE_*
  int num_tickets = -1;          // -1: as configured
  bool no_ticket = false;        // SSL_OP_NO_TICKET
  bool free_buffers = false;     // SSL_free_buffers() on each idle server SSL
  bool release_buffers = true;   // SSL_MODE_RELEASE_BUFFERS (make_server_tls sets it)
  bool request = true;           // one request/response after the handshake
  bool resume = false;           // clients resume the first connection's session
  bool sites = false;
  bool client_no_ticket = false; // the client does not offer tickets (SSL_OP_NO_TICKET on it)
  bool clean_close = false;      // the server sends close_notify before SSL_free (as TlsStream)
  std::string ciphersuites;      // TLS 1.3 suites (server), empty = default
  std::string groups;            // key exchange groups (server), empty = default
  std::string key_type = "ec";   // certificate key: ec (P-256) or rsa (2048)
  bool stream = false;           // measure TlsStream (see the file comment)
  bool wimpu_records = true;     // --record-layer wimpu|openssl (with --stream)
};

void usage() {
  std::puts(
      "bench_transport_tls_memory [--n N] [--tls12|--tls13] [--session-cache on|off]\n"
      "  [--tickets N] [--no-ticket] [--free-buffers] [--keep-buffers] [--no-request] [--resume]\n"
      "  [--ciphersuites S] [--groups G] [--key ec|rsa] [--client-no-ticket] [--clean-close]\n"
      "  [--sites] [--stream [--record-layer wimpu|openssl]]");
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--n") {
      o.n = std::atoi(next().c_str());
    } else if (a == "--tls12") {
      o.version = TLS1_2_VERSION;
    } else if (a == "--tls13") {
      o.version = TLS1_3_VERSION;
    } else if (a == "--session-cache") {
      o.session_cache = next() == "off" ? SSL_SESS_CACHE_OFF : SSL_SESS_CACHE_SERVER;
    } else if (a == "--tickets") {
      o.num_tickets = std::atoi(next().c_str());
    } else if (a == "--no-ticket") {
      o.no_ticket = true;
    } else if (a == "--free-buffers") {
      o.free_buffers = true;
    } else if (a == "--keep-buffers") {
      o.release_buffers = false;
    } else if (a == "--no-request") {
      o.request = false;
    } else if (a == "--resume") {
      o.resume = true;
    } else if (a == "--ciphersuites") {
      o.ciphersuites = next();
    } else if (a == "--groups") {
      o.groups = next();
    } else if (a == "--key") {
      o.key_type = next();
    } else if (a == "--client-no-ticket") {
      o.client_no_ticket = true;
    } else if (a == "--clean-close") {
      o.clean_close = true;
    } else if (a == "--stream") {
      o.stream = true;
    } else if (a == "--record-layer") {
      o.wimpu_records = next() != "openssl";
    } else if (a == "--sites") {
      o.sites = true;
    } else {
      usage();
      return false;
    }
  }
  return o.n > 0;
}

// ---- one connection ------------------------------------------------------------------------
struct Server {
  SSL* ssl = nullptr;
  int fd = -1;
};

// Drives both ends until `done` says so; false if either end fails.
template <class Step>
bool pump(Step step) {
  for (int rounds = 0; rounds < 1000; ++rounds) {
    const int r = step();
    if (r != 0) {
      return r > 0;
    }
  }
  return false;
}

bool want_more(SSL* s, int r) {
  const int e = SSL_get_error(s, r);
  return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

// One non-blocking handshake step on `ssl` unless `done`; false when the handshake failed.
bool handshake_step(SSL* ssl, bool& done) {
  if (!done) {
    const int r = SSL_do_handshake(ssl);
    if (r == 1) {
      done = true;
    } else if (!want_more(ssl, r)) {
      return false;
    }
  }
  return true;
}

const std::string kRequest(620, 'R');   // a REGISTER with a Bearer token is ~600 bytes
const std::string kResponse(420, 'A');  // its 200 OK

bool connect_one(SSL_CTX* sctx, SSL_CTX* cctx, SSL_SESSION* resume, Server& out,
                 SSL_SESSION** got_session, const Options& o) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) != 0) {
    return false;
  }
  SSL* s = SSL_new(sctx);
  SSL* c = SSL_new(cctx);
  SSL_set_fd(s, fds[0]);
  SSL_set_fd(c, fds[1]);
  SSL_set_accept_state(s);
  SSL_set_connect_state(c);
  if (resume != nullptr) {
    SSL_set_session(c, resume);
  }
  bool s_done = false;
  bool c_done = false;
  bool ok = pump([&] {
    if (!handshake_step(c, c_done) || !handshake_step(s, s_done)) {
      return -1;
    }
    return s_done && c_done ? 1 : 0;
  });
  char buf[2048];
  std::size_t n = 0;
  if (ok && o.request) {
    // Client -> server request, server -> client response (the client reads the server's
    // NewSessionTicket messages on the way, as a real client does).
    ok = SSL_write_ex(c, kRequest.data(), kRequest.size(), &n) == 1;
    std::size_t got = 0;
    ok = ok && pump([&] {
      if (SSL_read_ex(s, buf, sizeof buf, &n) == 1) {
        got += n;
      }
      return got >= kRequest.size() ? 1 : 0;
    });
    ok = ok && SSL_write_ex(s, kResponse.data(), kResponse.size(), &n) == 1;
    got = 0;
    ok = ok && pump([&] {
      if (SSL_read_ex(c, buf, sizeof buf, &n) == 1) {
        got += n;
      }
      return got >= kResponse.size() ? 1 : 0;
    });
  }
  if (ok && got_session != nullptr) {
    *got_session = SSL_get1_session(c);
  }
  SSL_free(c);
  ::close(fds[1]);
  if (o.free_buffers) {
    SSL_free_buffers(s);
  }
  out = Server{s, fds[0]};
  return ok;
}

// ---- one TlsStream connection (--stream) -----------------------------------------------------
namespace asio = boost::asio;
using wimpu::transport::detail::TlsStream;

// Handshake, request and response with the server end in a TlsStream on `io` (run by polling).
std::unique_ptr<TlsStream> connect_stream(asio::io_context& io, asio::ssl::context& sctx,
                                          SSL_CTX* cctx) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) != 0) {
    return nullptr;
  }
  wimpu::transport::detail::Socket sock(io.get_executor());
  boost::system::error_code ec;
  sock.assign(asio::ip::tcp::v4(), fds[0], ec);  // send/recv only: the family does not matter
  auto st = std::make_unique<TlsStream>(std::move(sock), sctx);
  SSL* c = SSL_new(cctx);
  SSL_set_fd(c, fds[1]);
  SSL_set_connect_state(c);
  bool s_done = false;
  bool failed = false;
  st->async_handshake(asio::ssl::stream_base::server, [&](boost::system::error_code e) {
    s_done = true;
    failed = failed || e.failed();
  });
  bool c_done = false;
  bool ok = pump([&] {
    if (!handshake_step(c, c_done)) {
      return -1;
    }
    io.poll();
    io.restart();
    return failed ? -1 : (s_done && c_done ? 1 : 0);
  });
  std::size_t n = 0;
  char buf[2048];
  std::size_t got = 0;
  ok = ok && SSL_write_ex(c, kRequest.data(), kRequest.size(), &n) == 1;
  bool reading = false;
  ok = ok && pump([&] {
    if (!reading) {
      reading = true;
      st->async_read_some(asio::buffer(buf), [&](boost::system::error_code e, std::size_t k) {
        reading = false;
        failed = failed || e.failed();
        got += k;
      });
    }
    io.poll();
    io.restart();
    return failed ? -1 : (got >= kRequest.size() && !reading ? 1 : 0);
  });
  bool wrote = false;
  if (ok) {
    st->async_write_some(asio::buffer(kResponse),
                         [&](boost::system::error_code e, std::size_t k) {
                           wrote = true;
                           failed = failed || e.failed() || k != kResponse.size();
                         });
  }
  got = 0;
  ok = ok && pump([&] {
    io.poll();
    io.restart();
    if (SSL_read_ex(c, buf, sizeof buf, &n) == 1) {
      got += n;
    }
    return failed ? -1 : (wrote && got >= kResponse.size() ? 1 : 0);
  });
  SSL_free(c);
  ::close(fds[1]);
  return ok ? std::move(st) : nullptr;
}

int run_streams(const Options& o, const CertFiles& files, SSL_CTX* cctx) {
  wimpu::transport::TlsServerConfig cfg;
  cfg.cert_file = files.cert;
  cfg.key_file = files.key;
  cfg.record_layer = o.wimpu_records ? wimpu::transport::TlsRecordLayer::kWimpu
                                     : wimpu::transport::TlsRecordLayer::kOpenssl;
  auto server_ctx = wimpu::transport::detail::make_server_tls(cfg);
  if (!server_ctx) {
    return 1;
  }
  asio::io_context io(1);
  std::vector<std::unique_ptr<TlsStream>> streams;
  streams.reserve(static_cast<std::size_t>(o.n));
  if (connect_stream(io, **server_ctx, cctx) == nullptr) {  // warm-up (fetches, thread contexts)
    std::fputs("warm-up connection failed\n", stderr);
    return 1;
  }
  const long long live0 = g_live;
  const long long heap0 = heap_in_use();
  int switched = 0;
  for (int i = 0; i < o.n; ++i) {
    auto st = connect_stream(io, **server_ctx, cctx);
    if (st == nullptr) {
      std::fprintf(stderr, "connection %d failed\n", i);
      return 1;
    }
    switched += st->wimpu_records() ? 1 : 0;
    streams.push_back(std::move(st));
  }
  const long long live1 = g_live;
  const long long heap1 = heap_in_use();
  const double n = o.n;
  std::printf("TlsStream record_layer=%s n=%d switched=%d sizeof(TlsStream)=%zu\n",
              o.wimpu_records ? "wimpu" : "openssl", o.n, switched, sizeof(TlsStream));
  std::printf("  per idle connection: OpenSSL %.0f B, heap (mallinfo2, with chunk headers) %.0f B "
              "(the TlsStream objects themselves included)\n",
              (live1 - live0) / n, (heap1 - heap0) / n);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);  // --clean-close writes close_notify to a closed peer
  g_track = o.sites;
  if (g_track) {
    g_allocs = new std::unordered_map<void*, Alloc>();
    g_allocs->reserve(static_cast<std::size_t>(o.n) * 64 + 100000);
  }
  if (CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free) != 1) {
    std::fputs("CRYPTO_set_mem_functions failed (OpenSSL allocated already)\n", stderr);
    return 1;
  }
  CertFiles files;
  if (!make_cert(o.key_type, files)) {
    return 1;
  }
  if (o.stream) {
    SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, nullptr);
    if (!o.ciphersuites.empty()) {
      SSL_CTX_set_ciphersuites(cctx, o.ciphersuites.c_str());
    }
    if (o.version == TLS1_2_VERSION) {
      SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION);
    }
    const int rc = run_streams(o, files, cctx);
    SSL_CTX_free(cctx);
    return rc;
  }
  wimpu::transport::TlsServerConfig cfg;
  cfg.cert_file = files.cert;
  cfg.key_file = files.key;
  auto server_ctx = wimpu::transport::detail::make_server_tls(cfg);
  if (!server_ctx) {
    std::fprintf(stderr, "make_server_tls: %s\n", server_ctx.error().message.c_str());
    return 1;
  }
  SSL_CTX* sctx = (*server_ctx)->native_handle();
  SSL_CTX_set_min_proto_version(sctx, o.version);
  SSL_CTX_set_max_proto_version(sctx, o.version);
  if (o.session_cache >= 0) {
    SSL_CTX_set_session_cache_mode(sctx, o.session_cache);
  }
  if (o.num_tickets >= 0) {
    SSL_CTX_set_num_tickets(sctx, static_cast<std::size_t>(o.num_tickets));
  }
  if (o.no_ticket) {
    SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET);
  }
  if (!o.release_buffers) {
    SSL_CTX_clear_mode(sctx, SSL_MODE_RELEASE_BUFFERS);
  }
  if (!o.ciphersuites.empty() && SSL_CTX_set_ciphersuites(sctx, o.ciphersuites.c_str()) != 1) {
    return 1;
  }
  if (!o.groups.empty() && SSL_CTX_set1_groups_list(sctx, o.groups.c_str()) != 1) {
    return 1;
  }
  SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_mode(cctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, nullptr);
  if (o.client_no_ticket) {
    SSL_CTX_set_options(cctx, SSL_OP_NO_TICKET);
  }

  // Warm-up: a first connection pays for the one-time provider, method and cipher fetches.
  std::vector<Server> servers;
  servers.reserve(static_cast<std::size_t>(o.n));
  SSL_SESSION* session = nullptr;
  Server warm;
  if (!connect_one(sctx, cctx, nullptr, warm, o.resume ? &session : nullptr, o)) {
    std::fputs("warm-up handshake failed\n", stderr);
    ERR_print_errors_fp(stderr);
    return 1;
  }
  SSL_free(warm.ssl);
  ::close(warm.fd);

  const long long live0 = g_live;
  const long long heap0 = heap_in_use();
  const Sites sites0 = live_by_site();
  int resumed = 0;
  for (int i = 0; i < o.n; ++i) {
    Server s;
    if (!connect_one(sctx, cctx, session, s, nullptr, o)) {
      std::fprintf(stderr, "connection %d failed\n", i);
      ERR_print_errors_fp(stderr);
      return 1;
    }
    resumed += SSL_session_reused(s.ssl);
    servers.push_back(s);
  }
  const long long live1 = g_live;
  const long long heap1 = heap_in_use();
  const Sites sites1 = live_by_site();
  const long cached = SSL_CTX_sess_number(sctx);
  for (Server& s : servers) {
    if (o.clean_close) {
      SSL_shutdown(s.ssl);  // close_notify sent: SSL_free keeps the session in the cache
    }
    SSL_free(s.ssl);
    ::close(s.fd);
  }
  const long long live2 = g_live;
  const long long heap2 = heap_in_use();

  const double n = o.n;
  std::printf("%s%s session_cache=%s tickets=%ld%s%s%s%s key=%s%s n=%d resumed=%d\n",
              o.version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2",
              o.ciphersuites.empty() ? "" : (" suites=" + o.ciphersuites).c_str(),
              (SSL_CTX_get_session_cache_mode(sctx) & SSL_SESS_CACHE_SERVER) != 0 ? "server"
                                                                                 : "off",
              static_cast<long>(SSL_CTX_get_num_tickets(sctx)), o.no_ticket ? " NO_TICKET" : "",
              o.free_buffers ? " free_buffers" : "", o.release_buffers ? "" : " keep_buffers",
              o.request ? "" : " no_request", o.key_type.c_str(),
              o.client_no_ticket ? " client_no_ticket" : "", o.n, resumed);
  // With --sites the bookkeeping map is on the heap too: the mallinfo2 figure is then meaningless.
  std::printf("  per idle connection: OpenSSL %.0f B, heap (mallinfo2, with chunk headers) %.0f B%s\n",
              (live1 - live0) / n, (heap1 - heap0) / n, o.sites ? " (includes --sites bookkeeping)" : "");
  std::printf("  left after SSL_free of all%s (session cache: %ld sessions while open, %ld after): "
              "OpenSSL %.0f B, heap %.0f B per connection\n",
              o.clean_close ? " after close_notify" : "", cached,
              static_cast<long>(SSL_CTX_sess_number(sctx)), (live2 - live0) / n,
              (heap2 - heap0) / n);
  if (o.sites) {
    std::vector<std::pair<long long, std::string>> rows;
    for (const auto& [site, bytes] : sites1) {
      const auto it = sites0.find(site);
      const long long d = bytes - (it == sites0.end() ? 0 : it->second);
      if (d != 0) {
        rows.emplace_back(d, site);
      }
    }
    std::sort(rows.rbegin(), rows.rend());
    std::puts("  by allocation site (bytes per connection, OpenSSL source file:line):");
    for (const auto& [bytes, site] : rows) {
      if (bytes / n >= 1.0) {
        std::printf("    %7.0f  %s\n", bytes / n, site.c_str());
      }
    }
  }
  SSL_SESSION_free(session);
  SSL_CTX_free(cctx);
  return 0;
}
