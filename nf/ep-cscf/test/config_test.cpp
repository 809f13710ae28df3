// parse_ep_cscf_config: the example file, defaults, and one precise error per bad key.
#include <gtest/gtest.h>

#include <string>

#include "wimpu/ep_cscf/config_toml.hpp"

namespace wimpu::ep_cscf {
namespace {

constexpr const char* kMinimal = R"(
[[listeners]]
protocol = "ws"
[[domains]]
domain = "wimpu.example"
authz_server = "https://wwsf.example/api/token"
[domains.block]
id = "blk1"
range_first = "+15550000000"
range_last = "+15550000009"
[[domains.issuers]]
issuer = "https://wwsf.example"
jwks = "{}"
)";

Expected<EpCscfConfig, ConfigError> parse_text(const std::string& text) {
  return parse_ep_cscf_config(toml::parse(text));
}

ConfigError error_of(const std::string& text) {
  auto r = parse_text(text);
  EXPECT_FALSE(r);
  return r ? ConfigError{} : r.error();
}

TEST(EpCscfConfigTest, ExampleFileParses) {
  auto c = load_ep_cscf_config(WIMPU_EXAMPLE_EP_CSCF);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->realm, "ims.example");
  ASSERT_EQ(c->domains.size(), 1u);
  EXPECT_EQ(c->domains[0].block.range_last, "+15550009999");
  EXPECT_EQ(c->domains[0].registration.trigger, BlockTrigger::kFirstWic);
  EXPECT_EQ(c->domains[0].registration.impu, "sip:block1@wimpu.example");
  EXPECT_EQ(c->transport.listeners.size(), 2u);
  EXPECT_EQ(c->backend, RegistrarBackend::kMemory);
}

TEST(EpCscfConfigTest, MinimalConfigGetsDefaults) {
  auto c = parse_text(kMinimal);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->domains[0].block.domains, std::vector<std::string>{"wimpu.example"});
  EXPECT_EQ(c->domains[0].registration.trigger, BlockTrigger::kNone);
  EXPECT_EQ(c->registration.min_expires, 60u);
  EXPECT_EQ(c->registration.retry_after, 60u);
  EXPECT_TRUE(c->standard.upstream_icscf.empty());
  EXPECT_TRUE(c->transport.flow_token_key.empty());  // random per start
  auto keyed = parse_text(std::string(kMinimal) + "[ep_cscf]\nflow_token_key = \"shared\"\n");
  ASSERT_TRUE(keyed) << keyed.error().message();
  EXPECT_EQ(keyed->transport.flow_token_key, "shared");
  EXPECT_EQ(c->memory.preallocate_impus, 0u);  // the memory registrar grows on demand
  auto sized = parse_text(std::string(kMinimal) + "[registrar]\npreallocate_impus = 200000\n");
  ASSERT_TRUE(sized) << sized.error().message();
  EXPECT_EQ(sized->memory.preallocate_impus, 200000u);
}

TEST(EpCscfConfigTest, BadKeysAreNamedWithTheReason) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "[ep_cscf]\nrealmm = \"x\"\n").message(),
            "ep_cscf.realmm: unknown key");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[registrar]\nbackend = \"mongo\"\n").message(),
            "registrar.backend: must be memory or redis, not 'mongo'");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[registrar]\npreallocate_impus = -1\n").message(),
            "registrar.preallocate_impus: must be an integer in [0, 4294967296]");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[registration]\nmin_expires = 0\n").message(),
            "registration.min_expires: must be an integer in [1, 86400]");
  EXPECT_EQ(
      error_of(std::string(kMinimal) + "[domains.registration]\ntrigger = \"boot\"\n").message(),
      "domains[0].registration.trigger: must be none, startup or first_wic, not 'boot'");
  EXPECT_EQ(
      error_of(std::string(kMinimal) + "[domains.registration]\ntrigger = \"startup\"\n").message(),
      "domains[0].upstream_icscf: is required when registration.trigger is not none");
  EXPECT_EQ(error_of("[[listeners]]\nprotocol = \"ws\"\n").message(),
            "domains: at least one [[domains]] entry is required");
  EXPECT_EQ(error_of("[[listeners]]\nprotocol = \"udp\"\n" + std::string(kMinimal).substr(30))
                .message(),
            "listeners: at least one ws or wss listener is required (WICs, RFC 7118)");
  EXPECT_EQ(error_of("[[listeners]]\nprotocol = \"sctp\"\n").message(),
            "listeners[0].protocol: must be udp, tcp, tls, ws or wss, not 'sctp'");
  EXPECT_EQ(error_of("[[listeners]]\nprotocol = \"ws\"\n[[listeners]]\nprot = \"udp\"\n").key,
            "listeners[1].prot");
  EXPECT_EQ(error_of(std::string(kMinimal).substr(30)).message(),
            "listeners: at least one [[listeners]] entry is required");
}

TEST(EpCscfConfigTest, BadBlockAndIssuerAreRefused) {
  std::string bad_range = kMinimal;
  bad_range.replace(bad_range.find("+15550000009"), 12, "+1555000000");
  EXPECT_EQ(error_of(bad_range).key, "domains.block");
  std::string no_jwks = kMinimal;
  no_jwks.replace(no_jwks.find("jwks = \"{}\""), 11, "");
  EXPECT_EQ(error_of(no_jwks).message(),
            "domains[0].issuers[0]: exactly one of jwks_file and jwks is required");
  EXPECT_EQ(error_of(std::string(kMinimal) + "algorithm = \"HS256\"\n").message(),
            "domains[0].issuers[0].algorithm: unknown JOSE algorithm 'HS256'");
}

// The block's registered IMPU (the distinct IMPU of its implicit set) must not be
// one a WIC can be allocated (requirements X-03): refused with the key, whatever form names it.
TEST(EpCscfConfigTest, BlockImpuInsideTheAllocatableRangeIsRefused) {
  auto with_impu = [](const std::string& first, const std::string& impu) {
    std::string t = kMinimal;
    t.replace(t.find("+15550000000"), 12, first);
    return t + "[domains.registration]\nimpu = \"" + impu + "\"\n";
  };
  const ConfigError e = error_of(with_impu("+15550000000", "sip:+15550000000@wimpu.example"));
  EXPECT_EQ(e.message(),
            "domains[0].registration.impu: sip:+15550000000@wimpu.example is allocatable: it lies "
            "in block blk1 (+15550000000..+15550000009), so a WIC could be given the block's own "
            "IMPU; register an IMPU outside the allocatable range (e.g. start the range after "
            "it)");
  // Another spelling of the same IMPU (host case, URI parameters) is the same IMPU.
  EXPECT_EQ(error_of(with_impu("+15550000000", "sip:+15550000005@WIMPU.example;user=phone")).key,
            "domains[0].registration.impu");
  // Outside the range (the range starts after it, or a name-like distinct IMPU): accepted.
  for (const auto& [first, impu] :
       {std::pair<std::string, std::string>{"+15550000001", "sip:+15550000000@wimpu.example"},
        {"+15550000000", "sip:block1@wimpu.example"},
        {"+15550000000", "sip:+15550000000@other.example"}}) {
    auto ok = parse_text(with_impu(first, impu));
    EXPECT_TRUE(ok) << impu << ": " << ok.error().message();
  }
}

// An Origin that browsers never send (RFC 6454 §6.2 serialization) would never match: refused.
TEST(EpCscfConfigTest, AllowedOriginsMustBeWebOrigins) {
  for (const char* ok : {"https://wwsf.example", "http://127.0.0.1:8443", "https://[::1]:7443",
                         "https://xn--bcher-kva.example"}) {
    EXPECT_EQ(origin_error(ok), "") << ok;
  }
  for (const char* bad : {"https://wwsf.example/", "https://WWSF.example", "wwsf.example",
                          "https://", "https://a.example/path", "null", "https://a b"}) {
    EXPECT_NE(origin_error(bad), "") << bad;
  }
  const ConfigError e = error_of(std::string(kMinimal) +
                                 "[ep_cscf]\nallowed_origins = [\"https://a.example\", "
                                 "\"https://b.example/\"]\n");
  EXPECT_EQ(e.message(),
            "ep_cscf.allowed_origins[1]: 'https://b.example/' is not a web origin as browsers "
            "send it: scheme://host[:port] in lower case, without a path or a trailing '/' "
            "(RFC 6454 §6.2)");
}

TEST(EpCscfConfigTest, KeylessIssuerIsAcceptedOnlyWhenTheCallerSuppliesItsKeys) {
  std::string no_jwks = kMinimal;
  no_jwks.replace(no_jwks.find("jwks = \"{}\""), 11, "");
  const std::string issuer = toml::parse(no_jwks)["domains"][0]["issuers"][0]["issuer"]
                                 .value_or(std::string());
  ParseOptions opts;
  opts.keyless_issuers = {issuer};
  auto ok = parse_ep_cscf_config(toml::parse(no_jwks), opts);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_TRUE(ok->domains[0].issuers[0].jwks.empty());
  EXPECT_TRUE(ok->domains[0].issuers[0].jwks_file.empty());
  // Another issuer still needs keys, and the hint says which ones could go without.
  opts.keyless_issuers = {"https://other.example"};
  opts.keyless_hint = "unless it is X";
  auto bad = parse_ep_cscf_config(toml::parse(no_jwks), opts);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(),
            "domains[0].issuers[0]: exactly one of jwks_file and jwks is required unless it is X");
  // Keyless does not mean both: two key sources are still refused.
  opts.keyless_issuers = {issuer};
  auto both = parse_ep_cscf_config(toml::parse(std::string(kMinimal) + "jwks_file = \"k.json\"\n"),
                                   opts);
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().key, "domains[0].issuers[0]");
}

TEST(EpCscfConfigTest, MissingFileAndSyntaxErrorAreReported) {
  auto r = load_ep_cscf_config("/nonexistent/ep-cscf.toml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().key, "/nonexistent/ep-cscf.toml");
}

}  // namespace
}  // namespace wimpu::ep_cscf
