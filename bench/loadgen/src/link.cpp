// A Link's client side: opening flows, REGISTER transactions, digest challenges, timeouts.
#include <chrono>

#include "worker.hpp"
#include "wimpu/sip/header_values.hpp"

namespace wimpu::loadgen::detail {
namespace {

std::uint64_t ns_between(TimePoint from, TimePoint to) {
  return to > from ? static_cast<std::uint64_t>(
                         std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count())
                   : 0;
}

std::string substitute_index(std::string_view templ, std::uint64_t index) {
  std::string out;
  const std::string n = std::to_string(index);
  std::size_t pos = 0;
  while (true) {
    const std::size_t hit = templ.find("{n}", pos);
    out.append(templ.substr(pos, hit - pos));
    if (hit == std::string_view::npos) {
      break;
    }
    out.append(n);
    pos = hit + 3;
  }
  return out;
}

// User part of "sip:user@host" (empty when the URI has none).
std::string uri_user(std::string_view uri) {
  const std::size_t colon = uri.find(':');
  const std::size_t at = uri.find('@');
  if (colon == std::string_view::npos || at == std::string_view::npos || at < colon) {
    return {};
  }
  return std::string(uri.substr(colon + 1, at - colon - 1));
}

}  // namespace

Link::Link(Worker& worker, std::size_t local_index, std::uint64_t first_ua_index)
    : w_(worker), local_index_(local_index) {
  const EngineOptions& o = w_.opt();
  const unsigned c = std::max(1u, o.ua_per_connection);
  uas_.resize(c);
  for (unsigned s = 0; s < c; ++s) {
    Ua& ua = uas_[s];
    ua.slot = s;
    ua.index = first_ua_index + s;
    ua.aor = substitute_index(o.aor, ua.index);
    if (!o.digest.secret.empty()) {
      ua.digest_user = o.digest.user.empty() ? uri_user(ua.aor)
                                             : substitute_index(o.digest.user, ua.index);
    }
  }
}

Link::~Link() {
  if (conn_) {
    conn_->detach();
  }
}

void Link::launch(TimePoint now) {
  generation_ = w_.next_generation();
  churn_ = false;
  state_ = State::kConnecting;
  connect_started_ = now;
  connect_deadline_ = now + w_.opt().connect_timeout;
  ++w_.connecting;
  if (conn_) {
    conn_->detach();
  }
  conn_ = WsSipConnection::create(w_.io(), w_.shared().ws, this);
  conn_->count_into(&w_.stats().ws_io);
  conn_->start(w_.shared().remote, w_.next_local_address());
}

void Link::shutdown() {
  if (state_ == State::kOpen) {
    state_ = State::kClosing;
    conn_->close();
  } else if (state_ == State::kConnecting) {
    conn_->abort(ErrorKind::kConnect);
  }
}

void Link::new_identities() {
  const EngineOptions& o = w_.opt();
  for (Ua& ua : uas_) {
    ua.id = WicIdentity::random(w_.rng());
    ua.pending = Pending{};
    ua.registered = false;
    ua.rereg_at = TimePoint::max();
    ua.challenge.reset();
    ua.creds = DigestCredentials{};
    if (!o.digest.secret.empty()) {
      w_.rng().append_hex(ua.creds.cnonce, 16);
    }
    ua.authorization.clear();
    if (w_.has_minter() && !o.token.fresh_per_request) {
      // One token per UA per flow, re-used for its re-registrations (RFC 8898 §2.1.3 allows
      // re-use; the server's verification cache answers them).
      const std::string token = w_.mint(o.token.subject_prefix + std::to_string(ua.index));
      if (!token.empty()) {
        ua.authorization = bearer_authorization(token, o.token.access_token_form);
      }
    }
  }
  RegisterParams fixed;
  fixed.request_uri = w_.shared().request_uri;
  fixed.expires = o.expires;
  fixed.user_agent = o.user_agent;
  for (Ua& ua : uas_) {
    fixed.aor = ua.aor;
    ua.tmpl.prepare(ua.id, fixed);
  }
  contact_uri_ = uas_.front().id.contact_uri();
}

void Link::on_open(WsSipConnection& c) {
  if (&c != conn_.get()) {
    return;
  }
  const TimePoint now = SteadyClock::now();
  --w_.connecting;
  ++w_.established;
  state_ = State::kOpen;
  if (!first_attempt_done_) {
    first_attempt_done_ = true;
    w_.first_attempt_done();
  }
  Stats& s = w_.stats();
  ++s.connections_opened;
  s.connect_latency.record(ns_between(connect_started_, now));
  issued_on_flow_ = 0;
  completed_on_flow_ = 0;
  new_identities();
  if (w_.stopping()) {
    shutdown();
    return;
  }
  const EngineOptions& o = w_.opt();
  for (Ua& ua : uas_) {
    if (o.mode != Mode::kRegister) {
      issue(ua, now, now);  // idle/answer: register once
    } else if (w_.rate_mode() || w_.holding_closed_loop()) {
      w_.ua_free(*this, ua, now);
    } else {
      w_.try_issue(*this, ua, now);
    }
  }
  w_.pump_launch(now);
  w_.maybe_start_rate(now);
  w_.maybe_start_closed_loop(now);
}

void Link::on_failed(WsSipConnection& c, ErrorKind kind, boost::system::error_code) {
  if (&c != conn_.get()) {
    return;
  }
  const TimePoint now = SteadyClock::now();
  --w_.connecting;
  state_ = State::kDown;
  if (!first_attempt_done_) {
    first_attempt_done_ = true;
    w_.first_attempt_done();
  }
  if (w_.stopping()) {
    w_.connection_ended();
    return;
  }
  ++w_.stats().error(kind);
  if (w_.opt().reconnect) {
    w_.schedule_launch(local_index_, now + w_.opt().reconnect_delay);
  }
  w_.pump_launch(now);
  w_.maybe_start_rate(now);
}

void Link::on_closed(WsSipConnection& c, bool by_us, boost::system::error_code) {
  if (&c != conn_.get()) {
    return;
  }
  const TimePoint now = SteadyClock::now();
  state_ = State::kDown;
  --w_.established;
  Stats& s = w_.stats();
  ++s.connections_closed;
  drop_flow_state();
  if (w_.stopping()) {
    w_.connection_ended();
    return;
  }
  if (!by_us) {
    ++s.error(ErrorKind::kClosed);
  }
  if (churn_) {
    w_.schedule_launch(local_index_, now);  // flow churn: a new flow at once
    w_.pump_launch(now);
  } else if (w_.opt().reconnect) {
    w_.schedule_launch(local_index_, now + w_.opt().reconnect_delay);
    w_.pump_launch(now);
  }
}

void Link::drop_flow_state() {
  for (Ua& ua : uas_) {
    if (ua.pending.active) {
      ua.pending.active = false;
      --w_.outstanding;
      w_.transaction_ended();  // lost with its flow (the close itself is counted)
    }
    if (ua.registered) {
      ua.registered = false;
      --w_.registered;
    }
  }
  calls_.clear();
}

void Link::tick(TimePoint now) {
  if (state_ == State::kConnecting || state_ == State::kClosing) {
    if (now >= connect_deadline_) {
      conn_->abort(state_ == State::kConnecting ? ErrorKind::kConnectTimeout : ErrorKind::kClosed);
    }
    return;
  }
  if (state_ != State::kOpen) {
    return;
  }
  const EngineOptions& o = w_.opt();
  for (Ua& ua : uas_) {
    if (ua.pending.active) {
      if (now >= ua.pending.deadline) {
        ++w_.stats().error(ErrorKind::kTimeout);
        if (o.mode != Mode::kRegister) {
          retry_later(ua, now);
        }
        ended(ua, now);
      }
    } else if (o.mode != Mode::kRegister && now >= ua.rereg_at && state_ == State::kOpen) {
      issue(ua, now, now);  // a refresh before expiry, or a retry after a failed registration
    }
  }
  for (std::size_t i = 0; i < calls_.size();) {
    Call& call = *calls_[i];
    if (call.state == Call::State::kAnswered && now >= call.ack_deadline) {
      ++w_.stats().ack_timeouts;
      calls_.erase(calls_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

void Link::issue(Ua& ua, TimePoint intended, TimePoint now) {
  const EngineOptions& o = w_.opt();
  ua.pending = Pending{true, 0, w_.next_seq(), intended, now, now + o.transaction_timeout};
  ++ua.requests;
  ++issued_on_flow_;
  ++w_.outstanding;
  std::string_view header = "Authorization";
  std::string_view value;
  std::string& auth = w_.auth();
  if (!o.digest.secret.empty() && o.digest.reuse_nonce && ua.challenge) {
    build_digest_authorization(ua.creds, *ua.challenge, "REGISTER", w_.shared().request_uri,
                               auth);
    value = auth;
    if (ua.challenge_proxy) {
      header = "Proxy-Authorization";
    }
  } else if (w_.has_minter()) {
    if (o.token.fresh_per_request) {
      std::string subject = o.token.subject_prefix + std::to_string(ua.index);
      if (o.token.subject_per_request) {
        subject.append("-").append(std::to_string(ua.requests));
      }
      const std::string token = w_.mint(subject);
      if (!token.empty()) {
        auth = bearer_authorization(token, o.token.access_token_form);
        value = auth;
      }
    } else {
      value = ua.authorization;  // the UA's token, re-used without a copy
    }
  }
  send_register(ua, header, value);
}

void Link::send_register(Ua& ua, std::string_view auth_header, std::string_view auth_value) {
  std::string& branch = w_.branch();
  make_branch(BranchFields{generation_, ua.slot, ua.pending.seq}, branch);
  // A fresh From tag per REGISTER: 10 characters of [a-z0-9] from one random draw.
  char tag_buf[10];
  std::uint64_t r = w_.rng().next();
  for (char& ch : tag_buf) {
    ch = "abcdefghijklmnopqrstuvwxyz0123456789"[r % 36];
    r /= 36;
  }
  ++ua.id.cseq;
  // Straight into the connection's write buffer: framed, masked and written with whatever
  // else this turn sends on the flow.
  std::string& out = conn_->begin_message();
  ua.tmpl.append(out, branch, std::string_view(tag_buf, sizeof(tag_buf)), ua.id.cseq,
                 auth_header, auth_value);
  conn_->end_message();
  ++w_.stats().requests_sent;
}

bool Link::needs_full_parse(const ResponseHead& head) const noexcept {
  // Holding modes read the granted expiry from the 2xx; a digest challenge needs its
  // WWW-/Proxy-Authenticate parsed. A plain REGISTER load needs only the matching fields.
  const EngineOptions& o = w_.opt();
  return o.mode != Mode::kRegister ||
         ((head.status == 401 || head.status == 407) && !o.digest.secret.empty());
}

void Link::on_message(WsSipConnection& c, std::string_view message) {
  if (&c != conn_.get()) {
    return;
  }
  ResponseHead head;
  if (scan_response(message, head) && !needs_full_parse(head)) {
    handle_response(head, nullptr, SteadyClock::now());
    return;
  }
  sip::Message& msg = w_.scratch_message();
  if (!sip::parse_into(msg, message, sip::ParseOptions::websocket())) {
    ++w_.stats().error(ErrorKind::kParse);
    return;
  }
  const TimePoint now = SteadyClock::now();
  if (msg.is_response()) {
    head.status = msg.status_code();
    head.branch = msg.top_via().branch;
    head.call_id = msg.call_id();
    head.cseq = msg.cseq().number;
    head.cseq_method = msg.cseq().method_text;
    handle_response(head, &msg, now);
  } else {
    handle_request(msg, now);
  }
}

void Link::handle_response(const ResponseHead& head, const sip::Message* msg, TimePoint now) {
  Stats& s = w_.stats();
  const int status = head.status;
  s.count_status(status);
  BranchFields f;
  if (!parse_branch(head.branch, f) || f.generation != generation_ || f.slot >= uas_.size()) {
    ++s.error(ErrorKind::kUnmatched);
    return;
  }
  Ua& ua = uas_[f.slot];
  if (!ua.pending.active || ua.pending.seq != f.seq) {
    ++s.error(ErrorKind::kUnmatched);  // late answer to a timed-out request
    return;
  }
  // RFC 3261 §8.2.6.2: the response copies Call-ID and CSeq; a server that does not is counted.
  if (head.call_id != ua.id.call_id || head.cseq != ua.id.cseq || head.cseq_method != "REGISTER") {
    ++s.error(ErrorKind::kUnmatched);
    return;
  }
  if (status < 200) {
    return;  // provisional: the transaction goes on (RFC 3261 §17.1.2.2 Proceeding)
  }
  if ((status == 401 || status == 407) && !w_.opt().digest.secret.empty()) {
    if (ua.pending.challenges == 0 && msg != nullptr && answer_challenge(ua, *msg)) {
      return;
    }
    ++s.error(ErrorKind::kAuth);
  }
  complete(ua, status, msg, now);
}

bool Link::answer_challenge(Ua& ua, const sip::Message& msg) {
  const EngineOptions& o = w_.opt();
  const bool proxy = msg.status_code() == 407;
  auto values =
      sip::auth_values(msg, proxy ? sip::HeaderId::kProxyAuthenticate : sip::HeaderId::kWwwAuthenticate);
  if (!values) {
    return false;
  }
  for (const sip::AuthValue& v : *values) {
    auto challenge = parse_digest_challenge(v);
    if (!challenge) {
      continue;
    }
    // auth_ephemeral: the username carries its own expiry; the password is derived from it.
    const auto expiry = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch() + o.digest.ttl)
                            .count();
    ua.creds.username = ephemeral_username(expiry, ua.digest_user);
    ua.creds.password = ephemeral_password(o.digest.secret, ua.creds.username);
    ua.creds.nc = 0;
    ua.challenge = std::move(*challenge);
    ua.challenge_proxy = proxy;
    std::string& auth = w_.auth();
    build_digest_authorization(ua.creds, *ua.challenge, "REGISTER", w_.shared().request_uri,
                               auth);
    ua.pending.seq = w_.next_seq();
    ua.pending.deadline = SteadyClock::now() + o.transaction_timeout;
    ++ua.pending.challenges;
    ++w_.stats().challenges_answered;
    send_register(ua, proxy ? "Proxy-Authorization" : "Authorization", auth);
    return true;
  }
  return false;
}

void Link::complete(Ua& ua, int status, const sip::Message* msg, TimePoint now) {
  Stats& s = w_.stats();
  const Pending& p = ua.pending;
  s.latency.record(ns_between(w_.rate_mode() ? p.intended : p.sent, now));
  if (w_.rate_mode()) {
    s.service_latency.record(ns_between(p.sent, now));
  }
  ++s.transactions_done;
  if (status >= 200 && status < 300) {
    ++s.transactions_ok;
  }
  note_registration(ua, status, msg, now);
  ended(ua, now);
}

void Link::note_registration(Ua& ua, int status, const sip::Message* msg, TimePoint now) {
  const bool holding = w_.opt().mode != Mode::kRegister;
  if (status < 200 || status >= 300) {
    if (holding) {
      ++w_.stats().error(ErrorKind::kRegisterFailed);
      retry_later(ua, now);
    }
    if (ua.registered) {
      ua.registered = false;
      --w_.registered;
    }
    return;
  }
  if (!ua.registered) {
    ua.registered = true;
    ++w_.registered;
  }
  if (!holding || msg == nullptr) {
    return;
  }
  // The granted expiry: our contact's expires param (RFC 3261 §10.2.4), else Expires, else
  // what we asked for. Re-register at half of it, or 600 s early when it exceeds 1200 s
  // (TS 24.229 §5.1.1.4.1).
  std::uint32_t granted = w_.opt().expires;
  bool found = false;
  for (const sip::NameAddr& c : msg->contacts()) {
    const std::string_view inst = sip::contact_instance(c);
    if (inst.size() == ua.id.instance.size() + 2 &&
        inst.substr(1, ua.id.instance.size()) == ua.id.instance) {
      if (auto e = sip::contact_expires(c)) {
        granted = *e;
        found = true;
      }
      break;
    }
  }
  if (!found) {
    if (auto e = sip::delta_seconds(*msg, sip::HeaderId::kExpires); e && *e) {
      granted = **e;
    }
  }
  if (!w_.opt().reregister) {
    ua.rereg_at = TimePoint::max();
    return;
  }
  const std::uint32_t wait = granted > 1200 ? granted - 600 : granted / 2;
  ua.rereg_at = now + std::chrono::seconds(std::max<std::uint32_t>(wait, 1));
}

void Link::retry_later(Ua& ua, TimePoint now) {
  // idle/answer: a UA whose registration failed or timed out tries again after the reconnect
  // delay (with --no-reconnect it stays unregistered and the report shows it).
  ua.rereg_at = w_.opt().reconnect ? now + w_.opt().reconnect_delay : TimePoint::max();
}

void Link::ended(Ua& ua, TimePoint now) {
  ua.pending.active = false;
  --w_.outstanding;
  ++completed_on_flow_;
  w_.transaction_ended();
  after_transaction(ua, now);
}

void Link::after_transaction(Ua& ua, TimePoint now) {
  const EngineOptions& o = w_.opt();
  if (state_ != State::kOpen || o.mode != Mode::kRegister) {
    return;
  }
  if (o.requests_per_connection > 0 && issued_on_flow_ >= o.requests_per_connection) {
    for (const Ua& other : uas_) {
      if (other.pending.active) {
        return;  // close when the last one is answered
      }
    }
    churn_ = true;
    state_ = State::kClosing;
    connect_deadline_ = now + o.connect_timeout;  // a server that never answers the close
    conn_->close();
    return;
  }
  if (w_.rate_mode()) {
    w_.ua_free(*this, ua, now);
  } else {
    w_.try_issue(*this, ua, now);
  }
}

}  // namespace wimpu::loadgen::detail
