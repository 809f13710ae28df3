#include "wimpu/loadgen/cli.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "wimpu/loadgen/processes.hpp"
#include "wimpu/loadgen/report.hpp"

namespace wimpu::loadgen {
namespace {

std::chrono::milliseconds seconds_to_ms(double s) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000.0 + 0.5));
}

std::string read_file_trimmed(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

Engine* g_engine = nullptr;

extern "C" void on_signal(int) {
  if (g_engine != nullptr) {
    g_engine->request_stop();
  }
}

}  // namespace

CliParse parse_command_line(int argc, const char* const* argv) {
  CliParse result;
  CliOptions cli;
  EngineOptions& e = cli.engine;

  CLI::App app{
      "wimpu-loadgen: WebSocket SIP (RFC 7118) load generator for REGISTER load, idle registered "
      "connections and WIC call answering"};
  app.get_formatter()->column_width(40);

  std::string mode = "register";
  app.add_option("mode", mode, "register | idle | answer")
      ->check(CLI::IsMember({"register", "idle", "answer"}))
      ->required();
  std::string url;
  app.add_option("--url", url, "ws://host:port/path or wss://... of the SIP WebSocket server")
      ->required();
  app.add_option("--origin", e.ws.origin, "Origin header of the WebSocket upgrade (none if empty)");
  std::string ca;
  bool insecure = false;
  app.add_option("--ca", ca, "wss: PEM file of CA certificates to verify the server with");
  app.add_flag("--insecure", insecure, "wss: do not verify the server certificate");
  app.add_flag("--binary", e.ws.binary_frames, "send binary WebSocket frames (default: text)");
  std::vector<std::string> binds;
  app.add_option("--bind", binds, "local source address(es), round-robin per connection")
      ->delimiter(',');

  app.add_option("-t,--threads", e.threads, "worker threads per process (one io_context each)")
      ->capture_default_str();
  app.add_option("-P,--processes", cli.processes,
                 "load-tool processes (the open-files limit is per process); figures merged")
      ->capture_default_str();
  app.add_option("-c,--connections", e.connections, "WebSocket connections (all processes)")
      ->capture_default_str();
  app.add_option("-u,--ua-per-connection", e.ua_per_connection,
                 "UAs per connection = REGISTERs outstanding per connection (C)")
      ->capture_default_str();
  app.add_option("--connect-rate", e.connect_rate, "new connections per second (0: no limit)")
      ->capture_default_str();
  app.add_option("--connect-concurrency", e.connect_concurrency,
                 "connection handshakes in progress at most")
      ->capture_default_str();
  double connect_timeout_s = 5;
  app.add_option("--connect-timeout", connect_timeout_s, "seconds for connect+TLS+upgrade")
      ->capture_default_str();
  double timeout_s = 5;
  app.add_option("--timeout", timeout_s, "seconds to wait for a final response")
      ->capture_default_str();
  bool no_reconnect = false;
  app.add_flag("--no-reconnect", no_reconnect, "do not re-open connections that closed/failed");
  double reconnect_delay_s = 1;
  app.add_option("--reconnect-delay", reconnect_delay_s, "seconds before re-opening")
      ->capture_default_str();

  app.add_option("--domain", e.domain, "Request-URI domain (default: the URL host)");
  app.add_option("--aor", e.aor,
                 "placeholder To/From URI, {n} = UA index (default sip:wic@<domain>)");
  app.add_option("--expires", e.expires, "Contact expires requested")->capture_default_str();
  app.add_option("--user-agent", e.user_agent, "SIP User-Agent (empty: none)")
      ->capture_default_str();

  app.add_option("-r,--rate", e.rate, "register: fixed rate, REGISTER/s overall (0: closed loop)")
      ->capture_default_str();
  app.add_option("-n,--count", e.count, "register: stop after this many REGISTERs (0: no limit)")
      ->capture_default_str();
  app.add_option("--requests-per-connection", e.requests_per_connection,
                 "register: new connection after K registrations (1: a new flow each; 0: "
                 "re-register on the same flow)")
      ->capture_default_str();
  app.add_option("--max-backlog", e.max_backlog, "fixed rate: due REGISTERs waiting for a UA")
      ->capture_default_str();
  unsigned rate_tick_us = 100;
  unsigned spin_us = 0;
  app.add_option("--spin-us", spin_us,
                 "busy-poll this many us before a worker sleeps (spares the server loopback "
                 "wake-ups; the spin is reported apart as idle_spin_s)");
  app.add_option("--rate-tick-us", rate_tick_us, "fixed rate: minimum sleep of the send loop")
      ->capture_default_str();
  double duration_s = 0;
  app.add_option("-d,--duration", duration_s, "seconds to measure after warm-up (0: until count/"
                                              "SIGINT)")
      ->capture_default_str();
  double warmup_s = 0;
  app.add_option("--warmup", warmup_s, "seconds before the figures start counting")
      ->capture_default_str();

  app.add_flag("--reregister", e.reregister,
               "idle/answer: re-register before expiry (at half the granted time)");
  unsigned ring_ms = 0;
  app.add_option("--ring-ms", ring_ms, "answer: milliseconds between 180 and the final answer")
      ->capture_default_str();
  app.add_option("--answer-status", e.answer_status, "answer: final status to INVITEs")
      ->capture_default_str();

  std::string token;
  std::string token_file;
  IssuerMinterOptions issuer;
  app.add_option("--token", token, "Bearer token sent by every UA");
  app.add_option("--token-file", token_file, "file holding the Bearer token");
  app.add_option("--token-key", issuer.key_file,
                 "PEM signing key: mint tokens with the WWSF's TokenIssuer");
  app.add_option("--token-kid", issuer.kid, "kid of minted tokens (default: key thumbprint)");
  app.add_option("--token-iss", issuer.issuer, "iss of minted tokens")->capture_default_str();
  app.add_option("--token-aud", issuer.audience, "aud of minted tokens")->capture_default_str();
  app.add_option("--token-block", issuer.block, "wIMPU block claim of minted tokens");
  app.add_option("--token-lifetime", issuer.lifetime_s, "seconds a minted token is valid")
      ->capture_default_str();
  app.add_flag("--token-fresh", e.token.fresh_per_request,
               "mint a new token for every REGISTER (default: one per UA per connection)");
  std::string sub = "per-ua";
  app.add_option("--sub", sub, "JWT sub: per-ua or per-request (with --token-fresh)")
      ->check(CLI::IsMember({"per-ua", "per-request"}))
      ->capture_default_str();
  app.add_option("--sub-prefix", e.token.subject_prefix, "JWT sub prefix")->capture_default_str();
  std::string bearer_form = "token68";
  app.add_option("--bearer-form", bearer_form,
                 "token68 (Bearer <t>, RFC 8898) or access_token (TS 24.371)")
      ->check(CLI::IsMember({"token68", "access_token"}))
      ->capture_default_str();

  app.add_option("--digest-ephemeral", e.digest.secret,
                 "answer 401/407 with auth_ephemeral credentials made from this secret");
  app.add_option("--digest-user", e.digest.user,
                 "digest user, {n} = UA index (default: the AOR user part)");
  unsigned digest_ttl = 3600;
  app.add_option("--digest-ttl", digest_ttl, "seconds of validity in the ephemeral username")
      ->capture_default_str();
  app.add_flag("--digest-reuse-nonce", e.digest.reuse_nonce,
               "send later REGISTERs with credentials for the last nonce (nc+1)");

  app.add_option("--index-base", e.index_base, "first UA index ({n}, token sub)")
      ->capture_default_str();
  app.add_option("--seed", e.seed, "random seed (0: random)")->capture_default_str();
  app.add_flag("--json", cli.json, "print the report as JSON on stdout");
  double report_s = 1;
  app.add_option("--report-interval", report_s, "seconds between progress lines (0: none)")
      ->capture_default_str();
  app.add_flag("-q,--quiet", cli.quiet, "no progress lines");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& err) {
    std::ostringstream out;
    std::ostringstream errs;
    result.exit_code = app.exit(err, out, errs);
    result.message = out.str() + errs.str();
    if (result.exit_code != 0) {
      result.exit_code = 2;
    }
    return result;
  }

  auto fail = [&](const std::string& what) {
    result.exit_code = 2;
    result.message = "wimpu-loadgen: " + what + "\n";
    return result;
  };

  e.mode = mode == "register" ? Mode::kRegister : mode == "idle" ? Mode::kIdle : Mode::kAnswer;
  auto parsed = parse_ws_url(url);
  if (!parsed) {
    return fail("--url: " + parsed.error().message);
  }
  e.ws.url = *parsed;
  if (e.ws.url.tls) {
    auto ctx = make_client_tls_context(ca, insecure);
    if (!ctx) {
      return fail(ctx.error().message);
    }
    e.ws.tls = *ctx;
    e.ws.verify_host = !insecure;
  }
  for (const std::string& b : binds) {
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(b, ec);
    if (ec) {
      return fail("--bind: not an IP address: " + b);
    }
    e.local_addresses.push_back(addr);
  }
  e.connect_timeout = seconds_to_ms(connect_timeout_s);
  e.transaction_timeout = seconds_to_ms(timeout_s);
  e.reconnect = !no_reconnect;
  e.reconnect_delay = seconds_to_ms(reconnect_delay_s);
  e.rate_tick = std::chrono::microseconds(rate_tick_us);
  e.spin = std::chrono::microseconds(spin_us);
  e.duration = seconds_to_ms(duration_s);
  e.warmup = seconds_to_ms(warmup_s);
  e.ring_time = std::chrono::milliseconds(ring_ms);
  e.token.subject_per_request = sub == "per-request";
  e.token.access_token_form = bearer_form == "access_token";
  e.digest.ttl = std::chrono::seconds(digest_ttl);
  e.report_interval = cli.quiet ? std::chrono::milliseconds(0) : seconds_to_ms(report_s);

  const int token_sources = (token.empty() ? 0 : 1) + (token_file.empty() ? 0 : 1) +
                            (issuer.key_file.empty() ? 0 : 1);
  if (token_sources > 1) {
    return fail("use one of --token, --token-file, --token-key");
  }
  if (!token_file.empty()) {
    try {
      token = read_file_trimmed(token_file);
    } catch (const std::exception& ex) {
      return fail(ex.what());
    }
  }
  if (!token.empty()) {
    e.token.minter = [token]() -> Expected<TokenMinterPtr, Error> {
      return TokenMinterPtr(std::make_unique<StaticTokenMinter>(token));
    };
  } else if (!issuer.key_file.empty()) {
    if (issuer.issuer.empty() || issuer.audience.empty() || issuer.block.empty()) {
      return fail("--token-key needs --token-iss, --token-aud and --token-block");
    }
    auto factory = issuer_minter_factory(issuer);
    if (!factory) {
      return fail(factory.error().message);
    }
    e.token.minter = std::move(*factory);
  }
  if (e.token.fresh_per_request && issuer.key_file.empty()) {
    return fail("--token-fresh needs --token-key");
  }
  if (cli.processes == 0) {
    return fail("--processes must be at least 1");
  }
  result.options = std::move(cli);
  return result;
}

int run_command_line(int argc, const char* const* argv) {
  CliParse parsed = parse_command_line(argc, argv);
  if (!parsed.options) {
    (parsed.exit_code == 0 ? std::cout : std::cerr) << parsed.message;
    return parsed.exit_code;
  }
  const CliOptions& cli = *parsed.options;
  if (cli.processes > 1) {
    // Fork before this process starts any thread (run_processes' precondition).
    std::signal(SIGPIPE, SIG_IGN);
    std::function<void(unsigned, double, const Gauges&)> progress;
    if (!cli.quiet && cli.engine.report_interval.count() > 0) {
      // Runs in each child, which has its own copy of the captured state.
      progress = [last_done = std::uint64_t{0}, last_t = 0.0](unsigned index, double t,
                                                               const Gauges& g) mutable {
        // One write per line so lines of different processes do not interleave.
        const std::string line = "[" + std::to_string(index) + "] " +
                                 format_progress(t, g, last_done, t - last_t) + "\n";
        std::fputs(line.c_str(), stderr);
        last_done = g.transactions_done;
        last_t = t;
      };
    }
    auto report = run_processes(cli.engine, cli.processes, progress);
    if (!report) {
      std::cerr << "wimpu-loadgen: " << report.error().message << "\n";
      return 2;
    }
    std::cout << (cli.json ? format_json(*report) + "\n" : format_text(*report));
    return report->stats.total_errors() == 0 ? 0 : 1;
  }
  try {
    Engine engine(cli.engine);
    g_engine = &engine;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGPIPE, SIG_IGN);
    std::uint64_t last_done = 0;
    double last_t = 0;
    const RunReport report = engine.run([&](double t, const Gauges& g) {
      std::cerr << format_progress(t, g, last_done, t - last_t) << "\n";
      last_done = g.transactions_done;
      last_t = t;
    });
    g_engine = nullptr;
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    if (cli.json) {
      std::cout << format_json(report) << "\n";
    } else {
      std::cout << format_text(report);
    }
    return report.stats.total_errors() == 0 ? 0 : 1;
  } catch (const std::exception& ex) {
    g_engine = nullptr;
    std::cerr << "wimpu-loadgen: " << ex.what() << "\n";
    return 2;
  }
}

}  // namespace wimpu::loadgen
