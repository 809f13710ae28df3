// The null registrar peer (see the header): plain Asio, one thread, our own framing.
#include "wimpu/loadgen/null_registrar.hpp"

#include <openssl/evp.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <cstring>

#include "wimpu/loadgen/ws_frame.hpp"

namespace wimpu::loadgen {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool name_is(std::string_view name, std::string_view a, std::string_view b = {}) {
  auto eq = [&](std::string_view x) {
    return !x.empty() && name.size() == x.size() &&
           std::equal(name.begin(), name.end(), x.begin(), [](char p, char q) { return lower(p) == q; });
  };
  return eq(a) || eq(b);
}

std::string ws_accept(std::string_view key) {
  std::string text(key);
  text += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455 §1.3
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), md.data(), &n, EVP_sha1(), nullptr);
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  out.resize(static_cast<std::size_t>(
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), md.data(), static_cast<int>(n))));
  return out;
}

// Appends an unmasked server frame (RFC 6455 §5.1).
void append_server_frame(std::string& out, WsOpcode op, std::string_view payload) {
  out.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(op)));
  const std::size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    for (int b = 0; b < 8; ++b) {
      out.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> (56 - 8 * b)) & 0xFF));
    }
  }
  out.append(payload);
}

}  // namespace

struct NullRegistrar::Impl {
  NullRegistrarOptions options;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::atomic<bool> stopped{false};
  mutable std::mutex mu;
  NullRegistrarCounts counts;  // under mu (updated once per read)
  std::string scratch;         // the 200 being built
  std::uint64_t pending_writes = 0;  // write_per_answer writes not yet in counts

  struct Session : std::enable_shared_from_this<Session> {
    Impl& owner;
    tcp::socket sock;
    std::vector<char> rbuf = std::vector<char>(65536);
    std::size_t rend = 0;
    bool upgraded = false;
    std::string wbuf;
    std::string wfly;
    bool writing = false;
    bool closing = false;

    Session(Impl& o, tcp::socket s) : owner(o), sock(std::move(s)) {}

    void read() {
      if (rend == rbuf.size()) {
        rbuf.resize(rbuf.size() * 2);
      }
      sock.async_read_some(asio::buffer(rbuf.data() + rend, rbuf.size() - rend),
                           [self = shared_from_this()](error_code ec, std::size_t n) {
                             self->on_read(ec, n);
                           });
    }

    void on_read(error_code ec, std::size_t n) {
      if (ec) {
        return;  // the socket dies with the last reference
      }
      rend += n;
      std::size_t used = 0;
      NullRegistrarCounts delta;
      if (!upgraded) {
        const std::string_view text(rbuf.data(), rend);
        const std::size_t end = text.find("\r\n\r\n");
        if (end == std::string_view::npos) {
          return read();
        }
        std::string_view key;
        for (std::size_t pos = text.find("\r\n") + 2; pos < end;) {
          const std::size_t eol = text.find("\r\n", pos);
          const std::string_view line = text.substr(pos, eol - pos);
          pos = eol + 2;
          const std::size_t colon = line.find(':');
          if (colon != std::string_view::npos && name_is(line.substr(0, colon), "sec-websocket-key")) {
            key = line.substr(colon + 1);
            while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
          }
        }
        wbuf.append("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: ");
        wbuf.append(ws_accept(key)).append("\r\nSec-WebSocket-Protocol: sip\r\n\r\n");
        upgraded = true;
        used = end + 4;
      } else {
        ++delta.reads;
      }
      while (!closing) {
        WsFrame f;
        char* at = rbuf.data() + used;
        const std::size_t avail = rend - used;
        // The masking key as sent (before the decoder unmasks in place).
        std::uint32_t key = 0;
        if (avail >= 2 && (static_cast<std::uint8_t>(at[1]) & 0x80) != 0) {
          const std::uint8_t len7 = static_cast<std::uint8_t>(at[1]) & 0x7F;
          const std::size_t k = len7 < 126 ? 2 : (len7 == 126 ? 4 : 10);
          if (avail >= k + 4) {
            for (std::size_t b = 0; b < 4; ++b) key = (key << 8) | static_cast<std::uint8_t>(at[k + b]);
          }
        }
        const WsDecode d = ws_decode_frame(at, avail, 1 << 20, f);
        if (d == WsDecode::kNeedMore) {
          break;
        }
        if (d == WsDecode::kTooLarge) {
          ++delta.bad;
          closing = true;
          break;
        }
        used += f.size;
        if (!f.masked) {
          ++delta.unmasked;
        } else if (owner.options.record_mask_keys) {
          delta.mask_keys.push_back(key);
        }
        if (f.opcode == WsOpcode::kClose) {
          append_server_frame(wbuf, WsOpcode::kClose, f.payload.substr(0, std::min<std::size_t>(2, f.payload.size())));
          closing = true;
          break;
        }
        if (f.opcode == WsOpcode::kPing) {
          append_server_frame(wbuf, WsOpcode::kPong, f.payload);
          continue;
        }
        if (f.opcode != WsOpcode::kText && f.opcode != WsOpcode::kBinary) {
          continue;
        }
        ++delta.frames_in;
        if (answer(f.payload)) {
          ++delta.registers;
        } else {
          ++delta.bad;
        }
      }
      std::memmove(rbuf.data(), rbuf.data() + used, rend - used);
      rend -= used;
      if (!wbuf.empty() && !writing) {
        ++delta.writes;
      }
      delta.writes += owner.pending_writes;
      owner.pending_writes = 0;
      owner.add(delta);
      flush();
      if (!closing) {
        read();
      }
    }

    // The 200 to one REGISTER (RFC 3261 §8.2.6.2: Via, From, To with a tag, Call-ID, CSeq).
    bool answer(std::string_view req) {
      if (!req.starts_with("REGISTER ")) {
        return false;
      }
      std::string& r = owner.scratch;
      r.assign("SIP/2.0 200 OK\r\n");
      std::size_t pos = req.find("\r\n");
      while (pos != std::string_view::npos && pos + 2 < req.size()) {
        pos += 2;
        const std::size_t eol = req.find("\r\n", pos);
        if (eol == std::string_view::npos || eol == pos) {
          break;
        }
        const std::string_view line = req.substr(pos, eol - pos);
        const std::size_t colon = line.find(':');
        const std::string_view name = line.substr(0, colon);
        if (name_is(name, "via", "v") || name_is(name, "from", "f") || name_is(name, "call-id", "i") ||
            name_is(name, "cseq") || name_is(name, "contact", "m")) {
          r.append(line).append("\r\n");
        } else if (name_is(name, "to", "t")) {
          r.append(line);
          if (line.find(";tag=") == std::string_view::npos) {
            r.append(";tag=nr1");
          }
          r.append("\r\n");
        }
        pos = eol;
      }
      r.append("Content-Length: 0\r\n\r\n");
      if (owner.options.mangle) {
        owner.options.mangle(r);
      }
      append_server_frame(wbuf, WsOpcode::kText, r);
      if (owner.options.write_per_answer && !writing) {
        // One blocking write per answer (the socket has room: the answers are small).
        error_code ec;
        asio::write(sock, asio::buffer(wbuf), ec);
        wbuf.clear();
        ++owner.pending_writes;
      }
      return true;
    }

    void flush() {
      if (writing || wbuf.empty()) {
        return;
      }
      wfly.swap(wbuf);
      wbuf.clear();
      writing = true;
      asio::async_write(sock, asio::buffer(wfly), [self = shared_from_this()](error_code ec, std::size_t) {
        self->writing = false;
        self->wfly.clear();
        if (ec) {
          return;
        }
        if (self->closing && self->wbuf.empty()) {
          error_code ignored;
          self->sock.shutdown(tcp::socket::shutdown_both, ignored);
          return;
        }
        self->flush();
      });
    }
  };

  void add(NullRegistrarCounts& d) {
    std::lock_guard lock(mu);
    counts.registers += d.registers;
    counts.frames_in += d.frames_in;
    counts.reads += d.reads;
    counts.writes += d.writes;
    counts.unmasked += d.unmasked;
    counts.bad += d.bad;
    counts.mask_keys.insert(counts.mask_keys.end(), d.mask_keys.begin(), d.mask_keys.end());
  }

  void accept() {
    acceptor.async_accept([this](error_code ec, tcp::socket s) {
      if (ec) {
        return;
      }
      error_code ignored;
      s.set_option(tcp::no_delay(true), ignored);
      {
        std::lock_guard lock(mu);
        ++counts.connections;
      }
      std::make_shared<Session>(*this, std::move(s))->read();
      accept();
    });
  }
};

NullRegistrar::NullRegistrar(NullRegistrarOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), impl_->options.port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  impl_->accept();
}

NullRegistrar::~NullRegistrar() { stop(); }

std::uint16_t NullRegistrar::port() const noexcept {
  error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

std::string NullRegistrar::url() const { return "ws://127.0.0.1:" + std::to_string(port()) + "/"; }

void NullRegistrar::start() {
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

void NullRegistrar::run() { impl_->io.run(); }

void NullRegistrar::stop() {
  if (impl_->stopped.exchange(true)) {
    return;
  }
  impl_->io.stop();
  if (impl_->thread.joinable()) {
    impl_->thread.join();
  }
}

NullRegistrarCounts NullRegistrar::counts() const {
  std::lock_guard lock(impl_->mu);
  return impl_->counts;
}

}  // namespace wimpu::loadgen
