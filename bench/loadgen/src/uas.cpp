// A Link's server side: the WIC answering requests that come down its flow (answer mode), as
// JsSIP does: 180 Ringing, then 200 OK with an SDP answer; ACK, BYE, CANCEL handled per
// RFC 3261 §13.3, §15.1.2 and §9.2.
#include <boost/asio/steady_timer.hpp>

#include "worker.hpp"

namespace wimpu::loadgen::detail {

namespace {
// RFC 3261 §13.3.1.4 / §17.2.1: the UAS gives up waiting for the ACK to its 2xx after 64*T1.
constexpr auto kAckWait = std::chrono::seconds(32);
}  // namespace

Call* Link::find_call(std::string_view call_id) {
  for (auto& c : calls_) {
    if (c->call_id == call_id) {
      return c.get();
    }
  }
  return nullptr;
}

void Link::erase_call(std::string_view call_id) {
  for (auto it = calls_.begin(); it != calls_.end(); ++it) {
    if ((*it)->call_id == call_id) {
      calls_.erase(it);
      return;
    }
  }
}

void Link::respond(const sip::Message& request, int status, std::string_view to_tag,
                   std::string_view sdp) {
  std::string& out = w_.out();
  build_uas_response(request, status, to_tag, contact_uri_, sdp, out);
  conn_->send(out);
}

void Link::handle_request(const sip::Message& msg, TimePoint now) {
  Stats& s = w_.stats();
  const EngineOptions& o = w_.opt();
  std::string tag;
  switch (msg.method()) {
    case sip::Method::kInvite: {
      ++s.invites_received;
      if (!msg.to_tag().empty()) {
        // re-INVITE (RFC 3261 §14.2): accept with the same answer.
        respond(msg, 200, {}, answer_sdp(generation_));
        return;
      }
      if (o.mode != Mode::kAnswer) {
        w_.rng().append_alnum(tag, 10);
        respond(msg, 480, tag);  // registered but not taking calls
        return;
      }
      if (find_call(msg.call_id()) != nullptr) {
        return;  // a duplicate; reliable transport, nothing to retransmit
      }
      auto call = std::make_unique<Call>();
      call->call_id = std::string(msg.call_id());
      call->invite = msg;
      w_.rng().append_alnum(call->to_tag, 10);
      respond(msg, 180, call->to_tag);
      Call& c = *call;
      calls_.push_back(std::move(call));
      if (o.ring_time.count() == 0) {
        answer_call(c, now);
      } else {
        c.ring_timer = std::make_unique<boost::asio::steady_timer>(w_.io(), o.ring_time);
        c.ring_timer->async_wait([this, id = c.call_id, gen = generation_](
                                     boost::system::error_code ec) {
          if (!ec) {
            ring_timer_fired(id, gen);
          }
        });
      }
      return;
    }
    case sip::Method::kAck: {
      ++s.acks_received;
      if (Call* c = find_call(msg.call_id())) {
        if (c->state == Call::State::kAnswered) {
          c->state = Call::State::kConfirmed;  // dialog confirmed (RFC 3261 §13.3.1.4)
        } else if (c->state == Call::State::kRejected) {
          erase_call(msg.call_id());  // ACK for a non-2xx ends the transaction (§17.2.1)
        }
      }
      return;
    }
    case sip::Method::kBye:
      ++s.byes_received;
      respond(msg, 200, {});
      erase_call(msg.call_id());  // §15.1.2
      return;
    case sip::Method::kCancel: {
      ++s.cancels_received;
      Call* c = find_call(msg.call_id());
      if (c == nullptr) {
        w_.rng().append_alnum(tag, 10);
        respond(msg, 481, tag);  // §9.2: no matching transaction
        return;
      }
      respond(msg, 200, c->to_tag);
      if (c->state == Call::State::kRinging) {
        // §9.2: the INVITE is answered with 487; the caller's ACK then ends it.
        std::string& out = w_.out();
        build_uas_response(c->invite, 487, c->to_tag, {}, {}, out);
        conn_->send(out);
        c->state = Call::State::kRejected;
        c->ring_timer.reset();
        ++s.calls_cancelled;
      }
      return;
    }
    case sip::Method::kOptions:
    case sip::Method::kMessage:
    case sip::Method::kNotify:
    case sip::Method::kInfo:
      ++s.other_requests_received;
      if (msg.to_tag().empty()) {
        w_.rng().append_alnum(tag, 10);
      }
      respond(msg, 200, tag);
      return;
    default:
      ++s.other_requests_received;
      if (msg.to_tag().empty()) {
        w_.rng().append_alnum(tag, 10);
      }
      respond(msg, 405, tag);
      return;
  }
}

void Link::ring_timer_fired(const std::string& call_id, std::uint64_t generation) {
  if (state_ != State::kOpen || generation != generation_) {
    return;
  }
  if (Call* c = find_call(call_id); c != nullptr && c->state == Call::State::kRinging) {
    answer_call(*c, SteadyClock::now());
  }
}

void Link::answer_call(Call& call, TimePoint now) {
  const int status = w_.opt().answer_status;
  if (status >= 200 && status < 300) {
    respond(call.invite, status, call.to_tag, answer_sdp(generation_ ^ w_.rng().next()));
    call.state = Call::State::kAnswered;
    call.ack_deadline = now + kAckWait;
    ++w_.stats().calls_answered;
  } else {
    respond(call.invite, status, call.to_tag);
    call.state = Call::State::kRejected;
  }
}

}  // namespace wimpu::loadgen::detail
