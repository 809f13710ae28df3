// TOML -> EpCscfConfig with a precise error per bad key (start-up only; see config_toml.hpp).
#include "wimpu/ep_cscf/config_toml.hpp"

#include <algorithm>
#include <set>
#include <sstream>
#include <stdexcept>

#include "wimpu/cscf_node/sip_node.hpp"
#include "wimpu/registrar/block.hpp"

namespace wimpu::ep_cscf {
namespace {

using View = toml::node_view<const toml::node>;

/// Thrown inside this file only, turned into a ConfigError at the API boundary.
struct Bad {
  std::string key;
  std::string reason;
};

void only_keys(View v, const std::string& where, std::set<std::string> allowed) {
  const toml::table* t = v.as_table();
  if (t == nullptr) {
    return;
  }
  for (const auto& [k, node] : *t) {
    (void)node;
    if (allowed.count(std::string(k.str())) == 0) {
      throw Bad{where.empty() ? std::string(k.str()) : where + "." + std::string(k.str()),
                "unknown key"};
    }
  }
}

std::string str(View v, const std::string& key, std::string fallback = {}) {
  if (!v) {
    return fallback;
  }
  auto s = v.value<std::string>();
  if (!s) {
    throw Bad{key, "must be a string"};
  }
  return *s;
}

std::string required(View v, const std::string& key) {
  std::string s = str(v, key);
  if (s.empty()) {
    throw Bad{key, "is required"};
  }
  return s;
}

std::int64_t integer(View v, const std::string& key, std::int64_t fallback, std::int64_t min,
                     std::int64_t max) {
  if (!v) {
    return fallback;
  }
  auto i = v.value<std::int64_t>();
  if (!i || *i < min || *i > max) {
    throw Bad{key, "must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                       "]"};
  }
  return *i;
}

bool boolean(View v, const std::string& key, bool fallback) {
  if (!v) {
    return fallback;
  }
  auto b = v.value<bool>();
  if (!b) {
    throw Bad{key, "must be true or false"};
  }
  return *b;
}

std::vector<std::string> strings(View v, const std::string& key) {
  std::vector<std::string> out;
  if (!v) {
    return out;
  }
  const toml::array* a = v.as_array();
  if (a == nullptr) {
    throw Bad{key, "must be an array of strings"};
  }
  for (const toml::node& n : *a) {
    auto s = n.value<std::string>();
    if (!s) {
      throw Bad{key, "must be an array of strings"};
    }
    out.push_back(*s);
  }
  return out;
}

void check_sip_uri(const std::string& uri, const std::string& key) {
  if (!uri.empty() && uri.rfind("sip:", 0) != 0 && uri.rfind("sips:", 0) != 0) {
    throw Bad{key, "must be a sip: URI"};
  }
}

WimpuDomain parse_domain(View d, const std::string& at, const ParseOptions& opts) {
  only_keys(d, at, {"domain", "authz_server", "upstream_icscf", "service_route", "block",
                    "issuers", "registration"});
  WimpuDomain w;
  w.domain = required(d["domain"], at + ".domain");
  w.authz_server = required(d["authz_server"], at + ".authz_server");
  w.upstream_icscf = str(d["upstream_icscf"], at + ".upstream_icscf");
  check_sip_uri(w.upstream_icscf, at + ".upstream_icscf");
  w.service_route = strings(d["service_route"], at + ".service_route");
  for (const std::string& r : w.service_route) {
    if (r.empty() || r.front() != '<' || r.back() != '>') {
      throw Bad{at + ".service_route", "values are name-addrs: \"<sip:...;lr>\""};
    }
  }

  const std::string bk = at + ".block";
  View b = d["block"];
  if (!b.as_table()) {
    throw Bad{bk, "a table is required"};
  }
  only_keys(b, bk, {"id", "domains", "range_first", "range_last", "impus", "render_sip",
                    "render_tel", "quarantine_s", "max_contacts"});
  w.block.id = required(b["id"], bk + ".id");
  w.block.domains = strings(b["domains"], bk + ".domains");
  if (w.block.domains.empty()) {
    w.block.domains = {w.domain};
  }
  w.block.range_first = str(b["range_first"], bk + ".range_first");
  w.block.range_last = str(b["range_last"], bk + ".range_last");
  w.block.impus = strings(b["impus"], bk + ".impus");
  w.block.render_sip = boolean(b["render_sip"], bk + ".render_sip", true);
  w.block.render_tel = boolean(b["render_tel"], bk + ".render_tel", false);
  w.block.quarantine =
      std::chrono::seconds(integer(b["quarantine_s"], bk + ".quarantine_s", 60, 0, 86400 * 30));
  w.block.max_contacts = static_cast<std::uint32_t>(
      integer(b["max_contacts"], bk + ".max_contacts", 16, 1, 1024));

  const toml::array* issuers = d["issuers"].as_array();
  if (issuers == nullptr || issuers->empty()) {
    throw Bad{at + ".issuers", "at least one [[domains.issuers]] entry is required"};
  }
  for (std::size_t i = 0; i < issuers->size(); ++i) {
    const std::string ik = at + ".issuers[" + std::to_string(i) + "]";
    View iv{(*issuers)[i]};
    only_keys(iv, ik, {"issuer", "algorithm", "jwks_file", "jwks"});
    TrustedIssuer t;
    t.issuer = required(iv["issuer"], ik + ".issuer");
    const std::string alg = str(iv["algorithm"], ik + ".algorithm", "EdDSA");
    auto a = token::algorithm_from_name(alg);
    if (!a) {
      throw Bad{ik + ".algorithm", "unknown JOSE algorithm '" + alg + "'"};
    }
    t.algorithm = *a;
    t.jwks_file = str(iv["jwks_file"], ik + ".jwks_file");
    t.jwks = str(iv["jwks"], ik + ".jwks");
    const bool keyless = std::find(opts.keyless_issuers.begin(), opts.keyless_issuers.end(),
                                   t.issuer) != opts.keyless_issuers.end();
    if (!t.jwks_file.empty() && !t.jwks.empty()) {
      throw Bad{ik, "exactly one of jwks_file and jwks is required"};
    }
    if (t.jwks_file.empty() && t.jwks.empty() && !keyless) {
      throw Bad{ik, "exactly one of jwks_file and jwks is required" +
                        (opts.keyless_hint.empty() ? std::string() : " " + opts.keyless_hint)};
    }
    w.issuers.push_back(std::move(t));
  }

  const std::string rk = at + ".registration";
  View r = d["registration"];
  only_keys(r, rk, {"trigger", "impu", "private_identity", "expires", "retry_min_ms",
                    "retry_max_ms", "deregister_wait_ms"});
  const std::string trigger = str(r["trigger"], rk + ".trigger", "none");
  if (trigger == "none") {
    w.registration.trigger = BlockTrigger::kNone;
  } else if (trigger == "startup") {
    w.registration.trigger = BlockTrigger::kStartup;
  } else if (trigger == "first_wic") {
    w.registration.trigger = BlockTrigger::kFirstWic;
  } else {
    throw Bad{rk + ".trigger", "must be none, startup or first_wic, not '" + trigger + "'"};
  }
  w.registration.impu = str(r["impu"], rk + ".impu");
  w.registration.private_identity = str(r["private_identity"], rk + ".private_identity");
  w.registration.expires =
      static_cast<std::uint32_t>(integer(r["expires"], rk + ".expires", 3600, 60, 86400 * 7));
  w.registration.retry_min =
      std::chrono::milliseconds(integer(r["retry_min_ms"], rk + ".retry_min_ms", 1000, 1, 3600000));
  w.registration.retry_max = std::chrono::milliseconds(
      integer(r["retry_max_ms"], rk + ".retry_max_ms", 300000, 1, 86400000));
  w.registration.deregister_wait = std::chrono::milliseconds(
      integer(r["deregister_wait_ms"], rk + ".deregister_wait_ms", 2000, 0, 60000));
  if (w.registration.retry_max < w.registration.retry_min) {
    throw Bad{rk + ".retry_max_ms", "must not be below retry_min_ms"};
  }
  if (w.registration.trigger != BlockTrigger::kNone) {
    if (w.upstream_icscf.empty()) {
      throw Bad{at + ".upstream_icscf", "is required when registration.trigger is not none"};
    }
    if (w.registration.impu.empty()) {
      throw Bad{rk + ".impu", "is required when registration.trigger is not none"};
    }
    check_sip_uri(w.registration.impu, rk + ".impu");
  }
  return w;
}

EpCscfConfig parse(const toml::table& root, const ParseOptions& opts) {
  const View cfg{static_cast<const toml::node&>(root)};
  EpCscfConfig c;

  // The SIP node sections, shared with the other CSCFs (same keys and messages).
  try {
    cscf_node::SipNodeConfig node = cscf_node::parse_sip_node_config(root);
    c.transport = std::move(node.transport);
    c.shards = node.shards;
    c.timers = node.timers;
  } catch (const std::exception& e) {
    std::string what = e.what();
    const std::string prefix = "config: ";
    if (what.rfind(prefix, 0) == 0) {
      what = what.substr(prefix.size());
    }
    const std::size_t sp = what.find(' ');
    const std::string first = sp == std::string::npos ? std::string() : what.substr(0, sp);
    // "proxy.shards must be ...", "listener protocol must be ..." name their key first; the
    // listener-list messages ("at least one [[listeners]] ...", "tls/wss listeners need ...")
    // do not, and are about [[listeners]].
    if (first.empty() || (first.find('.') == std::string::npos && first != "listener")) {
      throw Bad{"listeners", what};
    }
    throw Bad{first, what.substr(sp + 1)};
  }

  View e = cfg["ep_cscf"];
  only_keys(e, "ep_cscf",
            {"realm", "host", "instance_id", "allowed_origins", "strip_bundle", "flow_token_key"});
  c.realm = str(e["realm"], "ep_cscf.realm", c.realm);
  c.host = str(e["host"], "ep_cscf.host");
  c.instance_id = str(e["instance_id"], "ep_cscf.instance_id", c.instance_id);
  c.allowed_origins = strings(e["allowed_origins"], "ep_cscf.allowed_origins");
  for (std::size_t i = 0; i < c.allowed_origins.size(); ++i) {
    if (std::string why = origin_error(c.allowed_origins[i]); !why.empty()) {
      throw Bad{"ep_cscf.allowed_origins[" + std::to_string(i) + "]", why};
    }
  }
  c.strip_bundle = boolean(e["strip_bundle"], "ep_cscf.strip_bundle", false);
  // Several eP-CSCF processes behind one address must recognise each other's flow tokens
  // (RFC 5626 §5.2); empty = a random key per start.
  c.transport.flow_token_key = str(e["flow_token_key"], "ep_cscf.flow_token_key");

  View g = cfg["registration"];
  only_keys(g, "registration",
            {"min_expires", "max_expires", "default_expires", "flow_timer", "retry_after"});
  RegistrationPolicy& p = c.registration;
  p.min_expires = static_cast<std::uint32_t>(
      integer(g["min_expires"], "registration.min_expires", 60, 1, 86400));
  p.max_expires = static_cast<std::uint32_t>(
      integer(g["max_expires"], "registration.max_expires", 3600, 1, 86400 * 7));
  p.default_expires = static_cast<std::uint32_t>(
      integer(g["default_expires"], "registration.default_expires", 600, 1, 86400 * 7));
  p.flow_timer = static_cast<std::uint32_t>(
      integer(g["flow_timer"], "registration.flow_timer", 120, 1, 3600));
  p.retry_after = static_cast<std::uint32_t>(
      integer(g["retry_after"], "registration.retry_after", 60, 1, 86400));
  if (p.max_expires < p.min_expires) {
    throw Bad{"registration.max_expires", "must not be below min_expires"};
  }
  if (p.default_expires < p.min_expires || p.default_expires > p.max_expires) {
    throw Bad{"registration.default_expires", "must be within [min_expires, max_expires]"};
  }

  View r = cfg["registrar"];
  only_keys(r, "registrar", {"backend", "host", "port", "op_timeout_ms", "preallocate_impus"});
  const std::string backend = str(r["backend"], "registrar.backend", "memory");
  if (backend == "memory") {
    c.backend = RegistrarBackend::kMemory;
  } else if (backend == "redis") {
    c.backend = RegistrarBackend::kRedis;
  } else {
    throw Bad{"registrar.backend", "must be memory or redis, not '" + backend + "'"};
  }
  c.redis.host = str(r["host"], "registrar.host", c.redis.host);
  c.redis.port = static_cast<std::uint16_t>(integer(r["port"], "registrar.port", 6379, 1, 65535));
  c.redis.op_timeout = std::chrono::milliseconds(
      integer(r["op_timeout_ms"], "registrar.op_timeout_ms", 2000, 1, 60000));
  // Memory backend: IMPU slots allocated and touched at start, per block (MemoryOptions). Up to
  // 2^32 (a block's largest size); the memory is 448 bytes per IMPU, so the operator sizes it.
  c.memory.preallocate_impus = static_cast<std::uint64_t>(integer(
      r["preallocate_impus"], "registrar.preallocate_impus", 0, 0, std::int64_t{1} << 32));

  View s = cfg["standard"];
  only_keys(s, "standard", {"upstream_icscf"});
  c.standard.upstream_icscf = str(s["upstream_icscf"], "standard.upstream_icscf");
  check_sip_uri(c.standard.upstream_icscf, "standard.upstream_icscf");

  const toml::array* domains = cfg["domains"].as_array();
  if (domains == nullptr || domains->empty()) {
    throw Bad{"domains", "at least one [[domains]] entry is required"};
  }
  std::vector<registrar::BlockConfig> blocks;
  for (std::size_t i = 0; i < domains->size(); ++i) {
    c.domains.push_back(parse_domain(View{(*domains)[i]}, "domains[" + std::to_string(i) + "]", opts));
    blocks.push_back(c.domains.back().block);
  }
  std::optional<registrar::BlockSet> check;
  try {
    check.emplace(std::move(blocks));  // ranges, ids, overlaps (W4's own rules)
  } catch (const std::exception& ex) {
    throw Bad{"domains.block", ex.what()};
  }
  // The IMPU the eP-CSCF registers for a whole block is the distinct identity of the block's
  // implicit registration set (TS 23.228 implicit registration, seed TR 5.2.2.5.1, requirements
  // X-03); the allocatable IMPUs are the others. Inside a block's range it could be handed to a
  // WIC, and a WIC and the block registration would then share one identity.
  for (std::size_t i = 0; i < c.domains.size(); ++i) {
    const std::string& impu = c.domains[i].registration.impu;
    if (impu.empty()) {
      continue;
    }
    if (auto hit = check->resolve(impu)) {
      const registrar::BlockConfig& b = hit->block->config;
      const std::string range = b.impus.empty() ? b.range_first + ".." + b.range_last
                                                : std::string("its impus list");
      throw Bad{"domains[" + std::to_string(i) + "].registration.impu",
                impu + " is allocatable: it lies in block " + b.id + " (" + range +
                    "), so a WIC could be given the block's own IMPU; register an IMPU outside "
                    "the allocatable range (e.g. start the range after it)"};
    }
  }
  bool websocket = false;
  for (const transport::ListenerConfig& l : c.transport.listeners) {
    websocket = websocket || transport::is_websocket(l.protocol);
  }
  if (!websocket) {
    throw Bad{"listeners", "at least one ws or wss listener is required (WICs, RFC 7118)"};
  }
  return c;
}

}  // namespace

std::string origin_error(std::string_view origin) {
  std::string_view rest = origin;
  if (rest.rfind("https://", 0) == 0) {
    rest.remove_prefix(8);
  } else if (rest.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else {
    return "'" + std::string(origin) + "' is not a web origin: it must start with https:// or "
           "http:// (RFC 6454 §6.2)";
  }
  const bool ok = !rest.empty() && std::all_of(rest.begin(), rest.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
           ch == ':' || ch == '[' || ch == ']';
  });
  if (!ok) {
    return "'" + std::string(origin) + "' is not a web origin as browsers send it: "
           "scheme://host[:port] in lower case, without a path or a trailing '/' (RFC 6454 §6.2)";
  }
  return {};
}

Expected<EpCscfConfig, ConfigError> parse_ep_cscf_config(const toml::table& root) {
  return parse_ep_cscf_config(root, ParseOptions{});
}

Expected<EpCscfConfig, ConfigError> parse_ep_cscf_config(const toml::table& root,
                                                         const ParseOptions& options) {
  try {
    return parse(root, options);
  } catch (const Bad& b) {
    return ConfigError{b.key, b.reason};
  }
}

Expected<EpCscfConfig, ConfigError> load_ep_cscf_config(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << e.description() << " at line " << e.source().begin.line << ", column "
          << e.source().begin.column;
    return ConfigError{path, where.str()};
  }
  return parse_ep_cscf_config(root);
}

}  // namespace wimpu::ep_cscf
