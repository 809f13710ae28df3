#include "wimpu/wimpud/config.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "config_reader.hpp"
#include "wimpu/diameter/node_config_toml.hpp"
#include "wimpu/ep_cscf/config_toml.hpp"
#include "wimpu/wwsf/user_store.hpp"

namespace wimpu::wimpud {
namespace {

using detail::fail;
using detail::Section;
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::int64_t kMaxPort = 65535;
constexpr std::int64_t kDay = 86400;

std::string resolve(const fs::path& base, const std::string& p) {
  if (p.empty()) {
    return p;
  }
  const fs::path path(p);
  return path.is_absolute() ? p : (base / path).lexically_normal().string();
}

/// Files a TLS listener or the WWSF uses: its own, else the shared [tls] ones.
struct TlsUse {
  std::string cert;
  std::string key;
};

class Parser {
public:
  Parser(const toml::table& root, fs::path base) : root_(root, ""), base_(std::move(base)) {}

  DaemonConfig run() {
    c_.base_dir = base_;
    wimpud_section();
    admin_section();
    tls_section();
    blocks_section();
    registrar_section();
    if (root_.has("diameter")) {
      root_.skip("diameter");
      const toml::table& t = *root_.raw().get("diameter")->as_table();
      auto node = diameter::parse_node_config(t, base_);
      if (!node) {
        fail("diameter", node.error());
      }
      c_.diameter = std::move(*node);
    }
    if (auto s = root_.table("hss")) {
      hss_section(*s);
    }
    if (auto s = root_.table("wwsf")) {
      // Read early: the eP-CSCF's trusted issuers may name this WWSF.
      wwsf_present_ = true;
      wwsf_issuer_ = s->required_str("issuer");
    }
    if (auto s = root_.table("ep_cscf")) {
      ep_cscf_section(*s);
    }
    if (auto s = root_.table("wwsf")) {
      wwsf_section(*s);
    }
    if (auto s = root_.table("ei_cscf")) {
      ei_cscf_section(*s);
    }
    if (auto s = root_.table("s_cscf")) {
      s_cscf_section(*s);
    }
    root_.finish();
    if (!c_.wwsf && !c_.ep_cscf && !c_.ei_cscf && !c_.s_cscf && !c_.hss) {
      fail("(file)",
           "names no network function: add [wwsf], [ep_cscf], [ei_cscf], [s_cscf] or [hss]");
    }
    return std::move(c_);
  }

private:
  void wimpud_section() {
    c_.state_dir = resolve(base_, "state");
    if (auto s = root_.table("wimpud")) {
      c_.state_dir = resolve(base_, s->str("state_dir", "state"));
      s->finish();
    }
  }

  void admin_section() {
    admin::AdminOptions a;
    a.port = 9180;
    bool enabled = true;
    if (auto s = root_.table("admin")) {
      enabled = s->boolean("enabled", true);
      a.address = s->str("address", a.address);
      a.port = static_cast<std::uint16_t>(s->integer("port", a.port, 0, kMaxPort));
      s->finish();
    }
    if (enabled) {
      c_.admin = a;
    }
  }

  void tls_section() {
    if (auto s = root_.table("tls")) {
      c_.tls.cert_file = resolve(base_, s->str("cert_file", ""));
      c_.tls.key_file = resolve(base_, s->str("key_file", ""));
      c_.tls.self_signed = s->boolean("self_signed", false);
      c_.tls.hosts = s->strings("hosts", c_.tls.hosts);
      if (c_.tls.cert_file.empty() != c_.tls.key_file.empty()) {
        fail(s->key(c_.tls.cert_file.empty() ? "cert_file" : "key_file"),
             "cert_file and key_file go together");
      }
      s->finish();
    }
    if (c_.tls.self_signed && c_.tls.cert_file.empty()) {
      c_.tls.cert_file = (c_.state_dir / "tls" / "cert.pem").string();
      c_.tls.key_file = (c_.state_dir / "tls" / "key.pem").string();
    }
  }

  /// The files a TLS user at `key` gets: its own pair, else [tls].
  TlsUse tls_for(Section& s, const std::string& user_key) {
    TlsUse t{resolve(base_, s.str("cert_file", "")), resolve(base_, s.str("key_file", ""))};
    if (t.cert.empty() != t.key.empty()) {
      fail(s.key(t.cert.empty() ? "cert_file" : "key_file"), "cert_file and key_file go together");
    }
    if (t.cert.empty()) {
      if (c_.tls.cert_file.empty()) {
        fail(user_key, "needs a certificate: set its cert_file/key_file, [tls] cert_file/key_file,"
                       " or [tls] self_signed = true");
      }
      t = TlsUse{c_.tls.cert_file, c_.tls.key_file};
    }
    return t;
  }

  void blocks_section() {
    for (Section& s : root_.tables("blocks")) {
      registrar::BlockConfig b;
      b.id = s.required_str("id");
      b.domains = s.strings("domains");
      if (b.domains.empty()) {
        fail(s.key("domains"), "at least one SIP domain is required");
      }
      b.range_first = s.str("range_first", "");
      b.range_last = s.str("range_last", "");
      b.impus = s.strings("impus");
      if (b.impus.empty() && (b.range_first.empty() || b.range_last.empty())) {
        fail(s.key("range_first"), "a block needs range_first and range_last, or impus");
      }
      b.render_sip = s.boolean("render_sip", true);
      b.render_tel = s.boolean("render_tel", false);
      b.wildcard = s.str("wildcard", "");
      b.epcscf = s.str("epcscf", "");
      b.quarantine = seconds(s.integer("quarantine_s", 60, 0, 7 * kDay));
      b.max_contacts = static_cast<std::uint32_t>(s.integer("max_contacts", 16, 1, 1024));
      s.finish();
      c_.blocks.push_back(std::move(b));
    }
    if (!c_.blocks.empty()) {
      try {
        registrar::BlockSet check(c_.blocks);
      } catch (const std::invalid_argument& e) {
        fail("blocks", e.what());
      }
    }
  }

  const registrar::BlockConfig* block(const std::string& id) const {
    for (const auto& b : c_.blocks) {
      if (b.id == id) {
        return &b;
      }
    }
    return nullptr;
  }

  void registrar_section() {
    if (auto s = root_.table("registrar")) {
      const std::string backend = s->choice("backend", "memory", {"memory", "redis"});
      c_.registrar.backend = backend == "redis" ? ep_cscf::RegistrarBackend::kRedis
                                                : ep_cscf::RegistrarBackend::kMemory;
      if (auto r = s->table("redis")) {
        c_.registrar.redis.host = r->str("host", c_.registrar.redis.host);
        c_.registrar.redis.port =
            static_cast<std::uint16_t>(r->integer("port", c_.registrar.redis.port, 1, kMaxPort));
        c_.registrar.redis.op_timeout = milliseconds(r->integer("op_timeout_ms", 2000, 1, 60000));
        r->finish();
      }
      s->finish();
    }
  }

  std::vector<transport::ListenerConfig> listeners(Section& parent) {
    std::vector<transport::ListenerConfig> out;
    std::vector<Section> ls = parent.tables("listeners");
    if (ls.empty()) {
      fail(parent.key("listeners"), "at least one [[" + parent.key("listeners") + "]] is required");
    }
    for (Section& s : ls) {
      transport::ListenerConfig l;
      const std::string p = s.choice("protocol", "udp", {"udp", "tcp", "tls", "ws", "wss"});
      l.protocol = p == "udp"   ? transport::Protocol::kUdp
                   : p == "tcp" ? transport::Protocol::kTcp
                   : p == "tls" ? transport::Protocol::kTls
                   : p == "ws"  ? transport::Protocol::kWs
                                : transport::Protocol::kWss;
      l.address = s.str("address", l.address);
      boost::system::error_code ec;
      boost::asio::ip::make_address(l.address, ec);
      if (ec) {
        fail(s.key("address"), "expected a numeric IPv4/IPv6 address, got \"" + l.address + "\"");
      }
      l.port = static_cast<std::uint16_t>(s.integer("port", 0, 0, kMaxPort));
      l.max_connections = static_cast<std::size_t>(s.integer("max_connections", 10000, 1, 1'000'000));
      if (transport::is_secure(l.protocol)) {
        TlsUse t = tls_for(s, s.key("protocol"));
        l.tls.cert_file = t.cert;
        l.tls.key_file = t.key;
      } else if (s.has("cert_file") || s.has("key_file")) {
        fail(s.key(s.has("cert_file") ? "cert_file" : "key_file"),
             "only tls and wss listeners take a certificate");
      }
      s.finish();
      out.push_back(std::move(l));
    }
    return out;
  }

  transaction::TimerConfig timers(Section& parent, std::chrono::seconds* timer_c) {
    transaction::TimerConfig t;
    if (auto s = parent.table("timers")) {
      t.t1 = milliseconds(s->integer("t1_ms", 500, 1, 60000));
      t.t2 = milliseconds(s->integer("t2_ms", 4000, 1, 600000));
      t.t4 = milliseconds(s->integer("t4_ms", 5000, 0, 600000));
      t.timer_d = milliseconds(s->integer("timer_d_ms", 32000, 0, 600000));
      if (timer_c != nullptr) {
        *timer_c = seconds(s->integer("timer_c_s", 181, 1, kDay));
      }
      s->finish();
    }
    return t;
  }

  /// [ep_cscf] is nf/ep-cscf's own layout (nf/ep-cscf/README.md, examples/ep-cscf.toml) nested
  /// one level down: its [ep_cscf] keys sit directly in this table and its other tables become
  /// [ep_cscf.<name>]; ep_cscf::parse_ep_cscf_config() does all the parsing. What is added here is
  /// what only one process has: WSS certificates from [tls], paths relative to this file, the
  /// [wwsf] of this process as an issuer without a JWKS, and the shared [registrar] backend.
  void ep_cscf_section(Section& s) {
    static const std::set<std::string, std::less<>> kTopLevel = {
        "listeners", "proxy", "timers", "registration", "standard", "domains"};
    toml::table root;
    toml::table own;
    for (const auto& [k, v] : s.raw()) {
      s.skip(k.str());
      if (k.str() == "registrar") {
        fail(s.key("registrar"), "wimpud's W4 backend is the top-level [registrar] (shared with "
                                 "the eI-CSCF); move the keys there");
      }
      (kTopLevel.count(k.str()) != 0 ? root : own).insert(k, v);
    }
    root.insert("ep_cscf", std::move(own));
    if (toml::array* ls = root["listeners"].as_array()) {
      for (std::size_t i = 0; i < ls->size(); ++i) {
        toml::table* l = ls->get(i)->as_table();
        if (l == nullptr) {
          continue;  // the eP-CSCF parser reports it
        }
        with_tls(*l, s.key("listeners[" + std::to_string(i) + "]"));
      }
    }
    ep_cscf::ParseOptions opts;
    if (wwsf_present_) {
      opts.keyless_issuers = {wwsf_issuer_};
    }
    opts.keyless_hint = "unless the issuer is the [wwsf] of this process (its keys are then "
                        "taken directly)";
    auto e = ep_cscf::parse_ep_cscf_config(root, opts);
    if (!e) {
      const std::string& k = e.error().key;
      fail(k == "ep_cscf" || k.rfind("ep_cscf.", 0) == 0 ? k : s.key(k), e.error().reason);
    }
    if (!c_.blocks.empty()) {
      fail("blocks", "with [ep_cscf] the blocks are its [ep_cscf.domains.block] tables; remove "
                     "[[blocks]]");
    }
    for (ep_cscf::WimpuDomain& d : e->domains) {
      for (ep_cscf::TrustedIssuer& t : d.issuers) {
        t.jwks_file = resolve(base_, t.jwks_file);
      }
      c_.blocks.push_back(d.block);
    }
    e->backend = c_.registrar.backend;
    e->redis = c_.registrar.redis;
    c_.ep_cscf = std::move(*e);
  }

  /// A tls/wss listener without its own certificate gets [tls]'s; relative paths are resolved.
  void with_tls(toml::table& l, const std::string& at) {
    const std::string protocol = l["protocol"].value_or(std::string());
    std::string cert = resolve(base_, l["cert_file"].value_or(std::string()));
    std::string key = resolve(base_, l["key_file"].value_or(std::string()));
    if ((protocol == "tls" || protocol == "wss") && cert.empty() && key.empty()) {
      if (c_.tls.cert_file.empty()) {
        fail(at + ".protocol", "needs a certificate: set its cert_file/key_file, [tls] "
                               "cert_file/key_file, or [tls] self_signed = true");
      }
      cert = c_.tls.cert_file;
      key = c_.tls.key_file;
    }
    if (!cert.empty()) {
      l.insert_or_assign("cert_file", cert);
    }
    if (!key.empty()) {
      l.insert_or_assign("key_file", key);
    }
  }

  void wwsf_section(Section& s) {
    wwsf::WwsfConfig w;
    w.issuer = s.required_str("issuer");
    w.audience = s.str("audience", c_.ep_cscf ? c_.ep_cscf->realm : "");
    if (w.audience.empty()) {
      fail(s.key("audience"), "required when this process runs no [ep_cscf] (its realm is the default)");
    }
    w.default_block = s.required_str("default_block");
    if (!c_.blocks.empty() && block(w.default_block) == nullptr) {
      fail(s.key("default_block"), "no block ([[blocks]] or [ep_cscf.domains.block]) has id \"" +
                                        w.default_block + "\"");
    }
    w.token_lifetime = seconds(s.integer("token_lifetime_s", 300, 10, kDay));
    w.signing_key_file = resolve(base_, s.str("signing_key_file", ""));
    for (const std::string& f : s.strings("retired_key_files")) {
      w.retired_key_files.push_back(resolve(base_, f));
    }
    w.user_store_path = resolve(base_, s.str("users", ""));
    if (w.user_store_path.empty()) {
      w.user_store_path = (c_.state_dir / "users.json").string();
    }
    w.user_store_check_interval = milliseconds(s.integer("users_check_interval_ms", 1000, 0, 600000));
    w.session_idle_timeout = seconds(s.integer("session_idle_timeout_s", 1800, 10, 7 * kDay));
    w.session_max_lifetime = seconds(s.integer("session_max_lifetime_s", 43200, 10, 30 * kDay));
    w.max_sessions = static_cast<std::size_t>(s.integer("max_sessions", 100000, 1, 100'000'000));
    w.login_failures_per_user = static_cast<unsigned>(s.integer("login_failures_per_user", 5, 1, 10000));
    w.login_failures_per_address =
        static_cast<unsigned>(s.integer("login_failures_per_address", 20, 1, 100000));
    w.login_failure_window = seconds(s.integer("login_failure_window_s", 300, 1, kDay));
    w.allowed_origins = s.strings("allowed_origins");
    for (std::size_t i = 0; i < w.allowed_origins.size(); ++i) {
      if (std::string why = ep_cscf::origin_error(w.allowed_origins[i]); !why.empty()) {
        fail(s.key("allowed_origins") + "[" + std::to_string(i) + "]", why);
      }
    }
    w.static_root = resolve(base_, s.str("static_root", ""));
    w.listen_address = s.str("address", w.listen_address);
    w.port = static_cast<std::uint16_t>(s.integer("port", 8443, 0, kMaxPort));
    w.plain_http_for_tests = s.boolean("plain_http_for_tests", false);
    if (!w.plain_http_for_tests) {
      TlsUse t = tls_for(s, s.key("cert_file"));
      w.tls_cert_file = t.cert;
      w.tls_key_file = t.key;
    } else {
      s.skip("cert_file");
      s.skip("key_file");
    }
    w.io_threads = static_cast<unsigned>(s.integer("io_threads", 1, 1, 64));
    w.password_threads = static_cast<unsigned>(s.integer("password_threads", 1, 1, 64));
    c_.demo_user = s.str("demo_user", "");
    c_.demo_password = s.str("demo_password", "");
    if (c_.demo_user.empty() != c_.demo_password.empty()) {
      fail(s.key(c_.demo_user.empty() ? "demo_user" : "demo_password"),
           "demo_user and demo_password go together");
    }
    if (!c_.demo_user.empty() && !wwsf::valid_username(c_.demo_user)) {
      fail(s.key("demo_user"), "1-64 characters of [A-Za-z0-9._@+-]");
    }
    WicDefaults(s, w);
    s.finish();
    c_.wwsf = std::move(w);
  }

  void WicDefaults(Section& s, wwsf::WwsfConfig& w) {
    auto& wic = w.wic;
    if (c_.ep_cscf && !c_.ep_cscf->domains.empty()) {
      wic.sip_domain = c_.ep_cscf->domains.front().domain;
    }
    if (auto t = s.table("wic")) {
      wic.ws_urls = t->strings("ws_urls");
      wic.sip_domain = t->str("sip_domain", wic.sip_domain);
      wic.placeholder_user = t->str("placeholder_user", wic.placeholder_user);
      wic.register_expires_s = static_cast<unsigned>(t->integer("register_expires_s", 600, 1, 7 * kDay));
      wic.backoff_base_all_failed_s =
          static_cast<unsigned>(t->integer("backoff_base_all_failed_s", 30, 1, kDay));
      wic.backoff_base_some_failed_s =
          static_cast<unsigned>(t->integer("backoff_base_some_failed_s", 90, 1, kDay));
      wic.backoff_cap_s = static_cast<unsigned>(t->integer("backoff_cap_s", 1800, 1, kDay));
      wic.ice_servers = t->strings("ice_servers");
      t->finish();
    }
    if (wic.ws_urls.empty() && !c_.ep_cscf) {
      fail(s.key("wic.ws_urls"), "required when this process runs no [ep_cscf] (its WSS "
                                 "listeners are the default)");
    }
    if (wic.sip_domain.empty()) {
      fail(s.key("wic.sip_domain"), "required when this process runs no [ep_cscf]");
    }
  }

  void hss_section(Section& s) {
    HssSection h;
    const std::string subs = s.required_str("subscribers");
    h.subscribers = resolve(base_, subs);
    h.identity = s.str("identity", c_.diameter ? c_.diameter->identity : h.identity);
    h.realm = s.str("realm", c_.diameter ? c_.diameter->realm : h.realm);
    h.serve_diameter = s.boolean("serve_diameter", false);
    if (h.serve_diameter && !c_.diameter) {
      fail(s.key("serve_diameter"), "needs a [diameter] section");
    }
    s.finish();
    c_.hss = std::move(h);
  }

  /// cx / hss_realm / hss_host / hss_timeout_ms of a CSCF section ([ei_cscf], [s_cscf]).
  void cx_keys(Section& s, CxMode& mode, std::string& realm, std::string& host,
               milliseconds& timeout) {
    const std::string cx = s.choice("cx", c_.hss ? "in-process" : "diameter",
                                    {"in-process", "diameter"});
    mode = cx == "in-process" ? CxMode::kInProcess : CxMode::kDiameter;
    if (mode == CxMode::kInProcess && !c_.hss) {
      fail(s.key("cx"), "\"in-process\" needs an [hss] section in this file");
    }
    if (mode == CxMode::kDiameter && !c_.diameter) {
      fail(s.key("cx"), s.has("cx") ? "\"diameter\" needs a [diameter] section"
                                     : "\"diameter\" (the default without [hss]) needs a "
                                       "[diameter] section");
    }
    realm = s.str("hss_realm", c_.diameter ? c_.diameter->realm : "");
    host = s.str("hss_host", "");
    timeout = milliseconds(s.integer("hss_timeout_ms", 2000, 1, 60000));
  }

  /// [s_cscf]: examples/s-cscf.toml one level down. The SIP node's tables become
  /// [[s_cscf.listeners]], [s_cscf.proxy], [s_cscf.timers]; its [hss] keys are cx / hss_realm /
  /// hss_host / hss_timeout_ms as in [ei_cscf]; every other key is nf/s-cscf's own [s_cscf] key,
  /// parsed by s_cscf::parse_s_cscf_config (whose error keys already start with "s_cscf.").
  void s_cscf_section(Section& s) {
    static const std::set<std::string, std::less<>> kOwn = {
        "server_name",   "home_domains",  "icscf",         "trusted_nodes",
        "trusted_proxies", "nonce_ttl_s", "default_expires_s", "min_expires_s",
        "max_expires_s", "sweep_interval_ms"};
    ScscfSection e;
    e.sip.transport.listeners = listeners(s);
    e.sip.transport.flow_token_key = s.str("flow_token_key", "");
    e.sip.timers = timers(s, &e.sip.timer_c);
    if (auto p = s.table("proxy")) {
      e.sip.shards = static_cast<std::size_t>(p->integer("shards", 1, 1, 64));
      e.sip.domains = p->strings("domains");
      p->finish();
    }
    cx_keys(s, e.cx, e.hss_realm, e.hss_host, e.hss_timeout);
    toml::table own;
    for (const auto& [k, v] : s.raw()) {
      if (kOwn.count(k.str()) != 0) {
        s.skip(k.str());
        own.insert(k, v);
      }
    }
    s.finish();  // anything neither wimpud's nor the S-CSCF's is refused here, with its path
    auto p = s_cscf::parse_s_cscf_config(own);
    if (!p) {
      fail(p.error().key, p.error().reason);
    }
    e.policy = std::move(*p);
    // Requests to our home domains are ours to route (RFC 3261 §16.5), as in wimpu-s-cscf.
    for (const std::string& d : e.policy.home_domains) {
      e.sip.domains.push_back(d);
    }
    c_.s_cscf = std::move(e);
  }

  void ei_cscf_section(Section& s) {
    EiCscfSection e;
    e.sip.transport.listeners = listeners(s);
    e.sip.transport.flow_token_key = s.str("flow_token_key", "");
    e.sip.timers = timers(s, &e.sip.timer_c);
    e.sip.record_route = false;  // an I-CSCF does not stay on the path (TS 24.229 §5.3)
    if (auto p = s.table("proxy")) {
      e.sip.shards = static_cast<std::size_t>(p->integer("shards", 1, 1, 64));
      e.sip.domains = p->strings("domains");
      p->finish();
    }
    std::vector<std::string> block_domains;
    for (const auto& b : c_.blocks) {
      block_domains.insert(block_domains.end(), b.domains.begin(), b.domains.end());
    }
    e.policy.wimpu_domains = s.strings("wimpu_domains", block_domains);
    e.policy.visited_network = s.str("visited_network", e.policy.visited_network);
    for (Section& sc : s.tables("scscf")) {
      ei_cscf::ScscfEntry entry;
      entry.name = sc.required_str("name");
      const std::string caps_key = "capabilities";
      if (sc.has(caps_key)) {
        const toml::array* a = sc.raw().get(caps_key)->as_array();
        sc.skip(caps_key);
        if (a == nullptr) {
          fail(sc.key(caps_key), "expected an array of integers");
        }
        for (std::size_t i = 0; i < a->size(); ++i) {
          const toml::node& n = *a->get(i);
          if (!n.is_integer() || n.as_integer()->get() < 0 || n.as_integer()->get() > 0xffffffffLL) {
            fail(sc.key(caps_key) + "[" + std::to_string(i) + "]",
                 "expected an integer in 0..4294967295");
          }
          entry.capabilities.push_back(static_cast<std::uint32_t>(n.as_integer()->get()));
        }
      }
      sc.finish();
      e.policy.scscfs.push_back(std::move(entry));
    }
    cx_keys(s, e.cx, e.hss_realm, e.hss_host, e.hss_timeout);
    if (!e.policy.wimpu_domains.empty() && c_.blocks.empty()) {
      fail(s.key("wimpu_domains"), "the W4 check needs the [[blocks]] of those domains");
    }
    s.finish();
    c_.ei_cscf = std::move(e);
  }

  Section root_;
  fs::path base_;
  DaemonConfig c_;
  bool wwsf_present_ = false;
  std::string wwsf_issuer_;
};

}  // namespace

std::string ConfigError::to_string() const { return "config error at " + key + ": " + reason; }

Expected<DaemonConfig, ConfigError> parse_config(const toml::table& root,
                                                 const std::filesystem::path& base_dir) {
  try {
    DaemonConfig c = Parser(root, base_dir).run();
    c.source = root;  // what a reload compares the re-read file with (config_diff.hpp)
    return c;
  } catch (const detail::ConfigFailure& f) {
    return ConfigError{f.key, f.reason};
  }
}

Expected<void, ConfigError> apply_override(toml::table& root, std::string_view assignment) {
  const auto eq = assignment.find('=');
  const std::string path(assignment.substr(0, eq));
  if (eq == std::string_view::npos || path.empty()) {
    return ConfigError{std::string(assignment), "an override is KEY=VALUE"};
  }
  const std::string value(assignment.substr(eq + 1));
  // The value as TOML if it is one, else as a string (paths, URLs).
  toml::table holder;
  try {
    holder = toml::parse("v = " + value);
  } catch (const toml::parse_error&) {
    holder = toml::table{{"v", value}};
  }
  // Walk "a.b[1].c": every segment but the last is a table (created) or an array element.
  toml::table* table = &root;
  std::string_view rest = path;
  std::string walked;
  while (true) {
    const auto dot = rest.find('.');
    std::string seg(rest.substr(0, dot));
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    std::optional<std::size_t> index;
    if (const auto br = seg.find('['); br != std::string::npos && seg.back() == ']') {
      index = std::strtoul(seg.c_str() + br + 1, nullptr, 10);
      seg = seg.substr(0, br);
    }
    walked += (walked.empty() ? "" : ".") + seg;
    if (seg.empty()) {
      return ConfigError{path, "empty key segment"};
    }
    if (dot == std::string_view::npos && !index) {
      table->insert_or_assign(seg, std::move(*holder.get("v")));
      return {};
    }
    toml::node* next = table->get(seg);
    if (index) {
      toml::array* a = next != nullptr ? next->as_array() : nullptr;
      if (a == nullptr || *index >= a->size() || !a->get(*index)->is_table() ||
          dot == std::string_view::npos) {
        return ConfigError{path, "no table " + walked + "[" + std::to_string(*index) + "] to set"};
      }
      table = a->get(*index)->as_table();
      walked += "[" + std::to_string(*index) + "]";
      continue;
    }
    if (next == nullptr) {
      table->insert(seg, toml::table{});
      next = table->get(seg);
    }
    if (!next->is_table()) {
      return ConfigError{path, walked + " is not a table"};
    }
    table = next->as_table();
  }
}

Expected<DaemonConfig, ConfigError> load_config(const std::filesystem::path& path,
                                                const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) {
    return ConfigError{path.string(), "cannot read the file"};
  }
  std::stringstream text;
  text << in.rdbuf();
  toml::table root;
  try {
    root = toml::parse(text.str(), path.string());
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return ConfigError{path.string() + ":" + std::to_string(b.line) + ":" + std::to_string(b.column),
                       std::string(e.description())};
  }
  for (const std::string& o : overrides) {
    if (auto r = apply_override(root, o); !r) {
      return r.error();
    }
  }
  return parse_config(root, fs::absolute(path).parent_path());
}

}  // namespace wimpu::wimpud
