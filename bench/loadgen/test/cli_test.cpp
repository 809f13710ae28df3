#include "wimpu/loadgen/cli.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "wimpu/token/signing_key.hpp"

namespace wimpu::loadgen {
namespace {

CliParse parse(std::vector<const char*> args) {
  args.insert(args.begin(), "wimpu-loadgen");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

TEST(Cli, MapsOptionsOntoTheEngine) {
  const CliParse p = parse({"register", "--url", "ws://127.0.0.1:5080/ws", "--origin",
                            "https://wwsf.test", "-t", "2", "-c", "100", "-u", "4", "--rate",
                            "5000", "--duration", "10", "--warmup", "2.5", "--timeout", "0.5",
                            "--token", "abc", "--bearer-form", "access_token", "--expires",
                            "300", "--bind", "127.0.0.1,::1", "--requests-per-connection",
                            "1", "--json", "-q", "--index-base", "1000"});
  ASSERT_TRUE(p.options) << p.message;
  const EngineOptions& e = p.options->engine;
  EXPECT_EQ(e.mode, Mode::kRegister);
  EXPECT_EQ(e.ws.url.port, 5080);
  EXPECT_EQ(e.ws.url.target, "/ws");
  EXPECT_EQ(e.ws.origin, "https://wwsf.test");
  EXPECT_EQ(e.threads, 2u);
  EXPECT_EQ(e.connections, 100u);
  EXPECT_EQ(e.ua_per_connection, 4u);
  EXPECT_EQ(e.rate, 5000);
  EXPECT_EQ(e.duration, std::chrono::milliseconds(10000));
  EXPECT_EQ(e.warmup, std::chrono::milliseconds(2500));
  EXPECT_EQ(e.transaction_timeout, std::chrono::milliseconds(500));
  EXPECT_TRUE(e.token.access_token_form);
  ASSERT_TRUE(e.token.minter);
  auto minter = e.token.minter();
  ASSERT_TRUE(minter);
  EXPECT_EQ(*(*minter)->mint("x"), "abc");
  EXPECT_EQ(e.expires, 300u);
  ASSERT_EQ(e.local_addresses.size(), 2u);
  EXPECT_EQ(e.local_addresses[1].to_string(), "::1");
  EXPECT_EQ(e.requests_per_connection, 1u);
  EXPECT_EQ(e.index_base, 1000u);
  EXPECT_TRUE(p.options->json);
  EXPECT_TRUE(p.options->quiet);
  EXPECT_EQ(e.report_interval.count(), 0);
}

TEST(Cli, DigestAndAnswerOptions) {
  const CliParse p = parse({"answer", "--url", "wss://127.0.0.1:5443/", "--insecure",
                            "--digest-ephemeral", "sec", "--digest-user", "u{n}",
                            "--digest-reuse-nonce", "--ring-ms", "250", "--answer-status",
                            "486", "--reregister"});
  ASSERT_TRUE(p.options) << p.message;
  const EngineOptions& e = p.options->engine;
  EXPECT_EQ(e.mode, Mode::kAnswer);
  EXPECT_TRUE(e.ws.url.tls);
  EXPECT_TRUE(e.ws.tls);
  EXPECT_FALSE(e.ws.verify_host);
  EXPECT_EQ(e.digest.secret, "sec");
  EXPECT_EQ(e.digest.user, "u{n}");
  EXPECT_TRUE(e.digest.reuse_nonce);
  EXPECT_EQ(e.ring_time, std::chrono::milliseconds(250));
  EXPECT_EQ(e.answer_status, 486);
  EXPECT_TRUE(e.reregister);
}

TEST(Cli, TokenKeyBuildsAnIssuerMinter) {
  const std::string key = ::testing::TempDir() + "loadgen_cli_key.pem";
  std::remove(key.c_str());
  ASSERT_TRUE(token::generate_key_file(token::Algorithm::kES256, key));
  const CliParse p = parse({"register", "--url", "ws://127.0.0.1:1/", "--token-key", key.c_str(),
                            "--token-iss", "https://wwsf.test", "--token-aud", "ims.test",
                            "--token-block", "b1", "--token-fresh", "--sub", "per-request",
                            "--sub-prefix", "u-"});
  ASSERT_TRUE(p.options) << p.message;
  const EngineOptions& e = p.options->engine;
  EXPECT_TRUE(e.token.fresh_per_request);
  EXPECT_TRUE(e.token.subject_per_request);
  EXPECT_EQ(e.token.subject_prefix, "u-");
  ASSERT_TRUE(e.token.minter);
  auto minter = e.token.minter();
  ASSERT_TRUE(minter);
  auto jws = (*minter)->mint("u-1");
  ASSERT_TRUE(jws);
  EXPECT_EQ(std::count(jws->begin(), jws->end(), '.'), 2);
  // Claims are required with a key.
  EXPECT_EQ(parse({"register", "--url", "ws://x/", "--token-key", key.c_str()}).exit_code, 2);
  std::remove(key.c_str());
}

TEST(Cli, RejectsBadInput) {
  EXPECT_EQ(parse({"register"}).exit_code, 2);                                   // no --url
  EXPECT_EQ(parse({"flood", "--url", "ws://x/"}).exit_code, 2);                  // bad mode
  EXPECT_EQ(parse({"register", "--url", "http://x/"}).exit_code, 2);             // bad scheme
  EXPECT_EQ(parse({"register", "--url", "ws://x/", "--bind", "nope"}).exit_code, 2);
  EXPECT_EQ(parse({"register", "--url", "ws://x/", "--token", "a", "--token-file", "f"}).exit_code,
            2);
  EXPECT_EQ(parse({"register", "--url", "ws://x/", "--token-fresh"}).exit_code, 2);
  const CliParse help = parse({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.message.find("--digest-ephemeral"), std::string::npos);
}

}  // namespace
}  // namespace wimpu::loadgen
