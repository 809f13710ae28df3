#pragma once
// Test doubles for the transaction layer's seams: a Sender that records what would go on the wire,
// a TransactionUser that records every callback, and message templates. Shared with libs/proxy's
// tests.
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "wimpu/sip/message.hpp"
#include "wimpu/transaction/sender.hpp"
#include "wimpu/transaction/transaction_user.hpp"

namespace wimpu::transaction::testing {

inline Endpoint ep(const char* addr, std::uint16_t port) {
  return Endpoint{boost::asio::ip::make_address(addr), port};
}

inline Peer udp_peer(const char* addr, std::uint16_t port) {
  Peer p;
  p.protocol = Protocol::kUdp;
  p.remote = ep(addr, port);
  p.listener = 0;
  return p;
}

inline Peer stream_peer(Protocol proto, const char* addr, std::uint16_t port,
                        std::uint32_t flow_slot) {
  Peer p;
  p.protocol = proto;
  p.remote = ep(addr, port);
  p.flow = FlowId{0, flow_slot, 1};
  p.listener = 1;
  return p;
}

/// Records every send; can be told to fail.
class FakeSender final : public Sender {
public:
  struct Sent {
    Peer to;
    std::string bytes;
    sip::Message parsed() const;
  };

  Expected<FlowId, SendError> send(const Peer& to, std::string bytes) override {
    if (fail_next_ > 0) {
      --fail_next_;
      return fail_with_;
    }
    if (dead_flow_ && to.flow == *dead_flow_) {
      return SendError::kFlowDead;
    }
    sent.push_back(Sent{to, std::move(bytes)});
    if (to.flow.valid()) {
      return to.flow;
    }
    if (to.protocol != Protocol::kUdp) {
      return FlowId{0, 1000 + next_flow_++, 1};  // a new outgoing connection
    }
    return FlowId{};
  }

  // As the transport's sender does: a dead flow is refused before the bytes are taken.
  Expected<FlowId, SendError> send_or_keep(const Peer& to, std::string& bytes) override {
    ++send_or_keep_calls;
    if (fail_next_ == 0 && dead_flow_ && to.flow == *dead_flow_) {
      return SendError::kFlowDead;
    }
    return send(to, std::move(bytes));
  }

  void fail_next(int n, SendError e = SendError::kUnreachable) {
    fail_next_ = n;
    fail_with_ = e;
  }
  void kill_flow(FlowId f) { dead_flow_ = f; }

  /// Removes and returns the oldest recorded send.
  Sent pop() {
    Sent s = std::move(sent.front());
    sent.pop_front();
    return s;
  }

  std::deque<Sent> sent;
  int send_or_keep_calls = 0;

private:
  int fail_next_ = 0;
  SendError fail_with_ = SendError::kUnreachable;
  std::optional<FlowId> dead_flow_;
  std::uint32_t next_flow_ = 0;
};

/// Parses wire bytes or throws (test helper; Expected::value() needs an ADL thrower that
/// libs/sip does not provide for ParseError).
inline sip::Message msg_from_wire(std::string_view bytes) {
  auto r = sip::Message::parse(bytes);
  if (!r) {
    throw std::runtime_error("message does not parse: " + std::string(bytes));
  }
  return std::move(*r);
}

inline sip::Message FakeSender::Sent::parsed() const { return msg_from_wire(bytes); }

/// Records every TransactionUser callback.
class RecordingUser final : public TransactionUser {
public:
  struct Request {
    ServerTxId tx;
    sip::Message msg;
    Peer from;
  };
  struct Cancel {
    ServerTxId cancel_tx;
    ServerTxId invite_tx;
    sip::Message msg;
  };
  struct Ack {
    sip::Message msg;
    ServerTxId invite_tx;
  };
  struct Response {
    ClientTxInfo tx;
    sip::Message msg;
  };
  struct Failure {
    ClientTxInfo tx;
    ClientFailure why;
  };

  void on_request(ServerTxId tx, sip::Message&& m, const Peer& from) override {
    requests.push_back(Request{tx, std::move(m), from});
  }
  void on_cancel(ServerTxId c, ServerTxId i, sip::Message&& m, const Peer&) override {
    cancels.push_back(Cancel{c, i, std::move(m)});
  }
  void on_ack(sip::Message&& m, const Peer&, ServerTxId i) override {
    acks.push_back(Ack{std::move(m), i});
  }
  void on_response(const ClientTxInfo& tx, sip::Message&& m) override {
    responses.push_back(Response{tx, std::move(m)});
  }
  void on_client_failure(const ClientTxInfo& tx, ClientFailure why) override {
    failures.push_back(Failure{tx, why});
  }
  void on_server_failure(ServerTxId tx, ServerFailure why) override {
    server_failures.emplace_back(tx, why);
  }

  std::vector<Request> requests;
  std::vector<Cancel> cancels;
  std::vector<Ack> acks;
  std::vector<Response> responses;
  std::vector<Failure> failures;
  std::vector<std::pair<ServerTxId, ServerFailure>> server_failures;
};

/// Converts "\n" to CRLF (already-CRLF text is unchanged).
inline std::string wire(std::string_view text) {
  std::string crlf;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) {
      crlf += "\r\n";
    } else {
      crlf.push_back(text[i]);
    }
  }
  return crlf;
}

/// Parses `text` written with "\n" or CRLF line ends, or throws.
inline sip::Message msg(std::string_view text) { return msg_from_wire(wire(text)); }

}  // namespace wimpu::transaction::testing
