#pragma once
// TlsStream's private state for the wimpu record layer (tls_stream.hpp), shared by
// tls_stream.cpp and tls_stream_records.cpp.
#include <openssl/crypto.h>

#include <array>
#include <cstddef>
#include <memory>

#include "tls_stream.hpp"

namespace wimpu::transport::detail {

// What the key log and message callbacks saw during the handshake. Gone after it.
struct TlsStream::Capture {
  std::array<std::uint8_t, tls13::kMaxSecret> client{};
  std::array<std::uint8_t, tls13::kMaxSecret> server{};
  std::size_t client_size = 0;
  std::size_t server_size = 0;
  bool bad_line = false;
  bool client_finished_read = false;
  unsigned records_written_after_server_secret = 0;
  unsigned tickets_written = 0;
  unsigned records_read_after_client_finished = 0;

  Capture() = default;
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;
  ~Capture() {
    OPENSSL_cleanse(client.data(), client.size());
    OPENSSL_cleanse(server.data(), server.size());
  }
};

// The record layer's whole per-connection state.
struct TlsStream::Records {
  tls13::Suite suite = tls13::Suite::kAes128GcmSha256;
  tls13::DirectionKeys read;
  tls13::DirectionKeys write;
  std::unique_ptr<std::uint8_t[]> rbuf;  // kReadBuffer bytes, or null while idle
  std::size_t rbeg = 0;                  // unconsumed received bytes: [rbeg, rend)
  std::size_t rend = 0;
  std::size_t plain_off = 0;  // decrypted content not yet delivered
  std::size_t plain_len = 0;
  std::unique_ptr<std::uint8_t[]> wbuf;  // sealed records not yet sent: [woff, wlen)
  std::size_t wlen = 0;
  std::size_t woff = 0;
  bool key_update_due = false;  // the peer asked for our KeyUpdate (§4.6.3)
  bool close_sent = false;
  error_code read_error;   // sticky: the stream's inbound side is over
  error_code write_error;  // sticky: nothing more may be sent

  Records() = default;
  Records(const Records&) = delete;
  Records& operator=(const Records&) = delete;
  ~Records() {
    read.wipe();
    write.wipe();
  }
};

}  // namespace wimpu::transport::detail
