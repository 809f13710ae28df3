#pragma once
// A SIP UE on a UDP socket for the wimpud tests: sends an INVITE and returns the first final
// status for its branch (0 when none within the step bound; never a sleep).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <chrono>
#include <functional>
#include <string>

#include "wimpu/sip/message.hpp"

namespace wimpu::wimpud::test {

namespace asio = boost::asio;

/// LF -> CRLF.
inline std::string to_crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    out += c == '\n' ? std::string("\r\n") : std::string(1, c);
  }
  return out;
}

/// A SIP UE on a UDP socket bound to 127.0.0.1 (any port), talking to 127.0.0.1:`to`.
class UdpUe {
public:
  explicit UdpUe(std::uint16_t to)
      : socket_(io_, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        to_(asio::ip::make_address("127.0.0.1"), to) {}

  /// Sends an INVITE to `ruri` (branch and Call-ID from `n`); the first final status, or 0.
  int invite(const std::string& ruri, int n) {
    const std::string branch = "z9hG4bKue" + std::to_string(n);
    const std::string port = std::to_string(socket_.local_endpoint().port());
    const std::string m = to_crlf(
        "INVITE " + ruri + " SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:" + port + ";branch=" + branch +
        ";rport\nMax-Forwards: 70\nFrom: <sip:ue@ims.example>;tag=u" + std::to_string(n) +
        "\nTo: <" + ruri + ">\nCall-ID: ue" + std::to_string(n) +
        "@test\nCSeq: 1 INVITE\nContact: <sip:ue@127.0.0.1:" + port + ">\nContent-Length: 0\n\n");
    socket_.send_to(asio::buffer(m), to_);
    int final_status = 0;
    char buf[4096];
    std::function<void()> read = [&] {
      socket_.async_receive(asio::buffer(buf), [&](boost::system::error_code ec, std::size_t len) {
        if (ec) {
          return;
        }
        auto msg = sip::Message::parse(std::string_view(buf, len));
        if (msg && msg->status_code() >= 200 && std::string_view(buf, len).find(branch) !=
                                                    std::string_view::npos) {
          final_status = msg->status_code();
          io_.stop();
          return;
        }
        read();
      });
    };
    read();
    io_.restart();
    io_.run_for(std::chrono::seconds(10));
    socket_.cancel();
    io_.restart();
    io_.poll();
    return final_status;
  }

private:
  asio::io_context io_;
  asio::ip::udp::socket socket_;
  asio::ip::udp::endpoint to_;
};

}  // namespace wimpu::wimpud::test
