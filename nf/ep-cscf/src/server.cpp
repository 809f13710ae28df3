#include "wimpu/ep_cscf/server.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "shard_stack.hpp"
#include "wimpu/registrar/memory_registrar.hpp"
#include "wimpu/registrar/redis_registrar.hpp"
#include "wimpu/token/key_store.hpp"

namespace wimpu::ep_cscf {
namespace {

// RFC 7118 §7: only pages from allowed origins may open SIP WebSockets to us (403 otherwise).
transport::WsHandshakeHook origin_hook(std::vector<std::string> allowed) {
  if (allowed.empty()) {
    return {};
  }
  return [allowed = std::move(allowed)](const transport::WsHandshakeRequest& req) {
    const bool ok = std::find(allowed.begin(), allowed.end(), req.origin) != allowed.end();
    return ok ? transport::WsHandshakeDecision::accept()
              : transport::WsHandshakeDecision::forbidden();
  };
}

std::string uri_host(const boost::asio::ip::address& a) {
  return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
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
  pool_ = std::make_unique<transport::ShardPool>(config_.shards);
  auto t = transport::NetTransport::create(*pool_, config_.transport);
  if (!t) {
    throw std::runtime_error("ep-cscf: " + t.error().message);
  }
  transport_ = std::move(*t);

  auto rt = std::make_shared<Runtime>();
  rt->config = config_;
  rt->listeners = transport_->listeners();

  // Trusted issuers' keys: one KeyStore each, shared by every shard's Verifier.
  std::vector<token::KeyStorePtr> stores;
  std::vector<registrar::BlockConfig> blocks;
  for (const WimpuDomain& d : config_.domains) {
    blocks.push_back(d.block);
    for (const TrustedIssuer& i : d.issuers) {
      const bool seen = std::any_of(stores.begin(), stores.end(),
                                    [&](const auto& s) { return s->issuer() == i.issuer; });
      if (seen) {
        continue;
      }
      token::KeyStoreOptions o;
      o.issuer = i.issuer;
      o.algorithm = i.algorithm;
      auto store = token::KeyStore::create(o, nullptr, clock_, pool_->executor(0));
      auto r = store->install(i.jwks.empty() ? read_file(i.jwks_file) : i.jwks);
      if (!r) {
        throw std::runtime_error("ep-cscf: bad JWKS for " + i.issuer);
      }
      stores.push_back(std::move(store));
    }
  }
  auto block_set = std::make_shared<const registrar::BlockSet>(std::move(blocks));
  if (config_.backend == RegistrarBackend::kMemory) {
    registrars_.push_back(std::make_unique<registrar::MemoryRegistrar>(block_set, clock_));
  } else {
    for (transport::ShardId s = 0; s < pool_->size(); ++s) {
      registrars_.push_back(std::make_unique<registrar::RedisRegistrar>(pool_->executor(s),
                                                                        block_set, config_.redis));
    }
  }

  proxy::ProxyConfig pc;
  for (const transport::ListenerInfo& l : transport_->listeners()) {
    pc.interfaces.push_back(
        proxy::Interface{l.protocol, uri_host(l.local.address), l.local.port, l.id});
  }
  if (!config_.host.empty()) {
    pc.domains.push_back(config_.host);
  }
  for (const WimpuDomain& d : config_.domains) {
    pc.domains.push_back(d.domain);
  }
  pc.supported_proxy_require = {"outbound", "path"};

  for (transport::ShardId s = 0; s < pool_->size(); ++s) {
    token::VerifierOptions vo;
    vo.audience = config_.realm;
    auto verifier =
        std::make_unique<token::Verifier>(vo, stores, clock_, pool_->executor(s));
    auto policy = std::make_unique<EpCscfPolicy>(rt, w4(s), std::move(verifier), *transport_,
                                                 pool_->executor(s));
    stacks_.push_back(std::make_unique<ShardStack>(s, *pool_, *transport_, config_.timers,
                                                   std::move(policy), pc, stacks_));
  }
  transport_->start([this](transport::ShardId s) -> transport::MessageSink& { return *stacks_[s]; },
                    origin_hook(config_.allowed_origins));
  pool_->start();
  running_ = true;
}

void Server::stop() {
  if (!running_) {
    return;
  }
  running_ = false;
  transport_->stop();
  pool_->stop_now();
  pool_->join();
  stacks_.clear();
  registrars_.clear();
  transport_.reset();
  pool_.reset();
}

const std::vector<transport::ListenerInfo>& Server::listeners() const {
  return transport_->listeners();
}

registrar::W4& Server::w4(std::size_t shard) {
  return *registrars_.at(registrars_.size() == 1 ? 0 : shard);
}

}  // namespace wimpu::ep_cscf
