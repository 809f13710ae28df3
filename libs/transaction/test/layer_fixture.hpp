#pragma once
#include <gtest/gtest.h>

#include <string>

#include "fakes.hpp"
#include "wimpu/sip/builder.hpp"
#include "wimpu/transaction/fake_timer_service.hpp"
#include "wimpu/transaction/transaction_layer.hpp"

namespace wimpu::transaction::testing {

using namespace std::chrono_literals;

/// A TransactionLayer on shard 3 with a fake clock, a recording sender and a recording TU.
class LayerTest : public ::testing::Test {
protected:
  LayerTest() { layer.set_user(tu); }

  std::string new_branch() {
    std::string b;
    layer.append_branch(b);
    return b;
  }

  static std::string request_bytes(std::string_view method, const std::string& branch,
                                   std::string_view via_proto = "UDP",
                                   std::string_view to_tag = {}) {
    std::string to = "<sip:bob@b.example>";
    if (!to_tag.empty()) {
      to += ";tag=" + std::string(to_tag);
    }
    return wire(std::string(method) + " sip:bob@192.0.2.20 SIP/2.0\n" +
                "Via: SIP/2.0/" + std::string(via_proto) + " 192.0.2.1:5060;branch=" + branch +
                "\n" + "Max-Forwards: 70\n" + "From: <sip:alice@a.example>;tag=a1\n" +
                "To: " + to + "\n" + "Call-ID: c1@a.example\n" + "CSeq: 1 " +
                std::string(method) + "\n" + "Content-Length: 0\n\n");
  }

  /// A response to `request` as the next hop would send it.
  static sip::Message response_to(const sip::Message& request, int status,
                                  std::string_view to_tag = "b1") {
    sip::ResponseBuilder b(request, status);
    if (status > 100) {
      b.to_tag(to_tag);
    }
    return msg_from_wire(b.build());
  }

  common::FakeClock clock;
  FakeTimerService timers{clock};
  FakeSender sender;
  RecordingUser tu;
  TimerConfig config;
  TransactionLayer layer{3, config, sender, timers};
};

}  // namespace wimpu::transaction::testing
