#include "sip_responder.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <deque>
#include <stdexcept>

#include "wimpu/http/self_signed.hpp"
#include "wimpu/sip/header_values.hpp"
#include "wimpu/sip/message.hpp"
#include "wimpu/sip/params.hpp"

namespace wimpu::loadgen::test {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// ---- an independent digest check (not the tool's code): RFC 2617 with MD5, auth_ephemeral ----

std::string hex_md5(const std::string& s) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), out, &n, EVP_md5(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string h;
  for (unsigned i = 0; i < n; ++i) {
    h.push_back(kHex[out[i] >> 4]);
    h.push_back(kHex[out[i] & 15]);
  }
  return h;
}

std::string hmac_sha1_base64(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &n);
  std::string out(64, '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac,
                                  static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

std::string unq(std::string_view v) { return std::string(sip::strip_quotes(v)); }

bool digest_valid(const sip::AuthValue& a, const ResponderOptions& o, const std::string& nonce,
                  std::string_view method) {
  const std::string username = unq(a.param("username"));
  const std::size_t colon = username.find(':');
  if (colon == std::string::npos) {
    return false;
  }
  const long long expiry = std::stoll(username.substr(0, colon));
  if (expiry < std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count()) {
    return false;
  }
  if (unq(a.param("nonce")) != nonce || unq(a.param("realm")) != o.realm) {
    return false;
  }
  const std::string password = hmac_sha1_base64(o.secret, username);
  const std::string ha1 = hex_md5(username + ":" + o.realm + ":" + password);
  const std::string ha2 = hex_md5(std::string(method) + ":" + unq(a.param("uri")));
  const std::string expected = hex_md5(ha1 + ":" + nonce + ":" + unq(a.param("nc")) + ":" +
                                       unq(a.param("cnonce")) + ":auth:" + ha2);
  return unq(a.param("qop")) == "auth" && unq(a.param("response")) == expected;
}

std::string copy_header_lines(const sip::Message& m, sip::HeaderId id, std::string_view name) {
  std::string out;
  for (const auto& h : m.headers()) {
    if (h.id == id) {
      out.append(name).append(": ").append(h.value).append("\r\n");
    }
  }
  return out;
}

std::string response_to(const sip::Message& req, int status, std::string_view reason,
                        const std::string& extra, std::string_view to_tag = "srvtag1") {
  std::string out = "SIP/2.0 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  out += copy_header_lines(req, sip::HeaderId::kVia, "Via");
  out += "From: " + std::string(req.header_value(sip::HeaderId::kFrom)) + "\r\n";
  out += "To: " + std::string(req.header_value(sip::HeaderId::kTo));
  if (req.to_tag().empty() && !to_tag.empty()) {
    out += ";tag=" + std::string(to_tag);
  }
  out += "\r\nCall-ID: " + std::string(req.call_id()) + "\r\n";
  out += "CSeq: " + std::string(req.header_value(sip::HeaderId::kCSeq)) + "\r\n";
  out += extra;
  out += "Content-Length: 0\r\n\r\n";
  return out;
}

constexpr std::string_view kOffer =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\n";

template <class NextLayer>
class Session : public std::enable_shared_from_this<Session<NextLayer>> {
public:
  Session(SipResponder& r, websocket::stream<NextLayer> ws) : r_(r), ws_(std::move(ws)) {}

  void start() {
    if constexpr (!std::is_same_v<NextLayer, tcp::socket>) {
      ws_.next_layer().async_handshake(ssl::stream_base::server,
                                       [self = this->shared_from_this()](error_code ec) {
                                         if (!ec) {
                                           self->read_upgrade();
                                         }
                                       });
    } else {
      read_upgrade();
    }
  }

private:
  void read_upgrade() {
    http::async_read(ws_.next_layer(), buf_, req_,
                     [self = this->shared_from_this()](error_code ec, std::size_t) {
                       if (!ec) {
                         self->on_upgrade_request();
                       }
                     });
  }

  void on_upgrade_request() {
    const std::string origin(req_[http::field::origin]);
    const std::string proto(req_[http::field::sec_websocket_protocol]);
    const ResponderOptions& o = r_.options();
    r_.update([&](ResponderCounts& c) {
      c.last_origin = origin;
      c.last_subprotocol = proto;
    });
    if (!websocket::is_upgrade(req_) || proto != "sip" ||
        (!o.required_origin.empty() && origin != o.required_origin)) {
      // RFC 7118 App. A.1 / RFC 6455 §4.2.2: refuse with an HTTP error before any SIP.
      r_.update([](ResponderCounts& c) { ++c.handshakes_refused; });
      auto res = std::make_shared<http::response<http::string_body>>(http::status::forbidden,
                                                                       req_.version());
      res->set(http::field::content_type, "text/plain");
      res->body() = "forbidden\n";
      res->keep_alive(false);
      res->prepare_payload();
      http::async_write(ws_.next_layer(), *res,
                        [self = this->shared_from_this(), res](error_code, std::size_t) {
                          error_code ignored;
                          beast::get_lowest_layer(self->ws_).close(ignored);
                        });
      return;
    }
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::sec_websocket_protocol, "sip"); }));
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::pong) {
        r_.update([](ResponderCounts& c) { ++c.pongs; });
      }
    });
    ws_.async_accept(req_, [self = this->shared_from_this()](error_code ec) {
      if (!ec) {
        self->r_.update([](ResponderCounts& c) { ++c.connections; });
        self->read();
      }
    });
  }

  void read() {
    ws_.async_read(rbuf_, [self = this->shared_from_this()](error_code ec, std::size_t) {
      if (ec) {
        return;
      }
      const bool text = self->ws_.got_text();
      std::string data = beast::buffers_to_string(self->rbuf_.data());
      self->rbuf_.consume(self->rbuf_.size());
      self->on_message(data, text);
      self->read();
    });
  }

  void send(std::string m) {
    outq_.push_back(std::move(m));
    if (outq_.size() == 1) {
      write_next();
    }
  }

  void write_next() {
    ws_.text(true);
    ws_.async_write(asio::buffer(outq_.front()),
                    [self = this->shared_from_this()](error_code ec, std::size_t) {
                      if (ec) {
                        return;
                      }
                      self->outq_.pop_front();
                      if (!self->outq_.empty()) {
                        self->write_next();
                      }
                    });
  }

  void on_message(const std::string& data, bool text) {
    auto parsed = sip::Message::parse(data, sip::ParseOptions::websocket());
    if (!parsed) {
      r_.update([](ResponderCounts& c) { ++c.parse_errors; });
      return;
    }
    const sip::Message& m = *parsed;
    if (m.is_request() && m.method() == sip::Method::kRegister) {
      on_register(m, data, text);
    } else if (m.is_response()) {
      on_response(m, data);
    }
  }

  void on_register(const sip::Message& m, const std::string& raw, bool text) {
    const ResponderOptions& o = r_.options();
    std::string token;
    if (auto b = sip::bearer_token(m); b && b->has_value()) {
      token = std::string(**b);
    }
    r_.update([&](ResponderCounts& c) {
      if (++c.registers == 1) {
        c.tcp_accepted_at_first_register = c.tcp_accepted;
      }
      ++(text ? c.text_frames : c.binary_frames);
      c.last_register = raw;
      if (!token.empty()) {
        ++c.bearer_tokens[token];
      }
    });
    if (o.silent) {
      return;
    }
    bool reject = false;
    r_.update([&](ResponderCounts& c) { reject = c.registers <= o.reject_first; });
    if (reject) {
      send(response_to(m, 403, "Forbidden", ""));
      return;
    }
    if (o.digest) {
      auto values = sip::auth_values(m, sip::HeaderId::kAuthorization);
      const sip::AuthValue* digest = nullptr;
      if (values) {
        for (const auto& v : *values) {
          if (v.scheme == "Digest") {
            digest = &v;
          }
        }
      }
      if (digest == nullptr) {
        nonce_ = "n" + std::to_string(++nonces_);
        r_.update([](ResponderCounts& c) { ++c.challenges_sent; });
        send(response_to(m, 401, "Unauthorized",
                         "WWW-Authenticate: Digest realm=\"" + o.realm + "\", nonce=\"" +
                             nonce_ + "\", qop=\"auth\", algorithm=MD5\r\n"));
        return;
      }
      if (!digest_valid(*digest, o, nonce_, "REGISTER")) {
        r_.update([](ResponderCounts& c) { ++c.digest_bad; });
        send(response_to(m, 403, "Forbidden", ""));
        return;
      }
      r_.update([](ResponderCounts& c) { ++c.digest_ok; });
    }
    // RFC 3261 §10.3 step 8: the 200 lists the binding with its expiry.
    std::string contact;
    if (!m.contacts().empty()) {
      contact_uri_ = std::string(m.contacts()[0].uri.text);
      if (o.grant_expires > 0) {
        contact = "Contact: <" + contact_uri_ + ">;+sip.instance=\"" +
                  std::string(sip::contact_instance(m.contacts()[0])) + "\";reg-id=1;expires=" +
                  std::to_string(o.grant_expires) + "\r\n";
      } else {
        contact = "Contact: " + std::string(m.header_value(sip::HeaderId::kContact)) + "\r\n";
      }
    }
    send(response_to(m, 200, "OK",
                     contact + "P-Associated-URI: <sip:+15550001@ims.test>\r\n"));
    r_.update([](ResponderCounts& c) { ++c.ok_sent; });
    if (o.ping_after_register) {
      ws_.async_ping({}, [self = this->shared_from_this()](error_code) {});
    }
    if (o.place_call && !call_placed_) {
      call_placed_ = true;
      send_invite();
    }
  }

  std::string dialog_headers(std::string_view method, int cseq, std::string_view branch,
                             bool with_to_tag) {
    std::string s = "Via: SIP/2.0/WSS responder.invalid;branch=" + std::string(branch) + "\r\n";
    s += "Max-Forwards: 70\r\n";
    s += "From: <sip:caller@ims.test>;tag=caller1\r\n";
    s += "To: <sip:+15550001@ims.test>";
    if (with_to_tag) {
      s += ";tag=" + to_tag_;
    }
    s += "\r\nCall-ID: call-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)) + "\r\n";
    s += "CSeq: " + std::to_string(cseq) + " " + std::string(method) + "\r\n";
    return s;
  }

  void send_invite() {
    std::string m = "INVITE " + contact_uri_ + " SIP/2.0\r\n";
    m += dialog_headers("INVITE", 1, "z9hG4bKinvite1", false);
    m += "Record-Route: <sip:responder.test;lr>\r\n";
    m += "Contact: <sip:caller@responder.invalid;transport=ws>\r\n";
    m += "Content-Type: application/sdp\r\n";
    m += "Content-Length: " + std::to_string(kOffer.size()) + "\r\n\r\n";
    m += kOffer;
    send(m);
  }

  void on_response(const sip::Message& m, const std::string& raw) {
    const int status = m.status_code();
    const sip::Method method = m.cseq().method;
    if (method == sip::Method::kInvite && status == 180) {
      to_tag_ = std::string(m.to_tag());
      r_.update([](ResponderCounts& c) { ++c.got_180; });
      if (r_.options().cancel_call) {
        // RFC 3261 §9.1: same branch, Call-ID, From, To (no tag) and CSeq number as the INVITE.
        std::string cancel = "CANCEL " + contact_uri_ + " SIP/2.0\r\n";
        cancel += dialog_headers("CANCEL", 1, "z9hG4bKinvite1", false);
        cancel += "Content-Length: 0\r\n\r\n";
        send(cancel);
      }
    } else if (method == sip::Method::kInvite && status == 200) {
      to_tag_ = std::string(m.to_tag());
      const bool sdp = m.header_value(sip::HeaderId::kContentType) == "application/sdp" &&
                       !m.body().empty();
      r_.update([&](ResponderCounts& c) {
        if (sdp) {
          ++c.got_200_invite_with_sdp;
        }
        c.last_invite_response = raw;
      });
      std::string target = contact_uri_;
      if (!m.contacts().empty()) {
        target = std::string(m.contacts()[0].uri.text);
      }
      std::string ack = "ACK " + target + " SIP/2.0\r\n";
      ack += dialog_headers("ACK", 1, "z9hG4bKack1", true);
      ack += "Content-Length: 0\r\n\r\n";
      send(ack);
      std::string bye = "BYE " + target + " SIP/2.0\r\n";
      bye += dialog_headers("BYE", 2, "z9hG4bKbye1", true);
      bye += "Content-Length: 0\r\n\r\n";
      send(bye);
    } else if (method == sip::Method::kBye && status == 200) {
      r_.update([](ResponderCounts& c) {
        ++c.got_200_bye;
        ++c.calls_done;
      });
    } else if (method == sip::Method::kCancel && status == 200) {
      r_.update([](ResponderCounts& c) { ++c.got_200_cancel; });
    } else if (method == sip::Method::kInvite && status == 487) {
      to_tag_ = std::string(m.to_tag());
      // RFC 3261 §17.1.1.3: ACK for a non-2xx reuses the INVITE's branch.
      std::string ack = "ACK " + contact_uri_ + " SIP/2.0\r\n";
      ack += dialog_headers("ACK", 1, "z9hG4bKinvite1", true);
      ack += "Content-Length: 0\r\n\r\n";
      send(ack);
      r_.update([](ResponderCounts& c) {
        ++c.got_487;
        ++c.calls_done;
      });
    }
  }

  SipResponder& r_;
  websocket::stream<NextLayer> ws_;
  beast::flat_buffer buf_;
  http::request<http::string_body> req_;
  beast::flat_buffer rbuf_;
  std::deque<std::string> outq_;
  std::string nonce_;
  std::uint64_t nonces_ = 0;
  std::string contact_uri_;
  std::string to_tag_;
  bool call_placed_ = false;
};

}  // namespace

SipResponder::SipResponder(ResponderOptions options)
    : options_(std::move(options)), acceptor_(io_) {
  if (options_.tls) {
    // For 127.0.0.1 only: the load tool connects by address and trusts this certificate.
    wimpu::http::SelfSignedOptions cert_options;
    cert_options.hosts = {"127.0.0.1"};
    auto pem = wimpu::http::make_self_signed_certificate(cert_options);
    if (!pem) {
      throw std::runtime_error("SipResponder: " + pem.error());
    }
    cert_pem_ = pem->certificate;
    tls_ = std::make_unique<ssl::context>(ssl::context::tls_server);
    tls_->use_certificate_chain(asio::buffer(pem->certificate));
    tls_->use_private_key(asio::buffer(pem->private_key), ssl::context::pem);
  }
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  do_accept();
  thread_ = std::thread([this] { io_.run(); });
}

SipResponder::~SipResponder() {
  asio::post(io_, [this] {
    error_code ignored;
    acceptor_.close(ignored);
    io_.stop();
  });
  thread_.join();
}

std::string SipResponder::url() const {
  return std::string(options_.tls ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(port_) +
         "/sip";
}

void SipResponder::do_accept() {
  acceptor_.async_accept([this](error_code ec, tcp::socket sock) {
    if (ec) {
      return;
    }
    update([](ResponderCounts& c) { ++c.tcp_accepted; });
    if (tls_) {
      auto s = std::make_shared<Session<ssl::stream<tcp::socket>>>(
          *this, websocket::stream<ssl::stream<tcp::socket>>(std::move(sock), *tls_));
      s->start();
    } else {
      auto s = std::make_shared<Session<tcp::socket>>(
          *this, websocket::stream<tcp::socket>(std::move(sock)));
      s->start();
    }
    do_accept();
  });
}

ResponderCounts SipResponder::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

void SipResponder::on_change(std::function<void(const ResponderCounts&)> fn) {
  std::lock_guard lock(mu_);
  on_change_ = std::move(fn);
}

bool SipResponder::wait_for(const std::function<bool(const ResponderCounts&)>& pred,
                            std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return pred(counts_); });
}

}  // namespace wimpu::loadgen::test
