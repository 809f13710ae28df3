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

// RFC 7118 §7: only pages from allowed origins may open SIP WebSockets to us (403 otherwise).
// The list is read per upgrade, so reload() applies to the next one.
template <typename Origins>
transport::WsHandshakeHook origin_hook(std::shared_ptr<Origins> origins) {
  return [origins = std::move(origins)](const transport::WsHandshakeRequest& req) {
    std::lock_guard<std::mutex> lock(origins->mutex);
    const auto& allowed = origins->allowed;
    const bool ok = allowed.empty() ||
                    std::find(allowed.begin(), allowed.end(), req.origin) != allowed.end();
    return ok ? transport::WsHandshakeDecision::accept()
              : transport::WsHandshakeDecision::forbidden();
  };
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("ep-cscf: cannot read " + path);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Server::Server(EpCscfConfig config, common::ClockPtr clock)
    : config_(std::move(config)),
      clock_(clock ? std::move(clock) : std::make_shared<common::SystemClock>()) {}

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
  {
    std::lock_guard<std::mutex> lock(origins_->mutex);
    origins_->allowed = config_.allowed_origins;
  }
  nc.ws_handshake = origin_hook(origins_);
  node_ = std::make_unique<cscf_node::SipNode>(
      std::move(nc), [this](transport::ShardId s, boost::asio::any_io_executor ex) {
        return make_policy(s, std::move(ex));
      });
  node_->create_pool();
  transport::ShardPool& pool = node_->pool();

  // Trusted issuers' keys: one KeyStore each, shared by every shard's Verifier.
  std::vector<registrar::BlockConfig> blocks;
  for (const WimpuDomain& d : config_.domains) {
    blocks.push_back(d.block);
    for (const TrustedIssuer& i : d.issuers) {
      const bool seen = std::any_of(stores_.begin(), stores_.end(),
                                    [&](const auto& s) { return s->issuer() == i.issuer; });
      if (seen) {
        continue;
      }
      token::KeyStoreOptions o;
      o.issuer = i.issuer;
      o.algorithm = i.algorithm;
      auto store = token::KeyStore::create(o, nullptr, clock_, pool.executor(0));
      auto r = store->install(i.jwks.empty() ? read_file(i.jwks_file) : i.jwks);
      if (!r) {
        throw std::runtime_error("ep-cscf: bad JWKS for " + i.issuer);
      }
      stores_.push_back(std::move(store));
    }
  }
  auto block_set = std::make_shared<const registrar::BlockSet>(std::move(blocks));
  if (config_.backend == RegistrarBackend::kMemory) {
    registrars_.push_back(std::make_unique<registrar::MemoryRegistrar>(block_set, clock_));
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
  auto policy = std::make_unique<EpCscfPolicy>(runtime_, w4(s), std::move(verifier),
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

std::vector<std::string> Server::reload(const EpCscfConfig& fresh) {
  std::vector<std::string> done;
  if (!running_) {
    return done;
  }
  // Trusted issuers: new keys for the ones we have (their KeyStores are shared by every shard's
  // Verifier; install() is thread-safe and keeps the old set when the document is bad).
  std::vector<std::string> seen;
  for (const WimpuDomain& d : fresh.domains) {
    for (const TrustedIssuer& i : d.issuers) {
      if (std::find(seen.begin(), seen.end(), i.issuer) != seen.end()) {
        continue;
      }
      seen.push_back(i.issuer);
      auto store = std::find_if(stores_.begin(), stores_.end(),
                                [&](const auto& s) { return s->issuer() == i.issuer; });
      if (store == stores_.end()) {
        common::counter("ep_cscf.reload.needs_restart").inc();
        done.push_back("ep_cscf: new trusted issuer " + i.issuer + " needs a restart");
        continue;
      }
      std::string jwks = i.jwks;
      if (jwks.empty()) {
        try {
          jwks = read_file(i.jwks_file);
        } catch (const std::exception& e) {
          common::counter("ep_cscf.reload.jwks_failed").inc();
          done.push_back("ep_cscf: " + std::string(e.what()) + "; keeping the keys of " + i.issuer);
          continue;
        }
      }
      auto r = (*store)->install(jwks);
      if (!r) {
        common::counter("ep_cscf.reload.jwks_failed").inc();
        done.push_back("ep_cscf: bad JWKS for " + i.issuer + "; keeping its keys in force");
        continue;
      }
      done.push_back("ep_cscf: keys of " + i.issuer + ": " +
                     std::string(token::name(*r)));
    }
  }
  for (const auto& s : stores_) {
    if (std::find(seen.begin(), seen.end(), s->issuer()) == seen.end()) {
      common::counter("ep_cscf.reload.needs_restart").inc();
      done.push_back("ep_cscf: removing trusted issuer " + s->issuer() + " needs a restart");
    }
  }
  {
    std::lock_guard<std::mutex> lock(origins_->mutex);
    origins_->allowed = fresh.allowed_origins;
  }
  done.push_back("ep_cscf: allowed origins: " + std::to_string(fresh.allowed_origins.size()) +
                 (fresh.allowed_origins.empty() ? " (any)" : ""));
  common::counter("ep_cscf.reload").inc();
  return done;
}

bool Server::close_flow(std::string_view flow_token) {
  if (!running_) {
    return false;
  }
  auto flow = node_->transport().decode_flow_token(flow_token);
  if (!flow || !node_->transport().is_live(*flow)) {
    return false;
  }
  // The transport tells the policy (on_flow_closed), which removes the flow's contacts.
  node_->transport().close(*flow, transport::CloseMode::kFlushWrites);
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
    if (!runtime_->blocks.get(d.block.id).up) {
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
  node_->stop();  // joins the shards, then destroys the policies
  blocks_.clear();
  policies_.clear();
  // The registrars and key stores hold executors of the node's pool: go before it does.
  registrars_.clear();
  stores_.clear();
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
