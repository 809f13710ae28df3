// TlsStream after the handshake: the wimpu TLS 1.3 record layer (tls_stream.hpp, RFC 8446 §5).
#include <openssl/crypto.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "counters.hpp"
#include "tls_stream.hpp"
#include "tls_stream_state.hpp"
#include "wimpu/common/assert.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/common/hex.hpp"

namespace wimpu::transport::detail {
namespace {
namespace t13 = tls13;

// The fatal alerts we send (RFC 8446 §6.2): the counter transport.tls.records.<name> and the
// error a read then reports, OpenSSL's reason for the same condition in the category
// asio::ssl::stream uses (errors as before the switch). Any other alert counts as the first.
struct SentAlert {
  t13::Alert alert;
  const char* name;
  int reason;
};
constexpr SentAlert kSentAlerts[] = {
    {t13::Alert::kInternalError, "internal_error", ERR_R_INTERNAL_ERROR},
    {t13::Alert::kUnexpectedMessage, "unexpected_message", SSL_R_UNEXPECTED_MESSAGE},
    {t13::Alert::kBadRecordMac, "bad_record_mac", SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC},
    {t13::Alert::kRecordOverflow, "record_overflow", SSL_R_DATA_LENGTH_TOO_LONG},
    {t13::Alert::kDecodeError, "decode_error", SSL_R_LENGTH_MISMATCH},
};
constexpr std::size_t kSentAlertCount = std::size(kSentAlerts);

std::size_t sent_alert_index(t13::Alert a) {
  for (std::size_t i = 0; i < kSentAlertCount; ++i) {
    if (kSentAlerts[i].alert == a) {
      return i;
    }
  }
  return 0;
}

// The record layer's counters, transport.tls.records.<event> (counters.hpp), each looked up once:
// the registry lookup takes a lock, and the fallback and error paths may be hit at any rate.
struct RecordCounters {
  common::Counter& switched = counter("tls.records.switched");
  common::Counter& key_update = counter("tls.records.key_update");
  common::Counter& peer_alert = counter("tls.records.peer_alert");
  // Handshakes that stay on OpenSSL's record layer (switch_to_records), by reason.
  common::Counter& openssl_tls12 = counter("tls.records.openssl_tls12");
  common::Counter& openssl_suite = counter("tls.records.openssl_suite");
  common::Counter& openssl_no_secret = counter("tls.records.openssl_no_secret");
  common::Counter& openssl_read_boundary = counter("tls.records.openssl_read_boundary");
  common::Counter& openssl_write_boundary = counter("tls.records.openssl_write_boundary");
  common::Counter& openssl_derive_failed = counter("tls.records.openssl_derive_failed");
  std::array<common::Counter*, kSentAlertCount> sent_alerts = [] {
    std::array<common::Counter*, kSentAlertCount> c{};
    for (std::size_t i = 0; i < kSentAlertCount; ++i) {
      c[i] = &counter(std::string("tls.records.") + kSentAlerts[i].name);
    }
    return c;
  }();
};

RecordCounters& records_counters() {
  static RecordCounters counters;
  return counters;
}

// The counter of a fatal alert we send.
common::Counter& alert_counter(t13::Alert a) {
  return *records_counters().sent_alerts[sent_alert_index(a)];
}

// The error a read reports after we sent `a`.
error_code error_for(t13::Alert a) {
  return error_code(
      static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, kSentAlerts[sent_alert_index(a)].reason)),
      asio::error::get_ssl_category());
}

// The peer's alert, as OpenSSL reports a received one (SSL_AD_REASON_OFFSET + description).
error_code error_for_peer_alert(std::uint8_t description) {
  return error_code(
      static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, SSL_AD_REASON_OFFSET + description)),
      asio::error::get_ssl_category());
}

// One alert record (RFC 8446 §6: AlertLevel, AlertDescription) sealed under `write`.
using AlertRecord = std::array<std::uint8_t, t13::sealed_size(2)>;
bool seal_alert(t13::Suite suite, t13::DirectionKeys& write, std::uint8_t level,
                std::uint8_t description, std::uint8_t* out) {
  out[t13::kHeaderSize] = level;
  out[t13::kHeaderSize + 1] = description;
  return t13::seal(suite, write, t13::ContentType::kAlert, out, 2);
}
constexpr std::uint8_t kWarning = 1;
constexpr std::uint8_t kFatal = 2;

// Receive buffer: one whole record of the largest size (RFC 8446 §5.2), allocated when the
// socket is readable and freed when it has nothing left (cf. SSL_MODE_RELEASE_BUFFERS).
constexpr std::size_t kReadBuffer = tls13::kHeaderSize + tls13::kMaxCiphertext;

// Proactive KeyUpdate well before AES-GCM's limit of 2^24.5 records per key (RFC 8446 §5.5).
constexpr std::uint64_t kRekeyAfter = std::uint64_t{1} << 24;

}  // namespace

int TlsStream::stream_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void use_wimpu_record_layer(asio::ssl::context& ctx) {
  SSL_CTX_set_keylog_callback(ctx.native_handle(), &TlsStream::on_keylog);
}

// "<LABEL> <client_random hex> <secret hex>" (the NSS key log format OpenSSL produces). Only the
// two application traffic secrets are kept; the line itself is never stored or logged.
void TlsStream::on_keylog(const SSL* ssl, const char* line) {
  auto* stream = static_cast<TlsStream*>(SSL_get_ex_data(ssl, stream_index()));
  if (stream == nullptr || stream->capture_ == nullptr) {
    return;
  }
  Capture& c = *stream->capture_;
  const std::string_view text(line);
  const std::size_t sp1 = text.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : text.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    c.bad_line = true;
    return;
  }
  const std::string_view label = text.substr(0, sp1);
  std::array<std::uint8_t, t13::kMaxSecret>* out = nullptr;
  std::size_t* out_size = nullptr;
  if (label == "CLIENT_TRAFFIC_SECRET_0") {
    out = &c.client;
    out_size = &c.client_size;
  } else if (label == "SERVER_TRAFFIC_SECRET_0") {
    out = &c.server;
    out_size = &c.server_size;
  } else {
    return;
  }
  const std::string_view hex = text.substr(sp2 + 1);
  if (hex.size() % 2 != 0 || hex.size() / 2 > out->size()) {
    c.bad_line = true;
    return;
  }
  for (std::size_t i = 0; i < hex.size() / 2; ++i) {
    const int hi = common::hex_digit_value(hex[2 * i]);
    const int lo = common::hex_digit_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      c.bad_line = true;
      return;
    }
    (*out)[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  *out_size = hex.size() / 2;
}

// Counts the records OpenSSL protects under the application keys before the switch: the
// server's NewSessionTickets (RFC 8446 §4.6.1) are written after its Finished, under the
// server application key, so our write sequence number starts at their count; and nothing may
// have been read after the client's Finished (the client's sequence number starts at 0).
void TlsStream::on_message(int write_p, int, int content_type, const void* buf, std::size_t len,
                           SSL* ssl, void*) {
  auto* stream = static_cast<TlsStream*>(SSL_get_ex_data(ssl, stream_index()));
  if (stream == nullptr || stream->capture_ == nullptr) {
    return;
  }
  Capture& c = *stream->capture_;
  if (content_type == SSL3_RT_HEADER) {
    if (write_p != 0 && c.server_size != 0) {
      ++c.records_written_after_server_secret;
    } else if (write_p == 0 && c.client_finished_read) {
      ++c.records_read_after_client_finished;
    }
  } else if (content_type == SSL3_RT_HANDSHAKE && len > 0) {
    const auto type = static_cast<const std::uint8_t*>(buf)[0];
    if (write_p != 0 && type == SSL3_MT_NEWSESSION_TICKET) {
      ++c.tickets_written;
    } else if (write_p == 0 && type == SSL3_MT_FINISHED) {
      c.client_finished_read = true;
    }
  }
}

void TlsStream::switch_to_records() {
  std::unique_ptr<Capture> c = std::move(capture_);
  SSL_set_msg_callback(ssl_, nullptr);
  SSL_set_ex_data(ssl_, stream_index(), nullptr);
  RecordCounters& counters = records_counters();
  common::Counter* why = nullptr;
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
  const auto suite = cipher == nullptr
                         ? std::nullopt
                         : t13::suite_from_id(SSL_CIPHER_get_protocol_id(cipher));
  if (SSL_version(ssl_) != TLS1_3_VERSION) {
    why = &counters.openssl_tls12;  // TLS 1.2 keeps OpenSSL's record layer
  } else if (!suite) {
    why = &counters.openssl_suite;
  } else if (c->bad_line || c->client_size == 0 || c->server_size == 0) {
    why = &counters.openssl_no_secret;
  } else if (SSL_pending(ssl_) != 0 || SSL_has_pending(ssl_) != 0 ||
             c->records_read_after_client_finished != 0 || !c->client_finished_read) {
    why = &counters.openssl_read_boundary;  // bytes after the client's Finished were consumed
  } else if (c->records_written_after_server_secret != c->tickets_written ||
             SSL_get_key_update_type(ssl_) != SSL_KEY_UPDATE_NONE) {
    why = &counters.openssl_write_boundary;  // something besides tickets, or still buffered
  }
  if (why != nullptr) {
    why->inc();
    return;
  }
  auto r = std::make_unique<Records>();
  r->suite = *suite;
  if (!t13::install_secret(r->suite, c->client.data(), c->client_size, r->read) ||
      !t13::install_secret(r->suite, c->server.data(), c->server_size, r->write)) {
    counters.openssl_derive_failed.inc();
    return;
  }
  r->write.seq = c->tickets_written;
  rec_ = std::move(r);
  SSL_free(ssl_);  // and its BIO; the socket stays ours
  ssl_ = nullptr;
  counters.switched.inc();
}

std::size_t TlsStream::seal_write(const asio::const_buffer* parts, std::size_t count) {
  Records& r = *rec_;
  // A sealed remainder still unsent (an earlier operation ended early): records_flush sends it
  // first and this operation reports 0 bytes taken, so the caller offers them again.
  if (r.write_error || r.close_sent || count == 0 || r.wbuf != nullptr) {
    return 0;
  }
  std::size_t total = 0;
  for (std::size_t i = 0; i < count && total < t13::kMaxPlaintext; ++i) {
    total += std::min(parts[i].size(), t13::kMaxPlaintext - total);
  }
  if (r.write.seq >= kRekeyAfter) {
    r.key_update_due = true;
  }
  const std::size_t update = r.key_update_due ? t13::sealed_size(t13::kKeyUpdateSize) : 0;
  r.wlen = update + t13::sealed_size(total);
  r.woff = 0;
  r.wbuf = std::make_unique_for_overwrite<std::uint8_t[]>(r.wlen);
  std::uint8_t* out = r.wbuf.get();
  if (update != 0) {
    // RFC 8446 §4.6.3: our KeyUpdate (update_not_requested) before our next application data,
    // under the old key; then the write key changes.
    t13::write_key_update(out + t13::kHeaderSize, false);
    if (!t13::seal(r.suite, r.write, t13::ContentType::kHandshake, out, t13::kKeyUpdateSize) ||
        !t13::update_secret(r.suite, r.write)) {
      return seal_failed();
    }
    r.key_update_due = false;
    out += update;
  }
  std::size_t at = t13::kHeaderSize;
  for (std::size_t i = 0; i < count && at - t13::kHeaderSize < total; ++i) {
    const std::size_t take = std::min(parts[i].size(), total - (at - t13::kHeaderSize));
    std::memcpy(out + at, parts[i].data(), take);
    at += take;
  }
  if (!t13::seal(r.suite, r.write, t13::ContentType::kApplicationData, out, total)) {
    return seal_failed();
  }
  return total;
}

std::size_t TlsStream::seal_failed() {
  Records& r = *rec_;
  alert_counter(t13::Alert::kInternalError).inc();
  r.write_error = error_for(t13::Alert::kInternalError);
  if (!r.read_error) {
    r.read_error = r.write_error;  // §6.2: nothing more received either
  }
  r.wbuf.reset();
  r.wlen = 0;
  r.woff = 0;
  return 0;
}

void TlsStream::fail_next_key_update_for_test() {
  WIMPU_RELEASE_ASSERT(rec_ != nullptr);
  rec_->key_update_due = true;
  rec_->write.secret_size = 0;  // update_secret() refuses a secret of the wrong size
}

TlsStream::Step TlsStream::records_flush(std::size_t consumed) {
  Records& r = *rec_;
  if (r.wbuf == nullptr) {
    if (r.write_error) {
      return Step{Want::kNothing, r.write_error, 0};
    }
    if (consumed != 0) {
      return Step{Want::kNothing, {}, consumed};
    }
    return Step{Want::kNothing, r.close_sent ? error_code(asio::error::shut_down) : error_code{},
                0};
  }
  while (r.woff < r.wlen) {
    const ssize_t n = ::send(socket_.native_handle(), r.wbuf.get() + r.woff, r.wlen - r.woff,
                             MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        return Step{Want::kWrite, {}, 0};  // the sealed remainder waits in wbuf
      }
      r.write_error = error_code(errno, asio::error::get_system_category());
      r.wbuf.reset();
      return Step{Want::kNothing, r.write_error, 0};
    }
    r.woff += static_cast<std::size_t>(n);
  }
  r.wbuf.reset();
  r.wlen = 0;
  r.woff = 0;
  return Step{Want::kNothing, {}, consumed};
}

TlsStream::Step TlsStream::records_read(void* data, std::size_t size) {
  Records& r = *rec_;
  if (size == 0) {
    return Step{};
  }
  for (;;) {
    if (r.plain_len != 0) {
      const std::size_t n = std::min(size, r.plain_len);
      std::memcpy(data, r.rbuf.get() + r.plain_off, n);
      r.plain_off += n;
      r.plain_len -= n;
      if (r.plain_len == 0 && r.rbeg == r.rend) {
        r.rbuf.reset();  // everything delivered: idle again, hold no buffer
        r.rbeg = r.rend = 0;
      }
      return Step{Want::kNothing, {}, n};
    }
    if (r.read_error) {
      return Step{Want::kNothing, r.read_error, 0};
    }
    if (r.rend > r.rbeg) {
      const t13::Inbound in = t13::next_record(r.suite, r.read, r.rbuf.get() + r.rbeg,
                                               r.rend - r.rbeg);
      using In = t13::Inbound::Kind;
      const std::size_t at = r.rbeg;
      r.rbeg += in.consumed;  // 0 for kNeedMore
      switch (in.kind) {
        case In::kNeedMore:
          break;  // read below
        case In::kData:
          r.plain_off = at + t13::kHeaderSize;
          r.plain_len = in.size;
          continue;
        case In::kIgnored:
          continue;
        case In::kKeyUpdate:
          records_counters().key_update.inc();
          r.key_update_due = r.key_update_due || in.update_requested;
          continue;
        case In::kCloseNotify:
          r.read_error = asio::error::eof;  // as asio::ssl::stream reports close_notify
          continue;
        case In::kPeerAlert:
          records_counters().peer_alert.inc();
          r.read_error = error_for_peer_alert(in.alert);
          r.write_error = r.read_error;
          continue;
        case In::kFatal: {
          const auto alert = static_cast<t13::Alert>(in.alert);
          alert_counter(alert).inc();
          r.read_error = error_for(alert);
          // RFC 8446 §6.2: a fatal alert, then close.
          send_alert_now(kFatal, in.alert);
          r.write_error = r.read_error;
          continue;
        }
      }
    }
    // More bytes are needed. The buffer exists only while a record is in flight.
    if (r.rbuf == nullptr) {
      r.rbuf = std::make_unique_for_overwrite<std::uint8_t[]>(kReadBuffer);
      r.rbeg = 0;
      r.rend = 0;
    } else if (r.rbeg != 0) {
      std::memmove(r.rbuf.get(), r.rbuf.get() + r.rbeg, r.rend - r.rbeg);
      r.rend -= r.rbeg;
      r.rbeg = 0;
    }
    const ssize_t n =
        ::recv(socket_.native_handle(), r.rbuf.get() + r.rend, kReadBuffer - r.rend, 0);
    if (n > 0) {
      r.rend += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (r.rend == 0) {
        r.rbuf.reset();  // idle: nothing buffered (SSL_MODE_RELEASE_BUFFERS' equivalent)
      }
      return Step{Want::kRead, {}, 0};
    }
    r.read_error = n == 0 ? error_code(asio::ssl::error::stream_truncated)  // EOF without close_notify
                          : error_code(errno, asio::error::get_system_category());
    r.rbuf.reset();
    r.rbeg = r.rend = 0;
    return Step{Want::kNothing, r.read_error, 0};
  }
}

TlsStream::Step TlsStream::records_shutdown() {
  Records& r = *rec_;
  if (!r.close_sent) {
    if (r.write_error || r.wbuf != nullptr) {
      return Step{};  // nothing can be sent now; the close_notify is best effort (as before)
    }
    r.close_sent = true;
    r.wlen = std::tuple_size_v<AlertRecord>;
    r.woff = 0;
    r.wbuf = std::make_unique_for_overwrite<std::uint8_t[]>(r.wlen);
    if (!seal_alert(r.suite, r.write, kWarning,
                    static_cast<std::uint8_t>(t13::Alert::kCloseNotify), r.wbuf.get())) {
      r.wbuf.reset();
      return Step{};
    }
  }
  Step st = records_flush(0);
  if (st.want == Want::kNothing && st.ec == asio::error::shut_down) {
    st.ec = {};
  }
  return st;
}

void TlsStream::close_notify_now() {
  if (!socket_.is_open()) {
    return;
  }
  if (ssl_ != nullptr) {
    if (bio_bound_) {
      ERR_clear_error();
      SSL_shutdown(ssl_);  // best effort: one close_notify, not awaited
    }
    return;
  }
  if (rec_ != nullptr &&
      send_alert_now(kWarning, static_cast<std::uint8_t>(t13::Alert::kCloseNotify))) {
    rec_->close_sent = true;
  }
}

bool TlsStream::send_alert_now(std::uint8_t level, std::uint8_t description) {
  Records& r = *rec_;
  if (r.wbuf != nullptr || r.write_error || r.close_sent) {
    return false;
  }
  AlertRecord rec{};
  if (!seal_alert(r.suite, r.write, level, description, rec.data())) {
    return false;
  }
  [[maybe_unused]] const ssize_t n =
      ::send(socket_.native_handle(), rec.data(), rec.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  return true;
}

}  // namespace wimpu::transport::detail
