#include "wimpu/cscf_node/sip_node.hpp"

#include <algorithm>
#include <condition_variable>
#include <iterator>
#include <mutex>
#include <optional>
#include <stdexcept>

#include <boost/asio/ip/address.hpp>

#include "shard_stack.hpp"

namespace wimpu::cscf_node {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("config: " + what); }

std::int64_t int_or(const toml::node_view<const toml::node>& n, std::int64_t fallback,
                    std::int64_t min, std::int64_t max, const char* name) {
  if (!n) {
    return fallback;
  }
  auto v = n.value<std::int64_t>();
  if (!v || *v < min || *v > max) {
    fail(std::string(name) + " must be an integer in [" + std::to_string(min) + ", " +
         std::to_string(max) + "]");
  }
  return *v;
}

}  // namespace

std::vector<std::string> string_list(const toml::node_view<const toml::node>& n,
                                     std::string_view name) {
  std::vector<std::string> out;
  if (!n) {
    return out;
  }
  const toml::array* a = n.as_array();
  if (a == nullptr) {
    fail(std::string(name) + " must be an array of strings");
  }
  for (const toml::node& e : *a) {
    auto v = e.value<std::string>();
    if (!v) {
      fail(std::string(name) + " must be an array of strings");
    }
    out.push_back(std::move(*v));
  }
  return out;
}

namespace {

transport::Protocol protocol_named(const toml::node_view<const toml::node>& n,
                                   const std::string& key) {
  if (n && !n.is_string()) {
    fail(key + " must be a string: udp, tcp, tls, ws or wss");
  }
  const std::string s = n.value_or(std::string("udp"));
  if (s == "udp") {
    return transport::Protocol::kUdp;
  }
  if (s == "tcp") {
    return transport::Protocol::kTcp;
  }
  if (s == "tls") {
    return transport::Protocol::kTls;
  }
  if (s == "ws") {
    return transport::Protocol::kWs;
  }
  if (s == "wss") {
    return transport::Protocol::kWss;
  }
  fail(key + " must be udp, tcp, tls, ws or wss, not '" + s + "'");
}

std::string string_or(const toml::node_view<const toml::node>& n, std::string fallback,
                      const std::string& key) {
  if (!n) {
    return fallback;
  }
  auto v = n.value<std::string>();
  if (!v || !n.is_string()) {
    fail(key + " must be a string");
  }
  return *v;
}

// Every key a [[listeners]] table may hold; anything else is a typo to refuse, not to ignore.
constexpr std::string_view kListenerKeys[] = {
    "protocol", "address",           "port",            "max_connections",
    "cert_file", "key_file", "tls_session_cache", "tls_record_layer"};

}  // namespace

std::string uri_host(const boost::asio::ip::address& a) {
  return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
}

SipNodeConfig parse_sip_node_config(const toml::table& root) {
  const toml::node_view<const toml::node> cfg{static_cast<const toml::node&>(root)};
  SipNodeConfig c;
  c.shards = static_cast<std::size_t>(int_or(cfg["proxy"]["shards"], 1, 1, 64, "proxy.shards"));
  if (auto rr = cfg["proxy"]["record_route"]) {
    auto b = rr.value<bool>();
    if (!b) {
      fail("proxy.record_route must be a boolean");
    }
    c.record_route = *b;
  }
  c.expected_transactions = static_cast<std::size_t>(int_or(
      cfg["proxy"]["expected_transactions"], 4096, 16, 1 << 24, "proxy.expected_transactions"));
  c.domains = string_list(cfg["proxy"]["domains"], "proxy.domains");
  using std::chrono::milliseconds;
  c.timers.t1 = milliseconds(int_or(cfg["timers"]["t1_ms"], 500, 1, 60000, "timers.t1_ms"));
  c.timers.t2 = milliseconds(int_or(cfg["timers"]["t2_ms"], 4000, 1, 600000, "timers.t2_ms"));
  c.timers.t4 = milliseconds(int_or(cfg["timers"]["t4_ms"], 5000, 0, 600000, "timers.t4_ms"));
  c.timers.timer_d =
      milliseconds(int_or(cfg["timers"]["timer_d_ms"], 32000, 0, 600000, "timers.timer_d_ms"));
  c.timer_c = std::chrono::seconds(int_or(cfg["timers"]["timer_c_s"], 181, 1, 86400,
                                          "timers.timer_c_s"));
  const toml::array* listeners = cfg["listeners"].as_array();
  if (listeners == nullptr || listeners->empty()) {
    fail("at least one [[listeners]] entry is required");
  }
  // Errors name the entry ("listeners[2].port must be ..."): the first word is the key.
  for (std::size_t i = 0; i < listeners->size(); ++i) {
    const std::string at = "listeners[" + std::to_string(i) + "]";
    const toml::table* table = (*listeners)[i].as_table();
    if (table == nullptr) {
      fail(at + " must be a table ([[listeners]])");
    }
    for (const auto& [k, v] : *table) {
      (void)v;
      if (std::find(std::begin(kListenerKeys), std::end(kListenerKeys), k.str()) ==
          std::end(kListenerKeys)) {
        fail(at + "." + std::string(k.str()) +
             " is not a listener key (protocol, address, port, max_connections, cert_file, "
             "key_file, tls_session_cache, tls_record_layer)");
      }
    }
    const toml::node_view<const toml::node> l{(*listeners)[i]};
    transport::ListenerConfig lc;
    lc.protocol = protocol_named(l["protocol"], at + ".protocol");
    lc.address = string_or(l["address"], "127.0.0.1", at + ".address");
    boost::system::error_code ec;
    boost::asio::ip::make_address(lc.address, ec);
    if (ec) {
      fail(at + ".address must be a numeric IPv4/IPv6 address, not '" + lc.address + "'");
    }
    lc.port = static_cast<std::uint16_t>(
        int_or(l["port"], 5060, 0, 65535, (at + ".port").c_str()));
    // Stream listeners only; an edge proxy holding idle WICs sizes it to its open-files limit.
    lc.max_connections = static_cast<std::size_t>(int_or(
        l["max_connections"], 10000, 1, 10'000'000, (at + ".max_connections").c_str()));
    lc.tls.cert_file = string_or(l["cert_file"], "", at + ".cert_file");
    lc.tls.key_file = string_or(l["key_file"], "", at + ".key_file");
    if (transport::is_secure(lc.protocol) && (lc.tls.cert_file.empty() || lc.tls.key_file.empty())) {
      fail(at + (lc.tls.cert_file.empty() ? ".cert_file" : ".key_file") +
           " is required for a tls/wss listener (with cert_file and key_file)");
    }
    // Resumption uses stateless tickets (RFC 8446 §4.6.1, RFC 5077), which need no server
    // state; the cache only serves TLS 1.2 clients without tickets (TlsServerConfig).
    if (auto cache = l["tls_session_cache"]) {
      const std::optional<bool> on = cache.value<bool>();
      if (!on || !cache.is_boolean()) {
        fail(at + ".tls_session_cache must be a boolean");
      }
      lc.tls.session_cache = *on;
    }
    // After a TLS 1.3 handshake the transport frees OpenSSL's per-connection object and protects
    // the records itself ("wimpu", RFC 8446 §5), or leaves them to OpenSSL ("openssl").
    if (auto layer = l["tls_record_layer"]) {
      const std::optional<std::string> v = layer.value<std::string>();
      if (!v || !layer.is_string() || (*v != "wimpu" && *v != "openssl")) {
        fail(at + ".tls_record_layer must be \"wimpu\" or \"openssl\"");
      }
      lc.tls.record_layer =
          *v == "wimpu" ? transport::TlsRecordLayer::kWimpu : transport::TlsRecordLayer::kOpenssl;
    }
    c.transport.listeners.push_back(std::move(lc));
  }
  return c;
}

SipNode::SipNode(SipNodeConfig config, PolicyFactory factory)
    : config_(std::move(config)), factory_(std::move(factory)) {}

SipNode::~SipNode() { stop(); }

NodeStats SipNode::stats(std::chrono::milliseconds timeout) const {
  if (!running_ || !pool_ || !transport_) {
    return {};
  }
  // Each shard adds its own numbers on its thread (the tables are shard-local, STYLE.md); the
  // tally outlives a late answer (shared_ptr), the node must outlive the wait (contract).
  struct Tally {
    std::mutex m;
    std::condition_variable cv;
    NodeStats sum;
    std::size_t left = 0;
  };
  auto tally = std::make_shared<Tally>();
  tally->left = pool_->size();
  for (transport::ShardId s = 0; s < pool_->size(); ++s) {
    pool_->post(s, [this, s, tally] {
      const transaction::TransactionCounts t = stacks_.at(s)->transaction_counts();
      NodeStats mine;
      mine.flows = transport_->live_flows_on_shard(s);
      mine.server_transactions = t.server;
      mine.client_transactions = t.client;
      mine.proxy_contexts = stacks_.at(s)->proxy().live_contexts();
      std::lock_guard lock(tally->m);
      tally->sum.flows += mine.flows;
      tally->sum.server_transactions += mine.server_transactions;
      tally->sum.client_transactions += mine.client_transactions;
      tally->sum.proxy_contexts += mine.proxy_contexts;
      if (--tally->left == 0) {
        tally->cv.notify_all();
      }
    });
  }
  std::unique_lock lock(tally->m);
  tally->cv.wait_for(lock, timeout, [&] { return tally->left == 0; });
  return tally->sum;
}

void SipNode::create_pool() {
  if (!pool_) {
    pool_ = std::make_unique<transport::ShardPool>(config_.shards);
  }
}

void SipNode::start() {
  create_pool();
  auto t = transport::NetTransport::create(*pool_, config_.transport);
  if (!t) {
    throw std::runtime_error(t.error().message);
  }
  transport_ = std::move(*t);
  proxy::ProxyConfig pc;
  for (const transport::ListenerInfo& l : transport_->listeners()) {
    pc.interfaces.push_back(
        proxy::Interface{l.protocol, uri_host(l.local.address), l.local.port, l.id});
  }
  pc.domains = config_.domains;
  pc.record_route = config_.record_route;
  pc.timer_c = config_.timer_c;
  pc.supported_proxy_require = config_.supported_proxy_require;
  for (transport::ShardId s = 0; s < pool_->size(); ++s) {
    policies_.push_back(factory_(s, pool_->executor(s)));
    stacks_.push_back(std::make_unique<ShardStack>(s, *pool_, *transport_, config_.timers,
                                                   *policies_.back().policy, pc, stacks_,
                                                   config_.expected_transactions, &flow_closed_));
    if (policies_.back().attach) {
      policies_.back().attach(stacks_.back()->proxy());
    }
  }
  transport_->start(
      [this](transport::ShardId s) -> transport::MessageSink& { return *stacks_[s]; },
      config_.ws_handshake);
  pool_->start();
  running_ = true;
}

void SipNode::stop(transport::CloseMode flows) {
  if (!running_) {
    return;
  }
  running_ = false;
  transport_->stop(flows);
  pool_->stop_now();
  pool_->join();
  stacks_.clear();
  policies_.clear();
  transport_.reset();
}

const std::vector<transport::ListenerInfo>& SipNode::listeners() const {
  return transport_->listeners();
}

transport::Transport& SipNode::transport() { return *transport_; }

bool SipNode::send_uac_request(transport::ShardId shard, const transaction::Peer& to,
                               std::string_view bytes, UacHandler& handler) {
  if (shard >= stacks_.size()) {
    return false;
  }
  return stacks_[shard]->send_uac(to, bytes, handler);
}

std::string SipNode::local_host_port(transport::Protocol protocol) const {
  for (const transport::ListenerInfo& l : transport_->listeners()) {
    if (l.protocol == protocol) {
      return uri_host(l.local.address) + ":" + std::to_string(l.local.port);
    }
  }
  return {};
}

}  // namespace wimpu::cscf_node
