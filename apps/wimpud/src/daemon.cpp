#include "wimpu/wimpud/daemon.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "config_diff.hpp"
#include "reloadable_minter.hpp"
#include "user_routes.hpp"
#include "wimpu/admin/admin_server.hpp"
#include "wimpu/admin/prometheus.hpp"
#include "wimpu/admin/registrar_routes.hpp"
#include "wimpu/admin/timed.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/cscf_node/sip_node.hpp"
#include "wimpu/diameter/node.hpp"
#include "wimpu/ei_cscf/ei_cscf.hpp"
#include "wimpu/ep_cscf/server.hpp"
#include "wimpu/hss/hss_service.hpp"
#include "wimpu/http/json.hpp"
#include "wimpu/registrar/memory_registrar.hpp"
#include "wimpu/registrar/redis_registrar.hpp"
#include "wimpu/s_cscf/s_cscf.hpp"
#include "wimpu/wimpud/self_signed.hpp"
#include "wimpu/wwsf/user_store.hpp"
#include "wimpu/wwsf/wwsf.hpp"

namespace wimpu::wimpud {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using nlohmann::json;

/// The HSS's own thread: the Hss is single-threaded (hss.hpp) and lives on this executor.
struct HssRuntime {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(io);
  std::unique_ptr<hss::HssService> service;
  std::thread thread;

  ~HssRuntime() { stop(); }
  void stop() {
    guard.reset();
    io.stop();
    if (thread.joinable()) {
      thread.join();
    }
  }
};

struct Daemon::Impl {
  DaemonConfig config;
  std::vector<BoundListener> bound;
  std::atomic<bool> draining{false};
  std::atomic<bool> started{false};
  bool stopped = false;

  std::unique_ptr<HssRuntime> hss;
  std::unique_ptr<diameter::DiameterNode> diameter;
  std::shared_ptr<ReloadableMinter> minter;
  std::unique_ptr<ep_cscf::Server> ep;
  std::unique_ptr<wwsf::Wwsf> wwsf;
  // eI-CSCF: its W4 (own memory registrar when no eP-CSCF runs here), the timed view of it,
  // per-shard Cx clients, and the node. Destroyed after the node stopped (SipNode::stop()).
  registrar::W4Ptr own_w4;
  registrar::W4Ptr ei_w4;
  // eI-CSCF alone on the redis registrar: one connection per shard, living on the shard
  // (STYLE.md), and the timed views handed to the shards' policies. Built on the main thread
  // during SipNode::start(); destroyed after the shards stopped.
  std::vector<registrar::W4Ptr> ei_shard_redis;
  std::vector<registrar::W4Ptr> ei_shard_w4;
  registrar::W4Ptr admin_redis;  // the admin endpoint's own connection (its executor)
  registrar::BlockSetPtr redis_blocks;  // set when W4 is redis without an eP-CSCF here
  std::mutex ei_clients_mutex;
  std::vector<std::unique_ptr<diameter::CxClient>> ei_clients;
  std::unique_ptr<cscf_node::SipNode> ei;
  // S-CSCF: the shared state, per-shard Cx clients (destroyed after the node stopped), the node.
  std::unique_ptr<s_cscf::ScscfService> scscf;
  std::mutex sc_clients_mutex;
  std::vector<std::unique_ptr<diameter::CxClient>> sc_clients;
  std::unique_ptr<cscf_node::SipNode> sc;
  registrar::W4Ptr admin_w4;
  std::unique_ptr<admin::AdminServer> admin;

  void add(std::string function, std::string protocol, std::string address, std::uint16_t port) {
    bound.push_back(BoundListener{std::move(function), std::move(protocol), std::move(address), port});
  }

  void add_sip(const std::string& function, const std::vector<transport::ListenerInfo>& ls) {
    for (const auto& l : ls) {
      add(function, std::string(transport::to_string(l.protocol)), l.local.address.to_string(),
          l.local.port);
    }
  }

  void prepare_state();
  void start_hss();
  void start_diameter();
  void start_ep_cscf();
  void start_wwsf();
  void start_ei_cscf();
  void start_s_cscf();
  std::unique_ptr<diameter::CxClient> cx_client(CxMode mode, const std::string& realm,
                                                const std::string& host,
                                                std::chrono::milliseconds timeout,
                                                asio::any_io_executor ex);
  void start_admin();
  std::vector<std::string> not_ready() const;
  json health() const;
  ReloadReport refuse(const std::string& why);
  std::string gauges() const;
  /// The name of this daemon's /metrics source (admin::set_metrics_source).
  std::string metrics_source_name() const {
    return "wimpud@" + std::to_string(reinterpret_cast<std::uintptr_t>(this));
  }
  void stop();
};

void Daemon::Impl::prepare_state() {
  std::error_code ec;
  fs::create_directories(config.state_dir, ec);
  if (ec) {
    throw std::runtime_error("cannot create state_dir " + config.state_dir.string() + ": " +
                             ec.message());
  }
  if (config.tls.self_signed) {
    auto made = ensure_self_signed(config.tls.cert_file, config.tls.key_file, config.tls.hosts);
    if (!made) {
      throw std::runtime_error("tls: " + made.error());
    }
    if (*made) {
      std::fprintf(stderr, "wimpud: generated a self-signed certificate %s\n",
                   config.tls.cert_file.c_str());
    }
  }
  if (config.wwsf && !config.demo_user.empty()) {
    const std::string& path = config.wwsf->user_store_path;
    auto lock = wwsf::UserStoreLock::acquire(path);
    if (!lock) {
      throw std::runtime_error("wwsf: " + lock.error());
    }
    auto store = wwsf::UserStore::load(path);
    if (!store) {
      throw std::runtime_error("wwsf: " + store.error());
    }
    // Only into an empty store: the demo user is a first-run convenience, never a back door
    // re-created after the admin deleted it.
    if (store->users().empty()) {
      auto hash = wwsf::hash_password(config.demo_password);
      if (!hash) {
        throw std::runtime_error("wwsf: cannot hash the demo password");
      }
      wwsf::User u;
      u.username = config.demo_user;
      u.password_hash = std::move(*hash);
      if (auto r = store->add(std::move(u)); !r) {
        throw std::runtime_error("wwsf: demo user: " + r.error());
      }
      if (auto r = store->save(); !r) {
        throw std::runtime_error("wwsf: " + r.error());
      }
      std::fprintf(stderr, "wimpud: created the demo user \"%s\" in %s\n",
                   config.demo_user.c_str(), path.c_str());
    }
  }
}

void Daemon::Impl::start_hss() {
  auto store = hss::SubscriberStore::load(config.hss->subscribers);
  if (!store) {
    throw std::runtime_error("hss: " + store.error());
  }
  hss = std::make_unique<HssRuntime>();
  hss->service = std::make_unique<hss::HssService>(hss->io.get_executor(), std::move(*store),
                                                   config.hss->identity, config.hss->realm);
  hss->thread = std::thread([rt = hss.get()] { rt->io.run(); });
}

void Daemon::Impl::start_diameter() {
  diameter = diameter::DiameterNode::start(*config.diameter);
  if (hss && config.hss->serve_diameter) {
    hss->service->serve(*diameter);
  }
  if (config.diameter->port != 0) {
    add("diameter", "diameter", config.diameter->listen_address, config.diameter->port);
  }
}

void Daemon::Impl::start_ep_cscf() {
  ep_cscf::EpCscfConfig c = *config.ep_cscf;
  // Issuers without a JWKS file are this process's WWSF (parse_config checked): its public keys
  // come straight from the minter, so a key made fresh at start is trusted at once.
  for (auto& d : c.domains) {
    for (auto& i : d.issuers) {
      if (i.jwks_file.empty() && i.jwks.empty()) {
        i.jwks = minter->jwks_json();
      }
    }
  }
  ep = std::make_unique<ep_cscf::Server>(std::move(c));
  try {
    ep->start();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("ep_cscf: ") + e.what());
  }
  add_sip("ep_cscf", ep->listeners());
}

void Daemon::Impl::start_wwsf() {
  wwsf::WwsfConfig c = *config.wwsf;
  if (c.wic.ws_urls.empty() && ep) {
    // The WIC reaches the eP-CSCF's WebSocket listeners as bound (ports may have been 0).
    for (const auto& l : ep->listeners()) {
      if (transport::is_websocket(l.protocol)) {
        const std::string scheme = l.protocol == transport::Protocol::kWss ? "wss://" : "ws://";
        c.wic.ws_urls.push_back(scheme + l.local.to_string());
      }
    }
  }
  auto w = wwsf::Wwsf::create(std::move(c), minter);
  if (!w) {
    throw std::runtime_error("wwsf: " + w.error());
  }
  wwsf = std::move(*w);
  if (auto r = wwsf->start(); !r) {
    throw std::runtime_error("wwsf: " + r.error());
  }
  add("wwsf", config.wwsf->plain_http_for_tests ? "http" : "https", config.wwsf->listen_address,
      wwsf->port());
}

void Daemon::Impl::start_ei_cscf() {
  const EiCscfSection& e = *config.ei_cscf;
  registrar::W4* w4 = nullptr;
  if (ep) {
    // One process: the eP-CSCF's registrar is the one the eI-CSCF must consult (memory: shared
    // by every shard; redis: shard 0's connection, callable from any executor per W4).
    w4 = &ep->w4(0);
  } else if (!config.blocks.empty() &&
             config.registrar.backend == ep_cscf::RegistrarBackend::kRedis) {
    redis_blocks = std::make_shared<registrar::BlockSet>(config.blocks);  // per shard, below
  } else if (!config.blocks.empty()) {
    own_w4 = std::make_unique<registrar::MemoryRegistrar>(
        std::make_shared<registrar::BlockSet>(config.blocks),
        std::make_shared<common::SystemClock>());
    w4 = own_w4.get();
  }
  if (w4 != nullptr && !e.policy.wimpu_domains.empty()) {
    // always_suspend: the eI-CSCF cannot take an inline W4 completion (see make_timed_w4()).
    ei_w4 = admin::make_timed_w4(*w4, /*always_suspend=*/true);
  }
  ei = std::make_unique<cscf_node::SipNode>(
      e.sip, [this](transport::ShardId, asio::any_io_executor ex) {
        const EiCscfSection& s = *config.ei_cscf;
        std::unique_ptr<diameter::CxClient> cx =
            cx_client(s.cx, s.hss_realm, s.hss_host, s.hss_timeout, ex);
        diameter::CxClient* raw_cx = cx.get();
        {
          std::lock_guard lock(ei_clients_mutex);
          ei_clients.push_back(std::move(cx));
        }
        registrar::W4* shard_w4 = ei_w4.get();
        if (redis_blocks && !s.policy.wimpu_domains.empty()) {
          ei_shard_redis.push_back(std::make_unique<registrar::RedisRegistrar>(
              ex, redis_blocks, config.registrar.redis));
          ei_shard_w4.push_back(admin::make_timed_w4(*ei_shard_redis.back()));
          shard_w4 = ei_shard_w4.back().get();
        }
        auto policy = std::make_unique<ei_cscf::EiCscfPolicy>(ex, *raw_cx, shard_w4, s.policy);
        ei_cscf::EiCscfPolicy* raw = policy.get();
        return cscf_node::ShardPolicy{std::move(policy),
                                      [raw](proxy::Proxy& p) { raw->attach(p); }};
      });
  try {
    ei->start();
  } catch (const std::exception& ex) {
    throw std::runtime_error(std::string("ei_cscf: ") + ex.what());
  }
  add_sip("ei_cscf", ei->listeners());
}

std::unique_ptr<diameter::CxClient> Daemon::Impl::cx_client(CxMode mode,
                                                            const std::string& realm,
                                                            const std::string& host,
                                                            std::chrono::milliseconds timeout,
                                                            asio::any_io_executor ex) {
  std::unique_ptr<diameter::CxClient> cx;
  if (mode == CxMode::kInProcess) {
    cx = hss->service->make_in_process_client(ex);
  } else {
    cx = diameter->make_cx_client(ex, diameter::CxClientOptions{realm, host, timeout});
  }
  return admin::make_timed_cx(std::move(cx));
}

void Daemon::Impl::start_s_cscf() {
  const ScscfSection& s = *config.s_cscf;
  scscf = std::make_unique<s_cscf::ScscfService>(s.policy, std::make_shared<common::SystemClock>());
  sc = std::make_unique<cscf_node::SipNode>(
      s.sip, [this](transport::ShardId shard, asio::any_io_executor ex) {
        const ScscfSection& c = *config.s_cscf;
        std::unique_ptr<diameter::CxClient> cx =
            cx_client(c.cx, c.hss_realm, c.hss_host, c.hss_timeout, ex);
        diameter::CxClient* raw = cx.get();
        {
          std::lock_guard lock(sc_clients_mutex);
          sc_clients.push_back(std::move(cx));
        }
        return scscf->make_shard_policy(shard, ex, *raw);
      });
  try {
    sc->start();
  } catch (const std::exception& ex) {
    throw std::runtime_error(std::string("s_cscf: ") + ex.what());
  }
  add_sip("s_cscf", sc->listeners());
}

std::vector<std::string> Daemon::Impl::not_ready() const {
  std::vector<std::string> why;
  if (draining) {
    why.emplace_back("draining");
  } else if (!started) {
    why.emplace_back("starting");
  } else if (ep) {
    // A block not (yet) registered with the core turns its WICs away with 503: not ready.
    for (const std::string& b : ep->blocks_down()) {
      why.push_back("ep_cscf: block " + b + " is not registered with the IMS core");
    }
  }
  return why;
}

json Daemon::Impl::health() const {
  json functions = json::object();
  auto state = [this] {
    return draining ? "draining" : (started ? "running" : "starting");
  };
  for (const char* f : {"wwsf", "ep_cscf", "ei_cscf", "s_cscf", "hss"}) {
    const bool configured = (std::string_view(f) == "wwsf" && config.wwsf) ||
                            (std::string_view(f) == "ep_cscf" && config.ep_cscf) ||
                            (std::string_view(f) == "ei_cscf" && config.ei_cscf) ||
                            (std::string_view(f) == "s_cscf" && config.s_cscf) ||
                            (std::string_view(f) == "hss" && config.hss);
    if (!configured) {
      continue;
    }
    json ls = json::array();
    for (const auto& b : bound) {
      if (b.function == f) {
        ls.push_back(json{{"protocol", b.protocol}, {"address", b.address}, {"port", b.port}});
      }
    }
    functions[f] = json{{"state", state()}, {"listeners", ls}};
  }
  return json{{"ready", not_ready().empty()}, {"functions", functions}};
}

std::string Daemon::Impl::gauges() const {
  // Read at scrape time on the admin thread; every shard answers for its own tables.
  std::string flows = "# TYPE wimpu_sip_flows gauge\n";
  std::string transactions = "# TYPE wimpu_sip_transactions gauge\n";
  std::string contexts = "# TYPE wimpu_sip_proxy_contexts gauge\n";
  auto add = [&](const std::string& f, const cscf_node::NodeStats& st) {
    const std::string l = "{function=\"" + f + "\"";
    flows += "wimpu_sip_flows" + l + "} " + std::to_string(st.flows) + "\n";
    transactions += "wimpu_sip_transactions" + l + ",kind=\"server\"} " +
                    std::to_string(st.server_transactions) + "\n";
    transactions += "wimpu_sip_transactions" + l + ",kind=\"client\"} " +
                    std::to_string(st.client_transactions) + "\n";
    contexts += "wimpu_sip_proxy_contexts" + l + "} " + std::to_string(st.proxy_contexts) + "\n";
  };
  if (draining) {
    return {};  // the nodes are stopping: nothing to ask them
  }
  if (ep) {
    add("ep_cscf", ep->stats());
  }
  if (ei) {
    add("ei_cscf", ei->stats());
  }
  if (sc) {
    add("s_cscf", sc->stats());
  }
  return flows + transactions + contexts;
}

void Daemon::Impl::start_admin() {
  admin = std::make_unique<admin::AdminServer>(*config.admin);
  admin->set_ready_check([this] { return not_ready(); });
  admin->router().add(http::Verb::get, "/admin/health",
                      [this](const http::Request& req, const http::RequestInfo&) {
                        return http::json_response(req, http::Status::ok, health());
                      });
  registrar::W4* w4 = ep ? &ep->w4(0) : own_w4.get();
  if (w4 == nullptr && redis_blocks) {
    admin_redis = std::make_unique<registrar::RedisRegistrar>(admin->executor(), redis_blocks,
                                                              config.registrar.redis);
    w4 = admin_redis.get();
  }
  if (w4 != nullptr) {
    admin_w4 = admin::make_timed_w4(*w4);
    admin::FlowCloser closer;
    if (ep) {
      // A kick closes the WIC's WebSocket when this eP-CSCF holds it (issue 7).
      closer = [this](const registrar::ContactInfo& c) {
        return c.epcscf_instance == config.ep_cscf->instance_id && ep->close_flow(c.flow_token);
      };
    }
    admin::add_registrar_routes(admin->router(), *admin_w4, std::move(closer));
    admin::add_block_usage_metrics(admin->router(), *admin_w4);
    // Ready also means the registrar answers (redis reachable, its functions loaded).
    admin::add_registrar_readiness(admin->router(), *admin_w4, [this] { return not_ready(); });
  }
  if (config.wwsf) {
    add_user_routes(admin->router(), config.wwsf->user_store_path);
  }
  // One source per Daemon (tests run two in a process): named after this object.
  admin::set_metrics_source(metrics_source_name(), [this] { return gauges(); });
  if (auto r = admin->start(); !r) {
    admin::clear_metrics_source(metrics_source_name());
    throw std::runtime_error(r.error());
  }
  add("admin", "http", config.admin->address, admin->port());
}

void Daemon::Impl::stop() {
  if (stopped) {
    return;
  }
  stopped = true;
  draining = true;
  // Issue 7 "SIGTERM drains": readiness is false from here; the WWSF stops minting; the eP-CSCF
  // de-registers its blocks upstream while the eI-CSCF and S-CSCF of this process still run;
  // then every WIC's WebSocket closes with 1001 going away (ep_cscf::Server::stop) so the WICs
  // reconnect elsewhere.
  if (wwsf) {
    wwsf->stop();  // first: no new tokens while the SIP side drains
  }
  if (admin) {
    admin->stop();  // before the W4 it routes to goes away (ep_cscf::Server::w4 contract)
    admin::clear_metrics_source(metrics_source_name());
  }
  if (ep) {
    // First among the SIP functions: its block de-registration goes through the eI-CSCF and
    // S-CSCF of this process, which must still run. The eP-CSCF itself (and the W4 the eI-CSCF
    // and the admin routes use) stops after them.
    ep->drain();
  }
  if (ei) {
    ei->stop();  // shards joined: no policy coroutine runs any more
  }
  if (sc) {
    sc->stop();
  }
  {
    std::lock_guard lock(sc_clients_mutex);
    sc_clients.clear();
  }
  sc.reset();
  scscf.reset();
  if (ep) {
    ep->stop();
  }
  // The eI-CSCF's per-shard resources go while the shards' io_contexts still exist (stopped, not
  // destroyed): RedisRegistrar's destructor closes its connection on its executor's objects.
  ei_shard_w4.clear();
  ei_shard_redis.clear();
  {
    std::lock_guard lock(ei_clients_mutex);
    ei_clients.clear();
  }
  ei_w4.reset();
  ei.reset();  // policies (holding references to the above) go with it; nothing runs them now
  admin_w4.reset();
  admin_redis.reset();  // the admin io_context stopped but still exists
  wwsf.reset();
  ep.reset();
  own_w4.reset();
  if (hss) {
    hss->stop();
  }
  diameter.reset();  // DPR to peers, freeDiameter threads joined
  hss.reset();
  admin.reset();
}

Daemon::Daemon(DaemonConfig config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
}

Daemon::~Daemon() { drain(); }

Expected<void, std::string> Daemon::start() {
  Impl& d = *impl_;
  try {
    d.prepare_state();
    if (d.config.hss) {
      d.start_hss();
    }
    if (d.config.diameter) {
      d.start_diameter();
    }
    if (d.config.wwsf) {
      auto m = wwsf::make_minter(*d.config.wwsf);
      if (!m) {
        throw std::runtime_error("wwsf: " + m.error());
      }
      d.minter = std::make_shared<ReloadableMinter>(std::move(*m));
    }
    if (d.config.s_cscf) {
      // Before the eP-CSCF: a block registration at start-up goes through the eI-CSCF to it.
      d.start_s_cscf();
    }
    if (d.config.ep_cscf) {
      d.start_ep_cscf();
    }
    if (d.config.wwsf) {
      d.start_wwsf();
    }
    if (d.config.ei_cscf) {
      d.start_ei_cscf();
    }
    if (d.config.admin) {
      d.start_admin();
    }
  } catch (const std::exception& e) {
    common::counter("wimpud.start_failed").inc();
    d.stop();
    return std::string(e.what());
  }
  d.started = true;
  return {};
}

std::vector<std::string> Daemon::reload() {
  const DaemonConfig running = impl_->config;  // a copy: reload() updates impl_->config
  return reload(running).lines;
}

ReloadReport Daemon::reload(const Expected<DaemonConfig, ConfigError>& next) {
  if (!next) {
    return impl_->refuse("config error at " + next.error().key + ": " + next.error().reason);
  }
  return reload(*next);
}

ReloadReport Daemon::Impl::refuse(const std::string& why) {
  common::counter("wimpud.reload.refused").inc();
  ReloadReport r;
  r.lines.push_back("reload refused, the running configuration stays: " + why);
  return r;
}

ReloadReport Daemon::reload(const DaemonConfig& next) {
  Impl& d = *impl_;
  if (!d.started || d.draining) {
    return d.refuse("not running");
  }
  // Phase 1: validate and build everything the new configuration needs; nothing is in force
  // yet, so any failure refuses the reload as a whole (issue 7: atomic reload).
  std::shared_ptr<const hss::SubscriberStore> subscribers;
  if (d.hss && next.hss) {
    auto store = hss::SubscriberStore::load(next.hss->subscribers);
    if (!store) {
      return d.refuse("hss.subscribers: " + store.error());
    }
    subscribers = std::move(*store);
  }
  wwsf::TokenMinterPtr minter;
  if (d.wwsf && next.wwsf && !next.wwsf->signing_key_file.empty()) {
    auto m = wwsf::make_minter(*next.wwsf);
    if (!m) {
      return d.refuse("wwsf.signing_key_file: " + m.error());
    }
    minter = std::move(*m);
  }
  ep_cscf::PreparedReloadPtr ep;
  if (d.ep && next.ep_cscf) {
    ep_cscf::EpCscfConfig c = *next.ep_cscf;
    for (std::size_t di = 0; di < c.domains.size(); ++di) {
      for (std::size_t ii = 0; ii < c.domains[di].issuers.size(); ++ii) {
        ep_cscf::TrustedIssuer& i = c.domains[di].issuers[ii];
        if (!i.jwks_file.empty() || !i.jwks.empty()) {
          continue;
        }
        // This process's WWSF (parse_config checked), with the keys it will mint with.
        if (!minter && !d.minter) {
          return d.refuse("ep_cscf.domains[" + std::to_string(di) + "].issuers[" +
                          std::to_string(ii) + "]: no [wwsf] runs in this process to take "
                          "the keys of " + i.issuer + " from (adding [wwsf] needs a restart)");
        }
        i.jwks = minter ? minter->jwks_json() : d.minter->jwks_json();
      }
    }
    auto p = d.ep->prepare_reload(c);
    if (!p) {
      return d.refuse(p.error());
    }
    ep = std::move(*p);
  }

  // Phase 2: put it in force; nothing here can fail.
  ReloadReport report;
  report.applied = true;
  std::vector<std::string>& lines = report.lines;
  if (subscribers) {
    d.hss->service->reload(std::move(subscribers));
    d.config.hss->subscribers = next.hss->subscribers;
    lines.push_back("hss: reloaded " + next.hss->subscribers.string());
  }
  if (d.wwsf) {
    if (minter) {
      d.minter->replace(std::move(minter));
      d.config.wwsf->signing_key_file = next.wwsf->signing_key_file;
      d.config.wwsf->retired_key_files = next.wwsf->retired_key_files;
      lines.push_back("wwsf: signing keys reloaded from " + next.wwsf->signing_key_file);
    } else {
      lines.push_back("wwsf: no signing_key_file (a fresh key per start): keys kept");
    }
    if (next.wwsf) {
      d.wwsf->set_allowed_origins(next.wwsf->allowed_origins);
      d.config.wwsf->allowed_origins = next.wwsf->allowed_origins;
      lines.push_back("wwsf: allowed_origins: " +
                      std::to_string(next.wwsf->allowed_origins.size()) + " cross origin(s)");
    }
    lines.push_back("wwsf: users are re-read when " + d.config.wwsf->user_store_path +
                    " changes (nothing to do)");
  }
  if (ep) {
    for (std::string& l : d.ep->commit_reload(ep)) {
      lines.push_back(std::move(l));
    }
    for (std::size_t i = 0; i < d.config.ep_cscf->domains.size(); ++i) {
      d.config.ep_cscf->domains[i].issuers = d.ep->config().domains.at(i).issuers;
    }
    d.config.ep_cscf->allowed_origins = d.ep->config().allowed_origins;
  }
  // Everything else the file changed keeps its running value until a restart: name each key.
  for (const std::string& key : changed_keys(d.config.source, next.source)) {
    if (!is_reloadable(key)) {
      common::counter("wimpud.reload.restart_needed").inc();
      lines.push_back("restart needed: " + key + " changed; the running value stays until "
                      "wimpud restarts");
    }
  }
  adopt_reloadable(d.config.source, next.source);
  common::counter("wimpud.reload").inc();
  return report;
}

void Daemon::drain() { impl_->stop(); }

const std::vector<BoundListener>& Daemon::listeners() const { return impl_->bound; }

std::uint16_t Daemon::admin_port() const { return impl_->admin ? impl_->admin->port() : 0; }

std::string Daemon::wwsf_url() const {
  if (!impl_->wwsf) {
    return {};
  }
  const auto& w = *impl_->config.wwsf;
  boost::system::error_code ec;
  const auto a = asio::ip::make_address(w.listen_address, ec);
  std::string host = w.listen_address;
  if (!ec && a.is_unspecified()) {
    host = "127.0.0.1";
  } else if (!ec && a.is_v6()) {
    host = "[" + host + "]";
  }
  return std::string(w.plain_http_for_tests ? "http://" : "https://") + host + ":" +
         std::to_string(impl_->wwsf->port()) + "/";
}

const DaemonConfig& Daemon::config() const { return impl_->config; }

}  // namespace wimpu::wimpud
