#pragma once
// A UDP SIP endpoint on 127.0.0.1 for the process tests: sends INVITEs and reads what arrives.
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

namespace wimpu::ei_cscf::test {

class UdpUe {
public:
  /// Binds a free loopback port; requests go to 127.0.0.1:`to` (0: nowhere, a receiver only).
  explicit UdpUe(std::uint16_t to) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    to_.sin_family = AF_INET;
    to_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to_.sin_port = htons(to);
  }
  ~UdpUe() { ::close(fd_); }
  UdpUe(const UdpUe&) = delete;
  UdpUe& operator=(const UdpUe&) = delete;

  std::uint16_t port() const { return port_; }

  /// Sends an INVITE to `ruri`; returns the first final status (0 when none within `wait`).
  int invite(const std::string& ruri, int n,
             std::chrono::milliseconds wait = std::chrono::seconds(5)) {
    const std::string branch = "z9hG4bKt" + std::to_string(n);
    const std::string m =
        "INVITE " + ruri + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + std::to_string(port_) +
        ";branch=" + branch + "\r\nMax-Forwards: 70\r\nFrom: <sip:ue@example>;tag=u" +
        std::to_string(n) + "\r\nTo: <" + ruri + ">\r\nCall-ID: c" + std::to_string(n) +
        "@t\r\nCSeq: 1 INVITE\r\nContact: <sip:ue@127.0.0.1:" + std::to_string(port_) +
        ">\r\nContent-Length: 0\r\n\r\n";
    ::sendto(fd_, m.data(), m.size(), 0, reinterpret_cast<const sockaddr*>(&to_), sizeof to_);
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (auto text = receive(deadline)) {
      if (text->size() < 12 || text->rfind("SIP/2.0 ", 0) != 0) {
        continue;
      }
      const int code = std::atoi(text->substr(8, 3).c_str());
      if (code >= 200 && text->find(branch) != std::string::npos) {
        return code;
      }
    }
    return 0;
  }

  /// The next datagram whose start line begins with `prefix`, or nullopt after `wait`.
  std::optional<std::string> expect(const std::string& prefix, std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (auto text = receive(deadline)) {
      if (text->rfind(prefix, 0) == 0) {
        return text;
      }
    }
    return std::nullopt;
  }

private:
  std::optional<std::string> receive(std::chrono::steady_clock::time_point deadline) {
    char buf[8192];
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return std::nullopt;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        continue;
      }
      const auto len = ::recv(fd_, buf, sizeof buf, 0);
      if (len > 0) {
        return std::string(buf, static_cast<std::size_t>(len));
      }
    }
  }

  int fd_;
  std::uint16_t port_ = 0;
  sockaddr_in to_{};
};

}  // namespace wimpu::ei_cscf::test
