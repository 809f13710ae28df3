#include "wimpu/ep_cscf/server.hpp"

#include <algorithm>
#include <atomic>
#include <future>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "block_registration.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/ep_cscf/policy.hpp"
#include "wimpu/registrar/memory_registrar.hpp"
#include "wimpu/registrar/redis_registrar.hpp"
#include "wimpu/token/key_store.hpp"

namespace wimpu::ep_cscf {
namespace {

using OriginList = std::shared_ptr<const std::vector<std::string>>;

// RFC 7118 §7: only pages from allowed origins may open SIP WebSockets to us (403 otherwise).
// Always installed, reading the list in force at each handshake: a reload can turn the check on
// (empty list = any Origin) and change it while the shards run.
transport::WsHandshakeHook origin_hook(std::shared_ptr<std::atomic<OriginList>> origins) {
  return [origins = std::move(origins)](const transport::WsHandshakeRequest& req) {
    const OriginList allowed = origins->load(std::memory_order_acquire);
    const bool ok = allowed->empty() ||
                    std::find(allowed->begin(), allowed->end(), req.origin) != allowed->end();
    return ok ? transport::WsHandshakeDecision::accept()
              : transport::WsHandshakeDecision::forbidden();
  };
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool same_issuers(const std::vector<TrustedIssuer>& a, const std::vector<TrustedIssuer>& b,
                  const std::string& issuer) {
  auto has = [&](const std::vector<TrustedIssuer>& v) {
    return std::any_of(v.begin(), v.end(), [&](const TrustedIssuer& t) { return t.issuer == issuer; });
  };
  return has(a) == has(b);
}

}  // namespace

/// What commit_reload() puts in force; everything already validated and built.
struct PreparedReload {
  std::vector<std::vector<TrustedIssuer>> issuers;  // per running domain
  std::vector<token::KeyStorePtr> stores;
  std::shared_ptr<const Trust> trust;
  OriginList origins;
};

Server::Server(EpCscfConfig config, common::ClockPtr clock)
    : config_(std::move(config)),
      clock_(clock ? std::move(clock) : std::make_shared<common::SystemClock>()),
      origins_(std::make_shared<std::atomic<OriginList>>(
          std::make_shared<const std::vector<std::string>>(config_.allowed_origins))) {}

std::vector<token::KeyStorePtr> Server::make_stores(const std::vector<WimpuDomain>& domains) const {
  // One KeyStore per distinct issuer, shared by every shard's Verifier. An issuer named by
  // several domains is read once (the first domain's entry).
  std::vector<token::KeyStorePtr> stores;
  for (std::size_t di = 0; di < domains.size(); ++di) {
    const std::vector<TrustedIssuer>& issuers = domains[di].issuers;
    if (issuers.empty()) {
      throw std::runtime_error("ep_cscf.domains[" + std::to_string(di) +
                               "].issuers: at least one trusted issuer is required");
    }
    for (std::size_t ii = 0; ii < issuers.size(); ++ii) {
      const TrustedIssuer& i = issuers[ii];
      const std::string key =
          "ep_cscf.domains[" + std::to_string(di) + "].issuers[" + std::to_string(ii) + "]";
      const bool seen = std::any_of(stores.begin(), stores.end(),
                                    [&](const auto& s) { return s->issuer() == i.issuer; });
      if (seen) {
        continue;
      }
      if (i.issuer.empty()) {
        throw std::runtime_error(key + ".issuer: empty");
      }
      token::KeyStoreOptions o;
      o.issuer = i.issuer;
      o.algorithm = i.algorithm;
      auto store = token::KeyStore::create(o, nullptr, clock_, node_->pool().executor(0));
      std::string jwks;
      try {
        jwks = i.jwks.empty() ? read_file(i.jwks_file) : i.jwks;
      } catch (const std::exception& e) {
        throw std::runtime_error(key + ".jwks_file: " + e.what());
      }
      if (auto r = store->install(jwks); !r) {
        throw std::runtime_error(key + ": bad JWKS for " + i.issuer +
                                 (i.jwks.empty() ? " in " + i.jwks_file : std::string()));
      }
      stores.push_back(std::move(store));
    }
  }
  return stores;
}

std::shared_ptr<const Trust> Server::make_trust() const {
  auto t = std::make_shared<Trust>();
  for (const WimpuDomain& d : config_.domains) {
    auto& names = t->issuers.emplace_back();
    for (const TrustedIssuer& i : d.issuers) {
      names.push_back(i.issuer);
    }
  }
  return t;
}

Server::~Server() { stop(); }

void Server::start() {
  cscf_node::SipNodeConfig nc;
  nc.transport = config_.transport;
  nc.shards = config_.shards;
  nc.timers = config_.timers;
  nc.record_route = true;
  if (!config_.host.empty()) {
    nc.domains.push_back(config_.host);
  }
  for (const WimpuDomain& d : config_.domains) {
    nc.domains.push_back(d.domain);
  }
  nc.supported_proxy_require = {"outbound", "path"};
  nc.ws_handshake = origin_hook(origins_);
  node_ = std::make_unique<cscf_node::SipNode>(
      std::move(nc), [this](transport::ShardId s, boost::asio::any_io_executor ex) {
        return make_policy(s, std::move(ex));
      });
  node_->create_pool();
  transport::ShardPool& pool = node_->pool();

  std::vector<registrar::BlockConfig> blocks;
  for (const WimpuDomain& d : config_.domains) {
    blocks.push_back(d.block);
  }
  try {
    stores_ = make_stores(config_.domains);
  } catch (const std::exception& e) {
    node_.reset();
    throw std::runtime_error(std::string("ep-cscf: ") + e.what());
  }
  trust_ = make_trust();
  auto block_set = std::make_shared<const registrar::BlockSet>(std::move(blocks));
  if (config_.backend == RegistrarBackend::kMemory) {
    registrars_.push_back(
        std::make_unique<registrar::MemoryRegistrar>(block_set, clock_, config_.memory));
  } else {
    for (transport::ShardId s = 0; s < pool.size(); ++s) {
      registrars_.push_back(std::make_unique<registrar::RedisRegistrar>(pool.executor(s),
                                                                        block_set, config_.redis));
    }
  }
  // RFC 5626 §7 (G-08): a closed flow's contacts go at once, on the flow's shard.
  node_->set_flow_closed_handler(
      [this](transport::ShardId s, transport::FlowId flow, transport::CloseReason) {
        common::counter("ep_cscf.flow_closed").inc();
        policies_.at(s)->on_flow_closed(flow);
      });
  for (std::size_t i = 0; i < config_.domains.size(); ++i) {
    if (config_.domains[i].registration.trigger != BlockTrigger::kNone) {
      block_indices_.push_back(i);
    }
  }
  try {
    node_->start();
  } catch (const std::exception& e) {
    policies_.clear();
    registrars_.clear();
    stores_.clear();
    node_.reset();
    throw std::runtime_error(std::string("ep-cscf: ") + e.what());
  }
  running_ = true;
  for (std::size_t k = 0; k < blocks_.size(); ++k) {
    if (config_.domains[block_indices_[k]].registration.trigger == BlockTrigger::kStartup) {
      BlockRegistration* b = blocks_[k].get();
      pool.post(0, [b] { b->start(); });
    }
  }
}

void Server::on_first_wic(std::size_t domain_index) {
  // Any shard; blocks_ was filled before the shards started (make_policy of shard 0).
  for (std::size_t k = 0; k < block_indices_.size() && k < blocks_.size(); ++k) {
    if (block_indices_[k] == domain_index) {
      BlockRegistration* b = blocks_[k].get();
      node_->pool().post(0, [b] { b->trigger(); });
    }
  }
}

cscf_node::ShardPolicy Server::make_policy(transport::ShardId s, boost::asio::any_io_executor ex) {
  if (!runtime_) {
    auto rt = std::make_shared<Runtime>();
    rt->config = config_;
    rt->listeners = node_->listeners();
    rt->first_wic = [this](std::size_t i) { on_first_wic(i); };
    for (const WimpuDomain& d : config_.domains) {
      if (d.registration.trigger == BlockTrigger::kStartup) {
        // Down until registered (option 1): set before any WIC can connect.
        BlockDirectory::State st;
        st.up = false;
        rt->blocks.set(d.block.id, st);
      }
    }
    runtime_ = std::move(rt);
  }
  if (s == 0) {
    // Seed 5.2.2.5.1: the block registrations run on shard 0 (their client transactions live
    // there). Built here, before the shard threads run, so on_first_wic() reads a settled vector.
    for (std::size_t i : block_indices_) {
      blocks_.push_back(std::make_unique<BlockRegistration>(i, runtime_, *node_, ex));
    }
  }
  token::VerifierOptions vo;
  vo.audience = config_.realm;
  auto verifier = std::make_unique<token::Verifier>(vo, stores_, clock_, ex);
  auto policy = std::make_unique<EpCscfPolicy>(runtime_, w4(s), std::move(verifier), trust_,
                                               node_->transport(), ex);
  EpCscfPolicy* raw = policy.get();
  policies_.push_back(raw);
  return cscf_node::ShardPolicy{std::move(policy), [raw](proxy::Proxy& p) { raw->attach(p); }};
}

void Server::drain() {
  if (!running_ || drained_) {
    return;
  }
  drained_ = true;
  if (!blocks_.empty()) {
    // Orderly shutdown: de-register every block (seed 5.2.2.5.1), bounded wait.
    auto left = std::make_shared<std::atomic<std::size_t>>(blocks_.size());
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    std::chrono::milliseconds wait{0};
    for (std::size_t k = 0; k < blocks_.size(); ++k) {
      wait = std::max(wait, config_.domains[block_indices_[k]].registration.deregister_wait);
    }
    for (auto& b : blocks_) {
      BlockRegistration* raw = b.get();
      node_->pool().post(0, [raw, left, done] {
        raw->deregister([left, done] {
          if (left->fetch_sub(1) == 1) {
            done->set_value();
          }
        });
      });
    }
    finished.wait_for(wait);
  }
}

Expected<PreparedReloadPtr, std::string> Server::prepare_reload(const EpCscfConfig& next) const {
  if (!running_) {
    return std::string("ep_cscf: not running");
  }
  auto r = std::make_shared<PreparedReload>();
  // The running domains, with the issuers `next` gives each (matched by name: indexes may move).
  std::vector<WimpuDomain> domains = config_.domains;
  for (WimpuDomain& d : domains) {
    auto it = std::find_if(next.domains.begin(), next.domains.end(),
                           [&](const WimpuDomain& n) { return n.domain == d.domain; });
    if (it != next.domains.end()) {
      d.issuers = it->issuers;
    }
    r->issuers.push_back(d.issuers);
  }
  try {
    r->stores = make_stores(domains);
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  auto trust = std::make_shared<Trust>();
  for (const WimpuDomain& d : domains) {
    auto& names = trust->issuers.emplace_back();
    for (const TrustedIssuer& i : d.issuers) {
      names.push_back(i.issuer);
    }
  }
  r->trust = std::move(trust);
  r->origins = std::make_shared<const std::vector<std::string>>(next.allowed_origins);
  return PreparedReloadPtr(std::move(r));
}

std::vector<std::string> Server::commit_reload(const PreparedReloadPtr& r) {
  std::vector<std::string> lines;
  if (!running_ || !r) {
    return lines;
  }
  for (std::size_t di = 0; di < config_.domains.size(); ++di) {
    WimpuDomain& d = config_.domains[di];
    const std::vector<TrustedIssuer>& now = r->issuers.at(di);
    for (const TrustedIssuer& i : now) {
      if (!same_issuers(d.issuers, now, i.issuer)) {
        lines.push_back("ep_cscf: domain " + d.domain + ": trusted issuer " + i.issuer + " added");
      }
    }
    for (const TrustedIssuer& i : d.issuers) {
      if (!same_issuers(d.issuers, now, i.issuer)) {
        lines.push_back("ep_cscf: domain " + d.domain + ": trusted issuer " + i.issuer +
                        " removed");
      }
    }
    d.issuers = now;
  }
  if (config_.allowed_origins != *r->origins) {
    lines.push_back("ep_cscf: allowed_origins now " +
                    (r->origins->empty() ? std::string("any") : std::to_string(r->origins->size()) +
                                                                    " origin(s)"));
  }
  config_.allowed_origins = *r->origins;
  origins_->store(r->origins, std::memory_order_release);
  stores_ = r->stores;
  trust_ = r->trust;

  // Every shard swaps its Verifier and Trust on its own thread (policies are shard-bound); wait
  // until all did, so a request sent after reload() returned meets the new issuers.
  transport::ShardPool& pool = node_->pool();
  auto left = std::make_shared<std::atomic<std::size_t>>(policies_.size());
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  token::VerifierOptions vo;
  vo.audience = config_.realm;
  for (std::size_t s = 0; s < policies_.size(); ++s) {
    auto verifier = std::make_shared<std::unique_ptr<token::Verifier>>(
        std::make_unique<token::Verifier>(vo, stores_, clock_, pool.executor(s)));
    EpCscfPolicy* p = policies_[s];
    pool.post(s, [p, verifier, trust = trust_, left, done] {
      p->set_trust(std::move(*verifier), trust);
      if (left->fetch_sub(1) == 1) {
        done->set_value();
      }
    });
  }
  if (!policies_.empty()) {
    finished.wait();  // shards never block (STYLE.md), so each runs the post promptly
  }
  common::counter("ep_cscf.reloaded").inc();
  lines.push_back("ep_cscf: reloaded trusted issuers (" + std::to_string(stores_.size()) +
                  " key store(s), JWKS re-read) and allowed origins");
  return lines;
}

Expected<std::vector<std::string>, std::string> Server::reload(const EpCscfConfig& next) {
  auto r = prepare_reload(next);
  if (!r) {
    common::counter("ep_cscf.reload_refused").inc();
    return r.error();
  }
  return commit_reload(*r);
}

bool Server::close_flow(std::string_view flow_token) {
  if (!running_) {
    return false;
  }
  auto flow = node_->transport().decode_flow_token(flow_token);
  if (!flow || !node_->transport().is_live(*flow)) {
    return false;
  }
  // The transport tells the policy (on_flow_closed), which removes the flow's contacts. What is
  // queued (an answer in flight) is written first, then a WebSocket Close with 1008 "policy
  // violation" (RFC 6455 §7.4.1) says why; the WIC must connect and register again (RFC 5626
  // §4.2 flow recovery).
  node_->transport().close(*flow, transport::CloseMode::kPolicyClose);
  common::counter("ep_cscf.flow.closed_by_admin").inc();
  return true;
}

cscf_node::NodeStats Server::stats() const {
  return running_ ? node_->stats() : cscf_node::NodeStats{};
}

std::vector<std::string> Server::blocks_down() const {
  std::vector<std::string> down;
  if (!runtime_) {
    return down;
  }
  for (const WimpuDomain& d : config_.domains) {
    if (runtime_->blocks.down_until(d.block.id)) {
      down.push_back(d.block.id);
    }
  }
  return down;
}

void Server::stop() {
  if (!running_) {
    return;
  }
  drain();
  running_ = false;
  // Issue 7 drain: every WIC gets a WebSocket Close 1001 "going away" (RFC 6455 §7.4.1) and
  // reconnects (to another eP-CSCF); then the shards are joined and the policies destroyed.
  node_->stop(transport::CloseMode::kGoingAway);
  blocks_.clear();
  policies_.clear();
  // The registrars and key stores hold executors of the node's pool: go before it does.
  registrars_.clear();
  stores_.clear();
  trust_.reset();
  node_.reset();
  runtime_.reset();
}

const std::vector<transport::ListenerInfo>& Server::listeners() const {
  return node_->listeners();
}

registrar::W4& Server::w4(std::size_t shard) {
  return *registrars_.at(registrars_.size() == 1 ? 0 : shard);
}

}  // namespace wimpu::ep_cscf
