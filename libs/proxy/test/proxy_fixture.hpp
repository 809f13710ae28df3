#pragma once
// In-process proxy tests: the real TransactionLayer and Proxy on a fake clock, with fake UAs that
// talk to it through a recording fake transport (libs/transaction/test/fakes.hpp).
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fakes.hpp"
#include "wimpu/proxy/proxy.hpp"
#include "wimpu/sip/builder.hpp"
#include "wimpu/sip/header_values.hpp"
#include "wimpu/transaction/fake_timer_service.hpp"

namespace wimpu::proxy::testing {

using namespace std::chrono_literals;
using transaction::Endpoint;
using transaction::Peer;
using transaction::Protocol;
using transaction::testing::ep;
using transaction::testing::msg;
using transaction::testing::msg_from_wire;
using transaction::testing::stream_peer;
using transaction::testing::udp_peer;

/// Routes by Request-URI user (like the example proxy's static routes), with hooks.
class TestPolicy final : public RequestPolicy {
public:
  Decision on_request(RequestContext& ctx) override {
    seen.push_back(ctx.id());
    if (hook) {
      return hook(ctx);
    }
    if (ctx.request_uri_is_local()) {
      auto uri = sip::parse_uri(ctx.request_uri());
      if (uri) {
        auto it = routes.find(std::string(uri->user));
        if (it != routes.end()) {
          for (const std::string& t : it->second) {
            Target target;
            target.uri = t;
            ctx.add_target(std::move(target));
          }
        }
      }
    }
    return Decision::proceed();
  }
  ResponseVerdict on_response(ResponseContext& ctx) override {
    ++responses_seen;
    return response_hook ? response_hook(ctx) : ResponseVerdict::kContinue;
  }
  void on_context_end(RequestContext& ctx) override { ended.push_back(ctx.id()); }

  std::map<std::string, std::vector<std::string>> routes;
  std::function<Decision(RequestContext&)> hook;
  std::function<ResponseVerdict(ResponseContext&)> response_hook;
  std::vector<ContextId> seen;
  std::vector<ContextId> ended;
  int responses_seen = 0;
};

inline const Peer kCaller = udp_peer("10.0.0.10", 5060);
inline const Peer kBob = udp_peer("10.0.0.20", 5070);
inline const Peer kCarol = udp_peer("10.0.0.21", 5071);

class ProxyTest : public ::testing::Test {
protected:
  ProxyTest() {
    policy.routes["bob"] = {"sip:bob@10.0.0.20:5070"};
    policy.routes["fork"] = {"sip:bob@10.0.0.20:5070", "sip:carol@10.0.0.21:5071"};
  }

  static transaction::TimerConfig timer_config() { return transaction::TimerConfig{}; }

  static ProxyConfig proxy_config() {
    ProxyConfig c;
    c.interfaces.push_back(Interface{Protocol::kUdp, "10.0.0.1", 5060, 0});
    c.interfaces.push_back(Interface{Protocol::kTcp, "10.0.0.1", 5060, 1});
    c.domains.push_back("example.com");
    c.supported_proxy_require.push_back("sec-agree");
    return c;
  }

  static std::string invite(std::string_view ruri = "sip:bob@10.0.0.1:5060",
                            std::string_view extra = {}, std::string_view via_proto = "UDP",
                            std::string_view branch = "z9hG4bKcaller1") {
    return "INVITE " + std::string(ruri) + " SIP/2.0\n" + "Via: SIP/2.0/" +
           std::string(via_proto) + " 10.0.0.10:5060;branch=" + std::string(branch) + "\n" +
           "Max-Forwards: 70\n" + "From: <sip:alice@example.com>;tag=alice1\n" +
           "To: <sip:bob@example.com>\n" + "Call-ID: call1@10.0.0.10\n" + "CSeq: 1 INVITE\n" +
           "Contact: <sip:alice@10.0.0.10:5060>\n" + std::string(extra) +
           "Content-Length: 0\n\n";
  }

  static std::string request(std::string_view method, std::string_view ruri,
                             std::string_view extra = {}, std::string_view branch = "z9hG4bKr1",
                             std::uint32_t cseq = 2, std::string_view to_tag = "bob1") {
    std::string to = "<sip:bob@example.com>";
    if (!to_tag.empty()) {
      to += ";tag=" + std::string(to_tag);
    }
    return std::string(method) + " " + std::string(ruri) + " SIP/2.0\n" +
           "Via: SIP/2.0/UDP 10.0.0.10:5060;branch=" + std::string(branch) + "\n" +
           "Max-Forwards: 70\n" + "From: <sip:alice@example.com>;tag=alice1\n" + "To: " + to +
           "\n" + "Call-ID: call1@10.0.0.10\n" + "CSeq: " + std::to_string(cseq) + " " +
           std::string(method) + "\n" + std::string(extra) + "Content-Length: 0\n\n";
  }

  void deliver(std::string_view text, const Peer& from = kCaller) {
    layer.receive(msg(text), from);
  }

  /// The oldest message the proxy sent to `to` (address and port), removed from the record.
  std::optional<sip::Message> take(const Peer& to) {
    for (auto it = net.sent.begin(); it != net.sent.end(); ++it) {
      if (it->to.remote == to.remote) {
        sip::Message m = it->parsed();
        net.sent.erase(it);
        return m;
      }
    }
    return std::nullopt;
  }

  /// Like take() but fails the test when nothing was sent there.
  sip::Message expect(const Peer& to) {
    auto m = take(to);
    EXPECT_TRUE(m.has_value()) << "nothing sent to " << to.remote.to_string();
    return m ? std::move(*m) : msg("OPTIONS sip:x@y SIP/2.0\nVia: SIP/2.0/UDP x;branch=z9hG4bKx\n"
                                   "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: 1\n"
                                   "CSeq: 1 OPTIONS\nContent-Length: 0\n\n");
  }

  /// Number of messages sent to `to` and still recorded.
  std::size_t count_to(const Peer& to) const {
    std::size_t n = 0;
    for (const auto& s : net.sent) {
      n += s.to.remote == to.remote ? 1 : 0;
    }
    return n;
  }

  /// A UAS answers `request` (as it received it) with `status`.
  void answer(const sip::Message& req, int status, const Peer& uas, std::string_view to_tag,
              std::vector<std::pair<std::string, std::string>> headers = {}) {
    sip::ResponseBuilder b(req, status);
    if (status > 100) {
      b.to_tag(to_tag);
    }
    if (status > 100 && status < 300) {
      // §12.1.1: a UAS copies the Record-Route into dialog-establishing responses.
      for (const auto& h : req.headers()) {
        if (h.id == sip::HeaderId::kRecordRoute) {
          b.header("Record-Route", h.value);
        }
      }
    }
    for (const auto& [n, v] : headers) {
      b.header(n, v);
    }
    layer.receive(msg_from_wire(b.build()), uas);
  }

  /// The caller's INVITE forwarded to bob, with the 100 to the caller checked and dropped.
  sip::Message invite_to(const Peer& uas, std::string_view ruri = "sip:bob@10.0.0.1:5060") {
    deliver(invite(ruri));
    auto trying = take(kCaller);
    EXPECT_TRUE(trying && trying->status_code() == 100);
    return expect(uas);
  }

  static std::vector<std::string_view> header_values(const sip::Message& m, sip::HeaderId id) {
    std::vector<std::string_view> v;
    for (const auto& h : m.headers()) {
      if (h.id == id) {
        v.push_back(h.value);
      }
    }
    return v;
  }

  common::FakeClock clock;
  transaction::FakeTimerService timers{clock};
  transaction::testing::FakeSender net;
  TestPolicy policy;
  transaction::TransactionLayer layer{0, timer_config(), net, timers};
  Proxy proxy{layer, policy, proxy_config()};
};

}  // namespace wimpu::proxy::testing
