// wimpud's config parser: a valid all-in-one file with its defaults, and a table of refused files,
// each naming the key and the reason.
#include <gtest/gtest.h>

#include <fstream>

#include "config_diff.hpp"
#include "wimpu/wimpud/config.hpp"

namespace wimpu::wimpud {
namespace {

constexpr const char* kValid = R"(
[wimpud]
state_dir = "state/aio"

[admin]
port = 0

[tls]
self_signed = true

[wwsf]
issuer = "https://127.0.0.1:8443"
default_block = "b1"
port = 0
demo_user = "demo"
demo_password = "demo-password"

[ep_cscf]
realm = "ims.example"
allowed_origins = ["https://127.0.0.1:8443"]
  [[ep_cscf.listeners]]
  protocol = "wss"
  [[ep_cscf.listeners]]
  protocol = "udp"
  [[ep_cscf.domains]]
  domain = "block.example"
  authz_server = "https://127.0.0.1:8443/api/token"
    [ep_cscf.domains.block]
    id = "b1"
    range_first = "+15550000000"
    range_last = "+15550000099"
    [[ep_cscf.domains.issuers]]
    issuer = "https://127.0.0.1:8443"

[ei_cscf]
  [[ei_cscf.listeners]]
  protocol = "udp"

[hss]
subscribers = "subscribers.toml"
)";

Expected<DaemonConfig, ConfigError> parse(const std::string& text) {
  toml::table t;
  try {
    t = toml::parse(text);
  } catch (const toml::parse_error& e) {
    ADD_FAILURE() << "test TOML does not parse: " << e.description();
    return ConfigError{"toml", "syntax"};
  }
  return parse_config(t, "/etc/wimpu");
}

/// The start of an [s_cscf] section (one listener); tests append its own keys.
constexpr const char* kScscf = "[s_cscf]\nlisteners = [{ protocol = \"udp\" }]\n";

/// A process without an eP-CSCF: its blocks are the top-level [[blocks]].
constexpr const char* kNoEp = R"(
[[blocks]]
id = "b1"
domains = ["block.example"]
range_first = "+15550000000"
range_last = "+15550000099"
[hss]
subscribers = "subscribers.toml"
)";

/// `base` (kValid by default) with the first occurrence of `from` replaced by `to`.
std::string edit(std::string_view from, std::string_view to, std::string s = kValid) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) {
    s.replace(at, from.size(), to);
  }
  return s;
}

TEST(WimpudConfig, ValidAllInOneWithDefaults) {
  auto c = parse(kValid);
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->state_dir, "/etc/wimpu/state/aio");
  ASSERT_TRUE(c->admin);
  EXPECT_EQ(c->admin->address, "127.0.0.1");
  EXPECT_EQ(c->tls.cert_file, "/etc/wimpu/state/aio/tls/cert.pem");
  ASSERT_TRUE(c->wwsf);
  EXPECT_EQ(c->wwsf->audience, "ims.example");  // the eP-CSCF realm
  EXPECT_EQ(c->wwsf->user_store_path, "/etc/wimpu/state/aio/users.json");
  EXPECT_EQ(c->wwsf->tls_cert_file, c->tls.cert_file);
  EXPECT_EQ(c->wwsf->wic.sip_domain, "block.example");
  EXPECT_EQ(c->wwsf->token_lifetime, std::chrono::seconds(300));
  ASSERT_TRUE(c->ep_cscf);
  ASSERT_EQ(c->ep_cscf->transport.listeners.size(), 2u);
  EXPECT_EQ(c->ep_cscf->transport.listeners[0].tls.cert_file, c->tls.cert_file);
  EXPECT_EQ(c->ep_cscf->domains[0].block.range_last, "+15550000099");
  EXPECT_EQ(c->ep_cscf->domains[0].issuers[0].jwks_file, "");  // in-process WWSF keys
  EXPECT_EQ(c->ep_cscf->registration.max_expires, 3600u);
  ASSERT_TRUE(c->ei_cscf);
  EXPECT_EQ(c->ei_cscf->cx, CxMode::kInProcess);
  EXPECT_FALSE(c->ei_cscf->sip.record_route);
  EXPECT_EQ(c->ei_cscf->policy.wimpu_domains, std::vector<std::string>{"block.example"});
  ASSERT_TRUE(c->hss);
  EXPECT_EQ(c->hss->subscribers, "/etc/wimpu/subscribers.toml");
  EXPECT_EQ(c->demo_user, "demo");
}

TEST(WimpudConfig, AdminCanBeDisabledAndSectionsAreOptional) {
  auto c = parse("[admin]\nenabled = false\n[hss]\nsubscribers = \"/s.toml\"\n");
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_FALSE(c->admin);
  EXPECT_FALSE(c->wwsf);
  EXPECT_TRUE(c->hss);
}

struct Bad {
  std::string text;
  std::string key;
  std::string reason;  ///< a substring of the reason
};

class WimpudBadConfig : public ::testing::TestWithParam<Bad> {};

TEST_P(WimpudBadConfig, IsRefusedWithKeyAndReason) {
  auto c = parse(GetParam().text);
  ASSERT_FALSE(c) << "accepted: " << GetParam().text;
  EXPECT_EQ(c.error().key, GetParam().key) << c.error().to_string();
  EXPECT_NE(c.error().reason.find(GetParam().reason), std::string::npos) << c.error().to_string();
  EXPECT_EQ(c.error().to_string().find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Table, WimpudBadConfig,
    ::testing::Values(
        Bad{"", "(file)", "names no network function"},
        Bad{edit("[admin]\nport = 0", "[admin]\nport = 70000"), "admin.port",
            "expected an integer in 0..65535, got 70000"},
        Bad{edit("[admin]\nport = 0", "[admin]\nport = \"80\""), "admin.port",
            "got a string"},
        Bad{edit("[admin]\nport = 0", "[admin]\nprot = 0"), "admin.prot", "unknown key"},
        Bad{edit("state_dir = \"state/aio\"", "state_dir = 3"), "wimpud.state_dir",
            "expected a string"},
        Bad{edit("self_signed = true", "self_signed = \"yes\""), "tls.self_signed",
            "expected a boolean"},
        Bad{edit("self_signed = true", "cert_file = \"c.pem\""), "tls.key_file", "go together"},
        Bad{edit("self_signed = true", "self_signed = false"), "ep_cscf.listeners[0].protocol",
            "needs a certificate"},
        Bad{edit("id = \"b1\"\n", "", kNoEp), "blocks[0].id", "required"},
        Bad{edit("domains = [\"block.example\"]\nrange", "domains = []\nrange", kNoEp),
            "blocks[0].domains", "at least one"},
        Bad{edit("range_last = \"+15550000099\"", "range_last = \"+1555000009\"", kNoEp), "blocks",
            ""},
        Bad{edit("range_first = \"+15550000000\"\n", "", kNoEp), "blocks[0].range_first",
            "range_first and range_last"},
        Bad{edit("domains = [\"block.example\"]\n", "domains = [\"block.example\", 7]\n", kNoEp),
            "blocks[0].domains[1]", "expected a string, got an integer"},
        Bad{"blocks = 3\n[hss]\nsubscribers = \"s.toml\"\n", "blocks",
            "expected an array of tables"},
        Bad{edit("protocol = \"wss\"", "protocol = \"sctp\""), "ep_cscf.listeners[0].protocol",
            "must be udp, tcp, tls, ws or wss, not 'sctp'"},
        Bad{edit("protocol = \"wss\"", "protocol = \"wss\"\n  adress = \"::1\""),
            "ep_cscf.listeners[0].adress", "is not a listener key"},
        Bad{edit("protocol = \"wss\"", "protocol = \"wss\"\n  address = \"localhost\""),
            "ep_cscf.listeners[0].address", "numeric IPv4/IPv6"},
        Bad{edit("    id = \"b1\"\n", ""), "ep_cscf.domains[0].block.id", "is required"},
        Bad{edit("range_last = \"+15550000099\"", "range_last = \"+1555000009\""),
            "ep_cscf.domains.block", ""},
        Bad{edit("  domain = \"block.example\"\n", ""), "ep_cscf.domains[0].domain", "required"},
        Bad{edit("  authz_server = \"https://127.0.0.1:8443/api/token\"\n", ""),
            "ep_cscf.domains[0].authz_server", "is required"},
        Bad{edit("    issuer = \"https://127.0.0.1:8443\"", "    issuer = \"https://other\""),
            "ep_cscf.domains[0].issuers[0]",
            "exactly one of jwks_file and jwks is required unless the issuer is the [wwsf]"},
        Bad{edit("    issuer = \"https://127.0.0.1:8443\"",
                 "    issuer = \"https://127.0.0.1:8443\"\n    algorithm = \"HS256\""),
            "ep_cscf.domains[0].issuers[0].algorithm", "unknown JOSE algorithm 'HS256'"},
        Bad{edit("realm = \"ims.example\"", "realm = \"ims.example\"\nshards = 2"),
            "ep_cscf.shards", "unknown key"},
        Bad{edit("[ei_cscf]\n", "[ep_cscf.proxy]\nshards = 0\n[ei_cscf]\n"),
            "ep_cscf.proxy.shards", "must be an integer in [1, 64]"},
        Bad{edit("[ei_cscf]\n", "[ep_cscf.registration]\nmin_expires = 7200\n[ei_cscf]\n"),
            "ep_cscf.registration.max_expires", "must not be below min_expires"},
        Bad{edit("[ei_cscf]\n",
                 "[ep_cscf.domains.registration]\ntrigger = \"later\"\n[ei_cscf]\n"),
            "ep_cscf.domains[0].registration.trigger", "must be none, startup or first_wic"},
        Bad{edit("demo_user = \"demo\"", "allowed_origins = [\"https://app.example/\"]\n"
                                         "demo_user = \"demo\""),
            "wwsf.allowed_origins[0]", "is not a web origin as browsers send it"},
        Bad{edit("allowed_origins = [\"https://127.0.0.1:8443\"]",
                 "allowed_origins = [\"HTTPS://127.0.0.1:8443\"]"),
            "ep_cscf.allowed_origins[0]", "must start with https:// or http://"},
        // The block's own registered IMPU inside its allocatable range (requirements X-03).
        Bad{edit("[ei_cscf]\n",
                 "[ep_cscf.domains.registration]\nimpu = \"sip:+15550000042@block.example\"\n"
                 "[ei_cscf]\n"),
            "ep_cscf.domains[0].registration.impu",
            "sip:+15550000042@block.example is allocatable: it lies in block b1 "
            "(+15550000000..+15550000099)"},
        Bad{edit("[ei_cscf]\n", "[ep_cscf.registrar]\n[ei_cscf]\n"),
            "ep_cscf.registrar", "top-level [registrar]"},
        Bad{edit("[[ep_cscf.listeners]]\n  protocol = \"wss\"\n  [[ep_cscf.listeners]]\n  "
                 "protocol = \"udp\"\n",
                 ""),
            "ep_cscf.listeners", "at least one"},
        Bad{edit("[wwsf]", "[[blocks]]\nid = \"b9\"\ndomains = [\"x.example\"]\nimpus = "
                           "[\"sip:a@x.example\"]\n[wwsf]"),
            "blocks", "remove [[blocks]]"},
        Bad{edit("issuer = \"https://127.0.0.1:8443\"\ndefault", "default"), "wwsf.issuer",
            "required"},
        Bad{edit("default_block = \"b1\"", "default_block = \"nope\""), "wwsf.default_block",
            "has id \"nope\""},
        Bad{edit("demo_password = \"demo-password\"\n", ""), "wwsf.demo_password",
            "go together"},
        Bad{edit("demo_user = \"demo\"", "demo_user = \"bad name\""), "wwsf.demo_user",
            "[A-Za-z0-9._@+-]"},
        Bad{edit("port = 0\ndemo_user", "port = 0\ntoken_lifetime_s = 1\ndemo_user"),
            "wwsf.token_lifetime_s", "10..86400"},
        Bad{edit("port = 0\ndemo_user", "port = 0\n[wwsf.wic]\nws_urls = \"wss://x\"\n[wwsf2]\n"
                                        "demo_user"),
            "wwsf.wic.ws_urls", "expected an array of strings"},
        Bad{edit("[hss]\nsubscribers = \"subscribers.toml\"\n", ""), "ei_cscf.cx",
            "(the default without [hss]) needs a [diameter] section"},
        Bad{edit("[ei_cscf]\n", "[ei_cscf]\nwat = 1\n"), "ei_cscf.wat", "unknown key"},
        Bad{edit("[ei_cscf]\n", "[ei_cscf]\ncx = \"diameter\"\n"), "ei_cscf.cx",
            "needs a [diameter] section"},
        Bad{edit("[ei_cscf]\n", "[ei_cscf]\n[[ei_cscf.scscf]]\ncapabilities = [1]\n"),
            "ei_cscf.scscf[0].name", "required"},
        Bad{edit("[ei_cscf]\n", "[ei_cscf]\n[[ei_cscf.scscf]]\nname = \"sip:s\"\n"
                                "capabilities = [-1]\n"),
            "ei_cscf.scscf[0].capabilities[0]", "0..4294967295"},
        Bad{edit("[ei_cscf]\n", "[ei_cscf]\n[ei_cscf.timers]\nt1_ms = 0\n"),
            "ei_cscf.timers.t1_ms", "1..60000"},
        Bad{edit("subscribers = \"subscribers.toml\"", "subscribers = \"\""), "hss.subscribers",
            "must not be empty"},
        Bad{edit("subscribers = \"subscribers.toml\"",
                 "subscribers = \"s.toml\"\nserve_diameter = true"),
            "hss.serve_diameter", "needs a [diameter] section"},
        Bad{edit("[hss]", "[registrar]\nbackend = \"etcd\"\n[hss]"), "registrar.backend",
            "expected one of \"memory\", \"redis\""},
        Bad{edit("[hss]", "[diameter]\nrealm = \"example\"\n[hss]"), "diameter", ""},
        Bad{edit("[hss]", "[s_cscf]\n[hss]"), "s_cscf.listeners", "at least one"},
        Bad{edit("[hss]", std::string(kScscf) + "[hss]"), "s_cscf.server_name", "required"},
        Bad{edit("[hss]", std::string(kScscf) + "server_name = \"tel:1\"\n[hss]"),
            "s_cscf.server_name", "sip: URI"},
        Bad{edit("[hss]", std::string(kScscf) + "server_name = \"sip:s\"\nwat = 1\n[hss]"),
            "s_cscf.wat", "unknown key"},
        Bad{edit("[hss]", std::string(kScscf) +
                              "server_name = \"sip:s\"\ntrusted_nodes = [\"1.2.3.4:x\"]\n[hss]"),
            "s_cscf.trusted_nodes", "bad port"},
        Bad{edit("[hss]", std::string(kScscf) + "server_name = \"sip:s\"\ncx = \"diameter\"\n[hss]"),
            "s_cscf.cx", "needs a [diameter] section"},
        Bad{edit("[hss]", std::string(kScscf) +
                              "server_name = \"sip:s\"\n[[s_cscf.icscf]]\ndomain = \"x\"\n[hss]"),
            "s_cscf.icscf[0].uri", "sip: URI"},
        Bad{edit("[hss]", "[s_cscf]\nserver_name = \"sip:s\"\n[[s_cscf.listeners]]\nport = -1\n"
                          "[hss]"),
            "s_cscf.listeners[0].port", "0..65535"},
        Bad{edit("[hss]", "[typo_section]\n[hss]"), "typo_section", "unknown key"}));

TEST(WimpudConfig, LoadConfigNamesTheLineOfASyntaxError) {
  const std::string path = ::testing::TempDir() + "/wimpud_bad_syntax.toml";
  {
    std::ofstream f(path);
    f << "[admin]\nport = = 3\n";
  }
  auto c = load_config(path);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().key, path + ":2:8");
  auto missing = load_config(::testing::TempDir() + "/does-not-exist.toml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().reason, "cannot read the file");
}

}  // namespace
}  // namespace wimpu::wimpud

namespace wimpu::wimpud {
namespace {

TEST(WimpudConfig, TheAllInOneExampleIsValid) {
  auto c = load_config(WIMPU_EXAMPLES_DIR "/all-in-one.toml");
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_TRUE(c->wwsf && c->ep_cscf && c->ei_cscf && c->s_cscf && c->hss);
  EXPECT_TRUE(c->tls.self_signed);
  EXPECT_EQ(c->s_cscf->cx, CxMode::kInProcess);
  EXPECT_EQ(c->s_cscf->policy.server_name, "sip:127.0.0.1:5070");
  ASSERT_EQ(c->s_cscf->sip.transport.listeners.size(), 1u);
  EXPECT_EQ(c->s_cscf->sip.transport.listeners[0].port, 5070);
  // home_domains are the S-CSCF node's own domains too.
  EXPECT_EQ(c->s_cscf->sip.domains, (std::vector<std::string>{"ims.example", "block.example"}));
  EXPECT_EQ(c->ep_cscf->domains[0].registration.trigger, ep_cscf::BlockTrigger::kStartup);
  // The block's own IMPU is outside the range handed to WICs (requirements X-03).
  EXPECT_EQ(c->ep_cscf->domains[0].registration.impu, "sip:+15550000000@block.example");
  EXPECT_EQ(c->ep_cscf->domains[0].block.range_first, "+15550000001");
  EXPECT_EQ(c->ei_cscf->cx, CxMode::kInProcess);
  EXPECT_EQ(c->registrar.backend, ep_cscf::RegistrarBackend::kMemory);
  ASSERT_TRUE(c->admin);
  EXPECT_EQ(c->admin->port, 9180);
}

}  // namespace
}  // namespace wimpu::wimpud

namespace wimpu::wimpud {
namespace {

TEST(WimpudConfig, OverridesSetValuesTablesAndArrayElements) {
  toml::table root = toml::parse(kValid);
  ASSERT_TRUE(apply_override(root, "admin.port=9999"));
  ASSERT_TRUE(apply_override(root, "wwsf.static_root=/srv/wic"));  // not TOML: a string
  ASSERT_TRUE(apply_override(root, "ep_cscf.listeners[1].port=5070"));
  ASSERT_TRUE(apply_override(root, "registrar.backend=\"redis\""));  // creates [registrar]
  auto c = parse_config(root, "/etc/wimpu");
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->admin->port, 9999);
  EXPECT_EQ(c->wwsf->static_root, "/srv/wic");
  EXPECT_EQ(c->ep_cscf->transport.listeners[1].port, 5070);
  EXPECT_EQ(c->registrar.backend, ep_cscf::RegistrarBackend::kRedis);

  auto no_eq = apply_override(root, "admin.port");
  ASSERT_FALSE(no_eq);
  EXPECT_EQ(no_eq.error().reason, "an override is KEY=VALUE");
  auto no_elem = apply_override(root, "ep_cscf.listeners[5].port=1");
  ASSERT_FALSE(no_elem);
  EXPECT_EQ(no_elem.error().key, "ep_cscf.listeners[5].port");
  auto not_table = apply_override(root, "admin.port.x=1");
  ASSERT_FALSE(not_table);
  EXPECT_EQ(not_table.error().reason, "admin.port is not a table");

  // An override is validated like the file: a wrong type is refused with the key.
  ASSERT_TRUE(apply_override(root, "admin.port=\"x\""));
  auto bad = parse_config(root, "/etc/wimpu");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().key, "admin.port");
}

// SIGHUP (issue 7): the keys a reload changes in place, and the precise names of the others.
TEST(ConfigDiff, NamesEveryChangedKeyAndWhichOnesAReloadPutsInForce) {
  const toml::table a = toml::parse(R"(
[wwsf]
allowed_origins = ["https://a"]
[ep_cscf]
allowed_origins = ["https://a"]
  [[ep_cscf.listeners]]
  port = 0
  [[ep_cscf.domains]]
  domain = "d"
    [[ep_cscf.domains.issuers]]
    issuer = "i1"
[hss]
subscribers = "s.toml"
)");
  const toml::table b = toml::parse(R"(
[wwsf]
allowed_origins = ["https://b"]
signing_key_file = "k.pem"
[ep_cscf]
allowed_origins = ["https://a"]
  [[ep_cscf.listeners]]
  port = 5060
  [[ep_cscf.listeners]]
  port = 0
  [[ep_cscf.domains]]
  domain = "d"
    [[ep_cscf.domains.issuers]]
    issuer = "i2"
    [[ep_cscf.domains.issuers]]
    issuer = "i3"
[admin]
port = 0
)");
  EXPECT_EQ(changed_keys(a, b),
            (std::vector<std::string>{"ep_cscf.domains[0].issuers", "ep_cscf.listeners", "hss",
                                      "wwsf.allowed_origins[0]", "wwsf.signing_key_file",
                                      "admin"}));
  EXPECT_TRUE(changed_keys(a, a).empty());
  for (const char* k : {"wwsf.allowed_origins[0]", "wwsf.signing_key_file",
                        "wwsf.retired_key_files[1]", "ep_cscf.allowed_origins",
                        "ep_cscf.domains[0].issuers", "ep_cscf.domains[3].issuers[1].jwks_file",
                        "hss.subscribers"}) {
    EXPECT_TRUE(is_reloadable(k)) << k;
  }
  for (const char* k : {"ep_cscf.listeners", "ep_cscf.domains[0].block.range_first",
                        "ep_cscf.domains", "hss", "admin", "wwsf.port", "wwsf.allowed_originsx",
                        "ep_cscf.domains[0].issuersx"}) {
    EXPECT_FALSE(is_reloadable(k)) << k;
  }
  // After a reload the running table holds the new reloadable values, the others unchanged.
  toml::table running = a;
  adopt_reloadable(running, b);
  EXPECT_EQ(changed_keys(running, b),
            (std::vector<std::string>{"ep_cscf.listeners", "hss", "admin"}));
}

}  // namespace
}  // namespace wimpu::wimpud
