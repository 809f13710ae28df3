#include "block_registration.hpp"

#include <algorithm>
#include <random>
#include <utility>

#include "wimpu/common/counter.hpp"
#include "wimpu/sip/header_values.hpp"
#include "wimpu/sip/uri.hpp"

namespace wimpu::ep_cscf {
namespace {

common::Counter& count(std::string_view what) {
  return common::counter("ep_cscf.block_registration." + std::string(what));
}

/// The upstream I-CSCF URI ("sip:127.0.0.1:5070;lr", transport param honoured) as a next hop.
/// Only IP literals: name resolution (RFC 3263) is not done here.
std::optional<transaction::Peer> resolve(std::string_view text) {
  auto uri = sip::parse_uri(text);
  if (!uri || !uri->is_sip() || uri->host.empty()) {
    return std::nullopt;
  }
  std::string host(uri->host);
  if (host.size() > 2 && host.front() == '[') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  if (ec) {
    return std::nullopt;
  }
  transaction::Peer p;
  const std::string_view t = uri->transport();
  p.protocol = sip::escaped_iequal(t, "tcp")   ? transport::Protocol::kTcp
               : sip::escaped_iequal(t, "tls") ? transport::Protocol::kTls
                                               : transport::Protocol::kUdp;
  p.remote.address = address;
  p.remote.port = uri->port.value_or(p.protocol == transport::Protocol::kTls ? 5061 : 5060);
  return p;
}

std::string hex_random(std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  std::random_device rd;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[rd() & 15]);
  }
  return out;
}

}  // namespace

BlockRegistration::BlockRegistration(std::size_t domain_index,
                                     std::shared_ptr<const Runtime> runtime,
                                     cscf_node::SipNode& node, boost::asio::any_io_executor shard0)
    : index_(domain_index),
      rt_(std::move(runtime)),
      node_(node),
      timer_(std::move(shard0)),
      upstream_(resolve(rt_->config.domains[domain_index].upstream_icscf)),
      call_id_("blk-" + hex_random(16)),
      from_tag_(hex_random(8)),
      backoff_(rt_->config.domains[domain_index].registration.retry_min) {}

BlockRegistration::~BlockRegistration() = default;

void BlockRegistration::start() {
  // Option 1: the block is unusable until the core knows it.
  BlockDirectory::State st = rt_->blocks.get(domain().block.id);
  st.up = false;
  st.next_attempt = {};  // the first attempt starts now
  rt_->blocks.set(domain().block.id, st);
  trigger();
}

void BlockRegistration::trigger() {
  if (started_ || stopping_) {
    return;
  }
  started_ = true;
  send(domain().registration.expires);
}

void BlockRegistration::send(std::uint32_t expires) {
  const WimpuDomain& d = domain();
  if (!upstream_) {
    fail("bad_upstream");
    return;
  }
  // Our address toward the core, for Contact and Path.
  const transport::ListenerInfo* out = nullptr;
  for (const transport::ListenerInfo& l : rt_->listeners) {
    if (l.protocol == upstream_->protocol && out == nullptr) {
      out = &l;
    }
  }
  if (out == nullptr) {
    fail("no_listener");
    return;
  }
  const std::string host = !rt_->config.host.empty() ? rt_->config.host
                           : out->local.address.is_v6()
                               ? "[" + out->local.address.to_string() + "]"
                               : out->local.address.to_string();
  const std::string host_port = host + ":" + std::to_string(out->local.port);
  transaction::Peer to = *upstream_;
  to.listener = out->id;
  // RFC 5626 §5.2 / G-10: the Path names the flow toward the core by its token.
  std::string token;
  if (to.protocol == transport::Protocol::kUdp) {
    auto flow = node_.transport().udp_flow(out->id, to.remote);
    if (!flow) {
      fail("no_flow");
      return;
    }
    to.flow = *flow;
    token = node_.transport().flow_token(*flow);
  } else {
    token = "blk-" + d.block.id;  // the connection is made by the send; no flow to name yet
  }
  const std::string impi = !d.registration.private_identity.empty()
                               ? d.registration.private_identity
                           : d.registration.impu.starts_with("sip:")
                               ? d.registration.impu.substr(4)
                               : d.registration.impu;
  const std::string ruri = "sip:" + d.domain;
  const std::string transport_param =
      to.protocol == transport::Protocol::kTcp   ? ";transport=tcp"
      : to.protocol == transport::Protocol::kTls ? ";transport=tls"
                                                 : "";
  std::string m = "REGISTER " + ruri + " SIP/2.0\r\n";
  m += "Max-Forwards: 70\r\n";
  m += "From: <" + d.registration.impu + ">;tag=" + from_tag_ + "\r\n";
  m += "To: <" + d.registration.impu + ">\r\n";
  m += "Call-ID: " + call_id_ + "\r\n";
  m += "CSeq: " + std::to_string(++cseq_) + " REGISTER\r\n";
  m += "Contact: <sip:" + host_port + transport_param + ">\r\n";
  m += "Expires: " + std::to_string(expires) + "\r\n";
  // G-10, RFC 5626 §5.1: as the first hop we add the flow token and `ob` (RFC 3327 §5.2).
  m += "Path: <sip:" + token + "@" + host_port + transport_param + ";lr;ob>\r\n";
  m += "Require: path\r\n";
  m += "Supported: path\r\n";
  // TS 24.229 §7.2A.2 (R-08): a trusted node; the S-CSCF skips authentication.
  m += "Authorization: Digest username=\"" + impi + "\", realm=\"" + d.domain +
       "\", uri=\"" + ruri + "\", nonce=\"\", response=\"\", integrity-protected=\"auth-done\"\r\n";
  m += "Content-Length: 0\r\n\r\n";
  BlockDirectory::State st = rt_->blocks.get(d.block.id);
  st.path_token = token;
  rt_->blocks.set(d.block.id, st);
  if (!node_.send_uac_request(0, to, m, *this)) {
    fail("send_error");
    return;
  }
  in_flight_ = true;
  count(expires == 0 ? "deregister_sent" : "sent").inc();
}

void BlockRegistration::on_uac_response(const sip::Message& response) {
  const int status = response.status_code();
  if (status < 200) {
    return;
  }
  in_flight_ = false;
  if (stopping_) {
    count("deregistered").inc();
    registered_ = false;
    if (on_deregistered_) {
      std::exchange(on_deregistered_, nullptr)();
    }
    return;
  }
  if (status >= 300) {
    fail("rejected");
    return;
  }
  const WimpuDomain& d = domain();
  BlockDirectory::State st = rt_->blocks.get(d.block.id);
  st.up = true;
  // G-12: the Service-Route of the 200 replaces the previous one.
  st.service_route.clear();
  if (auto sr = sip::name_addr_values(response, sip::HeaderId::kServiceRoute)) {
    for (const sip::NameAddr& v : *sr) {
      st.service_route.emplace_back(v.text);
    }
  }
  st.associated.clear();
  if (auto pau = sip::name_addr_values(response, sip::HeaderId::kPAssociatedUri)) {
    for (const sip::NameAddr& v : *pau) {
      st.associated.emplace_back(v.text);
    }
  }
  rt_->blocks.set(d.block.id, st);
  // The granted expiry: our Contact's expires, else Expires, else what we asked for.
  std::uint32_t granted = d.registration.expires;
  if (auto e = sip::delta_seconds(response, sip::HeaderId::kExpires); e && *e) {
    granted = **e;
  }
  for (const sip::NameAddr& c : response.contacts()) {
    if (auto e = sip::contact_expires(c)) {
      granted = std::min(granted, *e);
    }
  }
  registered_ = true;
  backoff_ = d.registration.retry_min;
  count("ok").inc();
  // Refresh at half the lifetime: one lost refresh still leaves time for a retry.
  arm(std::chrono::milliseconds(std::max<std::uint64_t>(1000, granted * 500ULL)));
}

void BlockRegistration::on_uac_failure(transaction::ClientFailure) {
  in_flight_ = false;
  if (stopping_) {
    if (on_deregistered_) {
      std::exchange(on_deregistered_, nullptr)();
    }
    return;
  }
  fail("no_answer");
}

void BlockRegistration::fail(std::string_view why) {
  count(why).inc();
  BlockDirectory::State st = rt_->blocks.get(domain().block.id);
  st.up = false;  // WIC REGISTERs of the block get 503 + Retry-After meanwhile
  st.next_attempt = std::chrono::steady_clock::now() + backoff_;  // arm(backoff_) below
  rt_->blocks.set(domain().block.id, st);
  registered_ = false;
  if (stopping_) {
    return;
  }
  arm(backoff_);
  backoff_ = std::min(backoff_ * 2, domain().registration.retry_max);
}

void BlockRegistration::arm(std::chrono::milliseconds after) {
  timer_.expires_after(after);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_ || in_flight_) {
      return;
    }
    send(domain().registration.expires);
  });
}

void BlockRegistration::deregister(std::function<void()> done) {
  stopping_ = true;
  timer_.cancel();
  if (!registered_ || in_flight_) {
    done();
    return;
  }
  on_deregistered_ = std::move(done);
  send(0);
  if (!in_flight_ && on_deregistered_) {
    std::exchange(on_deregistered_, nullptr)();
  }
}

}  // namespace wimpu::ep_cscf
