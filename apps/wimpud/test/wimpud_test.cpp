// The real wimpud binary on free loopback ports with a generated all-in-one config: log in at the
// WWSF over HTTPS, get a token, register a WIC over WSS with it (Beast client) and check the
// 200 OK's P-Associated-URI is an IMPU of the block; then wimpuctl against the admin endpoint
// (health, blocks, bindings list/kick), /metrics, SIGHUP, SIGTERM drain; and a bad config that
// exits 2 naming the key.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include "process.hpp"  // nf/hss/test: ChildProcess
#include "udp_ue.hpp"
#include "wimpu/http/client.hpp"
#include "wimpu/sip/message.hpp"

namespace wimpu::wimpud {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace fs = std::filesystem;
using asio::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr auto kStep = 10s;  // bound on one network step or start-up, never a sleep
constexpr const char* kOrigin = "https://wwsf.test";
constexpr const char* kIssuer = "https://wwsf.test";

std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    out += c == '\n' ? std::string("\r\n") : std::string(1, c);
  }
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// A temporary directory removed on destruction.
struct TempDir {
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "wimpud-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp");
    }
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

std::string all_in_one_config() {
  return R"(
[wimpud]
state_dir = "state"
[admin]
port = 0
[tls]
self_signed = true
hosts = ["localhost", "127.0.0.1"]
[wwsf]
issuer = ")" + std::string(kIssuer) + R"("
default_block = "b1"
port = 0
allowed_origins = [")" + std::string(kOrigin) + R"("]
demo_user = "demo"
demo_password = "demo-password"
[ep_cscf]
realm = "ims.example"
allowed_origins = [")" + std::string(kOrigin) + R"("]
  [[ep_cscf.listeners]]
  protocol = "wss"
  port = 0
  [[ep_cscf.listeners]]
  protocol = "udp"
  port = 0
  [[ep_cscf.domains]]
  domain = "block.example"
  authz_server = "https://wwsf.test/api/token"
    [ep_cscf.domains.block]
    id = "b1"
    range_first = "+15550000000"
    range_last = "+15550000009"
    [[ep_cscf.domains.issuers]]
    issuer = ")" + std::string(kIssuer) + R"("
[ei_cscf]
  [[ei_cscf.listeners]]
  protocol = "udp"
  port = 0
  [ei_cscf.proxy]
  domains = ["block.example", "ims.example"]
[hss]
subscribers = "subscribers.toml"
)";
}

constexpr const char* kSubscribers = R"(
[capabilities]
server_names = ["sip:127.0.0.1:5070"]
[[subscriber]]
impi = "block@block.example"
realm = "block.example"
ha1 = "34e7d45f636891b2362892f0c15d3a99"
  [[subscriber.implicit_set]]
  public_identities = ["sip:+1555000!.*!@block.example"]
[[subscriber]]
impi = "alice@ims.example"
realm = "ims.example"
ha1 = "34e7d45f636891b2362892f0c15d3a99"
  [[subscriber.implicit_set]]
  public_identities = ["sip:alice@ims.example"]
)";

/// Runs wimpuctl; returns (exit code, stdout).
std::pair<int, std::string> wimpuctl(const std::string& args) {
  const std::string cmd = std::string(WIMPUCTL_BINARY) + " " + args + " 2>&1";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) {
    out.append(buf, n);
  }
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class WimpudTest : public ::testing::Test {
protected:
  /// The configuration and HSS subscribers the fixture starts wimpud with.
  virtual std::string config() { return all_in_one_config(); }
  virtual std::string subscribers() { return kSubscribers; }

  void SetUp() override {
    std::ofstream(dir_.path / "wimpud.toml") << config();
    std::ofstream(dir_.path / "subscribers.toml") << subscribers();
    child_ = std::make_unique<hss::test::ChildProcess>(
        std::vector<std::string>{WIMPUD_BINARY, "--config", (dir_.path / "wimpud.toml").string()},
        (dir_.path / "stderr.log").string());
    // "wimpud: <function> listening <proto> <addr>:<port>" lines, then "wimpud: ready".
    const std::regex listening(R"(wimpud: (\w+) listening (\w+) ([0-9.:\[\]a-f]+):(\d+))");
    for (;;) {
      auto l = child_->line(kStep);
      ASSERT_TRUE(l) << "wimpud did not start: " << read_file(dir_.path / "stderr.log");
      std::smatch m;
      if (std::regex_match(*l, m, listening)) {
        ports_[m[1].str() + "/" + m[2].str()] = static_cast<std::uint16_t>(std::stoi(m[4]));
      }
      if (*l == "wimpud: ready") {
        break;
      }
    }
    ASSERT_TRUE(ports_.count("wwsf/https"));
    ASSERT_TRUE(ports_.count("ep_cscf/wss"));
    ASSERT_TRUE(ports_.count("admin/http"));
    admin_ = "--admin 127.0.0.1:" + std::to_string(ports_["admin/http"]);
  }

  void TearDown() override {
    if (child_) {
      EXPECT_EQ(child_->wait_exit(30s, SIGTERM), 0) << read_file(dir_.path / "stderr.log");
    }
  }

  std::shared_ptr<asio::ssl::context> client_tls() {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    // The self-signed certificate wimpud generated on first run is the trust anchor.
    ctx->load_verify_file((dir_.path / "state" / "tls" / "cert.pem").string());
    ctx->set_verify_mode(asio::ssl::verify_peer);
    return ctx;
  }

  /// Logs in as the demo user and returns a fresh token from POST /api/token.
  std::string login_and_get_token() {
    http::Client c("127.0.0.1", ports_["wwsf/https"], client_tls());
    http::Request login{http::Verb::post, "/api/login", 11};
    login.set(http::Field::origin, kOrigin);
    login.set(http::Field::content_type, "application/json");
    login.body() = json{{"username", "demo"}, {"password", "demo-password"}}.dump();
    auto r = c.request(std::move(login));
    EXPECT_TRUE(r);
    if (!r) {
      return {};
    }
    EXPECT_EQ(r->result_int(), 200u) << r->body();
    const std::string set_cookie((*r)[http::Field::set_cookie]);
    const std::string csrf = json::parse(r->body())["csrf_token"];
    http::Request tok{http::Verb::post, "/api/token", 11};
    tok.set(http::Field::origin, kOrigin);
    tok.set(http::Field::cookie, set_cookie.substr(0, set_cookie.find(';')));
    tok.set("X-CSRF-Token", csrf);
    auto t = c.request(std::move(tok));
    EXPECT_TRUE(t);
    if (!t) {
      return {};
    }
    EXPECT_EQ(t->result_int(), 200u) << t->body();
    const json j = json::parse(t->body());
    EXPECT_EQ(j["block"], "b1");
    return j["token"];
  }

  /// Polls /readyz until 200 (bounded; e.g. the block registration with the S-CSCF at start-up).
  bool wait_ready() {
    http::Client admin("127.0.0.1", ports_["admin/http"], nullptr);
    const auto end = std::chrono::steady_clock::now() + kStep;
    while (std::chrono::steady_clock::now() < end) {
      auto r = admin.request(http::Verb::get, "/readyz");
      if (r && r->result_int() == 200) {
        return true;
      }
      std::this_thread::sleep_for(20ms);  // pacing of the poll, not a synchronisation
    }
    return false;
  }

  /// REGISTERs over WSS with `token`; returns the response. The WebSocket stays open (a closed
  /// flow removes its contacts, RFC 5626 §7) until the fixture ends.
  sip::Message register_wic(const std::string& token) {
    asio::io_context& io = io_;
    wic_tls_ = client_tls();
    wic_ = std::make_unique<Wss>(io, *wic_tls_);
    Wss& ws = *wic_;
    bool ok = false;
    beast::error_code ec;
    auto run = [&io] {
      io.restart();
      io.run_for(kStep);
    };
    beast::get_lowest_layer(ws).async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), ports_["ep_cscf/wss"]),
        [&](beast::error_code e) { ec = e; });
    run();
    EXPECT_FALSE(ec) << ec.message();
    ws.next_layer().async_handshake(asio::ssl::stream_base::client,
                                    [&](beast::error_code e) { ec = e; });
    run();
    EXPECT_FALSE(ec) << "TLS: " << ec.message();
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::sec_websocket_protocol, "sip");
      req.set(beast::http::field::origin, kOrigin);
    }));
    ws.async_handshake("127.0.0.1", "/", [&](beast::error_code e) { ec = e; });
    run();
    EXPECT_FALSE(ec) << "WebSocket: " << ec.message();
    const std::string reg = crlf(
        "REGISTER sip:block.example SIP/2.0\n"
        "Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKwimpud1;rport\n"
        "Max-Forwards: 70\n"
        "To: <sip:wic@block.example>\n"
        "From: <sip:wic@block.example>;tag=t1\n"
        "Call-ID: wimpud-test-1\n"
        "CSeq: 1 REGISTER\n"
        "Contact: <sip:a@df7jal23ls0d.invalid;transport=ws>;+sip.instance=\"<urn:uuid:aaaa>\""
        ";reg-id=1;expires=600\n"
        "Supported: path, outbound, gruu\n"
        "Authorization: Bearer " + token + "\n"
        "Content-Length: 0\n\n");
    ws.text(true);
    ws.async_write(asio::buffer(reg), [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    EXPECT_FALSE(ec) << ec.message();
    beast::flat_buffer buf;
    ws.async_read(buf, [&](beast::error_code e, std::size_t) {
      ec = e;
      ok = !e;
    });
    run();
    EXPECT_TRUE(ok) << "no answer: " << ec.message();
    auto m = sip::Message::parse(beast::buffers_to_string(buf.data()));
    EXPECT_TRUE(m);
    return m ? std::move(*m) : sip::Message();
  }

  /// True when the WIC's WebSocket ends (close frame, EOF or reset) within kStep; messages
  /// arriving before that are skipped.
  bool wic_closed() {
    for (;;) {
      beast::flat_buffer buf;
      beast::error_code ec;
      bool done = false;
      wic_->async_read(buf, [&](beast::error_code e, std::size_t) {
        ec = e;
        done = true;
      });
      io_.restart();
      io_.run_for(kStep);
      if (!done) {
        return false;
      }
      if (ec) {
        return true;
      }
    }
  }

  static std::string header(const sip::Message& m, std::string_view name) {
    for (const auto& h : m.headers()) {
      if (h.id == sip::header_id_from_name(name)) {
        return std::string(h.value);
      }
    }
    return {};
  }

  using Wss = websocket::stream<beast::ssl_stream<tcp::socket>>;
  TempDir dir_;
  asio::io_context io_;
  std::shared_ptr<asio::ssl::context> wic_tls_;
  std::unique_ptr<Wss> wic_;
  std::unique_ptr<hss::test::ChildProcess> child_;
  std::map<std::string, std::uint16_t> ports_;
  std::string admin_;
};

TEST_F(WimpudTest, WebLoginTokenAndWssRegisterGetAnImpuOfTheBlock) {
  const std::string token = login_and_get_token();
  ASSERT_FALSE(token.empty());
  sip::Message ok = register_wic(token);
  ASSERT_EQ(ok.status_code(), 200) << ok.bytes();
  const std::string impu = header(ok, "P-Associated-URI");
  EXPECT_TRUE(std::regex_match(impu, std::regex(R"(<sip:\+1555000000\d@block\.example>)"))) << impu;

  // wimpuctl over the admin endpoint sees what the eP-CSCF stored.
  auto [hc, health] = wimpuctl("health " + admin_);
  EXPECT_EQ(hc, 0) << health;
  EXPECT_NE(health.find("ready\tyes"), std::string::npos) << health;
  EXPECT_NE(health.find("ep_cscf\trunning\twss 127.0.0.1:"), std::string::npos) << health;

  auto [bc, blocks] = wimpuctl("blocks " + admin_);
  EXPECT_EQ(bc, 0) << blocks;
  EXPECT_NE(blocks.find("b1\t10\t1\t0\t9"), std::string::npos) << blocks;

  const std::string bare = impu.substr(1, impu.size() - 2);
  auto [lc, list] = wimpuctl("bindings list " + admin_ + " --issuer " + kIssuer + " --subject demo");
  EXPECT_EQ(lc, 0) << list;
  EXPECT_EQ(list.rfind(bare + "\tregistered\t" + kIssuer + " demo\t1 contact(s)", 0), 0u) << list;

  {
    // Gauges read at scrape time: the WIC's WebSocket is the eP-CSCF's one live flow.
    http::Client admin("127.0.0.1", ports_["admin/http"], nullptr);
    auto m = admin.request(http::Verb::get, "/metrics");
    ASSERT_TRUE(m);
    EXPECT_NE(m->body().find("wimpu_sip_flows{function=\"ep_cscf\"} 1\n"), std::string::npos)
        << m->body();
    EXPECT_NE(m->body().find("wimpu_sip_flows{function=\"ei_cscf\"} 0\n"), std::string::npos);
    EXPECT_NE(m->body().find("wimpu_sip_transactions{function=\"ep_cscf\",kind=\"server\"} "),
              std::string::npos);
    EXPECT_NE(m->body().find("wimpu_sip_proxy_contexts{function=\"ei_cscf\"} 0\n"),
              std::string::npos);
  }

  auto [kc, kick] = wimpuctl("bindings kick " + admin_ + " --impu '" + bare + "'");
  EXPECT_EQ(kc, 0) << kick;
  EXPECT_NE(kick.find("removed\t1"), std::string::npos) << kick;
  // The kick closed the WIC's WebSocket too (it must register again to get an IMPU).
  EXPECT_NE(kick.find("flows_closed\t1"), std::string::npos) << kick;
  EXPECT_TRUE(wic_closed()) << "the kicked WIC's WebSocket stayed open";
  // ... with a Close frame 1008 "policy violation" (RFC 6455 §7.4.1), not a bare TCP close.
  EXPECT_EQ(wic_->reason().code, 1008);
  auto [qc, after] = wimpuctl("bindings list " + admin_ + " --impu '" + bare + "'");
  EXPECT_EQ(qc, 0) << after;
  EXPECT_EQ(after.rfind(bare + "\tquarantined\t", 0), 0u) << after;

  // The W4 latency histogram of the admin calls, in Prometheus format.
  http::Client admin("127.0.0.1", ports_["admin/http"], nullptr);
  auto metrics = admin.request(http::Verb::get, "/metrics");
  ASSERT_TRUE(metrics);
  // usage() ran for `wimpuctl blocks`, the gauge scrape above and this one (before rendering).
  EXPECT_NE(metrics->body().find("wimpu_w4_latency_usage_seconds_count 3\n"), std::string::npos)
      << metrics->body();
  EXPECT_NE(metrics->body().find("wimpu_block_impus{block=\"b1\",state=\"quarantined\"} 1\n"),
            std::string::npos)
      << metrics->body();
  EXPECT_NE(metrics->body().find("wimpu_ep_cscf_register_"), std::string::npos) << metrics->body();
}

// Issue 7 "SIGTERM drains ... WICs told to reconnect": the WIC's WebSocket ends with a Close
// frame 1001 "going away" (RFC 6455 §7.4.1), not a bare TCP close (1006 in a browser).
TEST_F(WimpudTest, SigtermClosesTheWicWebSocketWithGoingAway) {
  const std::string token = login_and_get_token();
  ASSERT_FALSE(token.empty());
  ASSERT_EQ(register_wic(token).status_code(), 200);
  child_->signal(SIGTERM);
  beast::error_code ec;
  for (int i = 0; i < 8 && !ec; ++i) {  // anything sent before the Close is skipped
    beast::flat_buffer buf;
    bool done = false;
    wic_->async_read(buf, [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    io_.restart();
    io_.run_for(kStep);  // returns when the read completed (Beast answers the Close itself)
    ASSERT_TRUE(done) << "no Close from wimpud";
  }
  EXPECT_EQ(ec, websocket::error::closed) << ec.message();
  EXPECT_EQ(wic_->reason().code, websocket::close_code::going_away);
  EXPECT_EQ(child_->wait_exit(30s), 0) << read_file(dir_.path / "stderr.log");
  child_.reset();
}

TEST_F(WimpudTest, EiCscfChecksW4AndAsksTheInProcessHss) {
  ASSERT_TRUE(ports_.count("ei_cscf/udp"));
  test::UdpUe ue(ports_["ei_cscf/udp"]);
  // An IMPU of the block that nobody holds: the W4 check answers (seed TR §5.2.2.3.3).
  EXPECT_EQ(ue.invite("sip:+15550000005@block.example", 1), 480);
  // Outside the block, Cx LIR to the HSS in this process: unknown -> 404 (5001); known but not
  // registered and no unregistered services -> 480 (5003).
  EXPECT_EQ(ue.invite("sip:nobody@ims.example", 2), 404);
  EXPECT_EQ(ue.invite("sip:alice@ims.example", 3), 480);

  http::Client admin("127.0.0.1", ports_["admin/http"], nullptr);
  auto metrics = admin.request(http::Verb::get, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body().find("wimpu_w4_latency_is_registered_seconds_count 1\n"),
            std::string::npos)
      << metrics->body();
  EXPECT_NE(metrics->body().find("wimpu_cx_latency_lir_seconds_count 2\n"), std::string::npos)
      << metrics->body();
}

TEST_F(WimpudTest, UnknownImpuAndBadAdminAddressFailInWimpuctl) {
  auto [c1, out1] = wimpuctl("bindings list " + admin_ + " --impu sip:+1999@elsewhere.example");
  EXPECT_EQ(c1, 1);
  EXPECT_NE(out1.find("404 unknown_impu"), std::string::npos) << out1;
  auto [c2, out2] = wimpuctl("blocks --admin 127.0.0.1");
  EXPECT_EQ(c2, 1);
  EXPECT_NE(out2.find("HOST:PORT"), std::string::npos) << out2;
}

TEST_F(WimpudTest, AdminUsersAndSighupKeepServing) {
  http::Client admin("127.0.0.1", ports_["admin/http"], nullptr);
  auto add = admin.request(http::Verb::post, "/admin/users",
                           json{{"username", "alice"}, {"password", "pw"}}.dump(),
                           "application/json");
  ASSERT_TRUE(add);
  EXPECT_EQ(add->result_int(), 201u) << add->body();
  auto list = admin.request(http::Verb::get, "/admin/users");
  ASSERT_TRUE(list);
  const json users = json::parse(list->body())["users"];
  ASSERT_EQ(users.size(), 2u);  // the demo user and alice
  EXPECT_EQ(users[0]["username"], "alice");
  EXPECT_EQ(users[1]["username"], "demo");
  auto del = admin.request(http::Verb::delete_, "/admin/users/alice");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->result_int(), 204u);
  auto again = admin.request(http::Verb::delete_, "/admin/users/alice");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result_int(), 404u);

  // SIGHUP re-reads the file: the WWSF's allowed Origins move; the page's own origin (kOrigin is
  // the WWSF's issuer URL, not its https://127.0.0.1:port origin) is then refused.
  auto login_status = [&](const std::string& origin) {
    http::Client c("127.0.0.1", ports_["wwsf/https"], client_tls());
    http::Request login{http::Verb::post, "/api/login", 11};
    login.set(http::Field::origin, origin);
    login.set(http::Field::content_type, "application/json");
    login.body() = json{{"username", "demo"}, {"password", "wrong"}}.dump();
    auto r = c.request(std::move(login));
    return r ? r->result_int() : 0u;
  };
  EXPECT_EQ(login_status(kOrigin), 401u);
  EXPECT_EQ(login_status("https://moved.example"), 403u);
  std::string text = config();
  const std::string from = "allowed_origins = [\"" + std::string(kOrigin) + "\"]\ndemo_user";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(),
               "allowed_origins = [\"https://moved.example\"]\ndemo_user");
  std::ofstream(dir_.path / "wimpud.toml") << text;
  child_->signal(SIGHUP);
  ASSERT_TRUE(child_->wait_for_line("wimpud: reload applied", kStep))
      << read_file(dir_.path / "stderr.log");
  EXPECT_EQ(login_status(kOrigin), 403u);
  EXPECT_EQ(login_status("https://moved.example"), 401u);
  // A file that does not parse is refused; everything keeps serving as before.
  std::ofstream(dir_.path / "wimpud.toml") << "[wwsf\n";
  child_->signal(SIGHUP);
  ASSERT_TRUE(child_->wait_for_line("wimpud: reload refused", kStep));
  EXPECT_NE(read_file(dir_.path / "stderr.log")
                .find("wimpud: reload refused, the running configuration stays: config error at "),
            std::string::npos);
  EXPECT_EQ(login_status("https://moved.example"), 401u);
  auto ready = admin.request(http::Verb::get, "/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->result_int(), 200u);
}

/// A port free for UDP and TCP on 127.0.0.1 now (for the addresses the config must name ahead:
/// the S-CSCF's server_name, the trusted eP-CSCF and eI-CSCF).
std::uint16_t free_port() {
  for (int i = 0; i < 100; ++i) {
    asio::io_context io;
    asio::ip::udp::socket u(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const std::uint16_t port = u.local_endpoint().port();
    boost::system::error_code ec;
    tcp::acceptor t(io);
    t.open(tcp::v4());
    t.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (!ec) {
      return port;
    }
  }
  throw std::runtime_error("no free port");
}

/// The all-in-one with the S-CSCF in the process (issue 7): the eP-CSCF registers its block at
/// start-up through the eI-CSCF with the S-CSCF; a SIP Digest UE registers through the eI-CSCF on
/// the S-CSCF and calls a WIC's IMPU: S-CSCF (originating) -> eI-CSCF (W4 check, LIR) -> S-CSCF
/// (terminating, the block's contact) -> eP-CSCF -> the WIC's WebSocket.
class WimpudFullPathTest : public WimpudTest {
protected:
  std::string config() override {
    const std::string ep = std::to_string(ep_udp_), ei = std::to_string(ei_udp_),
                      sc = std::to_string(sc_udp_);
    std::string c = all_in_one_config();
    auto replace = [&c](const std::string& from, const std::string& to) {
      const auto at = c.find(from);
      EXPECT_NE(at, std::string::npos) << from;
      c.replace(at, from.size(), to);
    };
    replace("  [[ep_cscf.listeners]]\n  protocol = \"udp\"\n  port = 0\n",
            "  [[ep_cscf.listeners]]\n  protocol = \"udp\"\n  address = \"127.0.0.1\"\n  port = " +
                ep + "\n");
    replace("    issuer = \"" + std::string(kIssuer) + "\"\n",
            "    issuer = \"" + std::string(kIssuer) + "\"\n"
            "    [ep_cscf.domains.registration]\n    trigger = \"startup\"\n"
            "    impu = \"sip:+15550000000@block.example\"\n"
            "    private_identity = \"block@block.example\"\n");
    // The block's own IMPU (registered below) is not allocatable (requirements X-03).
    replace("range_first = \"+15550000000\"", "range_first = \"+15550000001\"");
    replace("  authz_server", "  upstream_icscf = \"sip:127.0.0.1:" + ei + ";lr\"\n  authz_server");
    replace("  [[ei_cscf.listeners]]\n  protocol = \"udp\"\n  port = 0\n",
            "  [[ei_cscf.listeners]]\n  protocol = \"udp\"\n  address = \"127.0.0.1\"\n  port = " +
                ei + "\n");
    c += "[s_cscf]\nserver_name = \"sip:127.0.0.1:" + sc + "\"\n"
         "home_domains = [\"ims.example\", \"block.example\"]\n"
         "trusted_nodes = [\"127.0.0.1:" + ep + "\"]\ntrusted_proxies = [\"127.0.0.1:" + ei + "\"]\n"
         "  [[s_cscf.listeners]]\n  protocol = \"udp\"\n  address = \"127.0.0.1\"\n  port = " + sc +
         "\n  [[s_cscf.icscf]]\n  domain = \"block.example\"\n  uri = \"sip:127.0.0.1:" + ei +
         "\"\n";
    return c;
  }
  std::string subscribers() override {
    std::string s = kSubscribers;
    const std::string from = "sip:127.0.0.1:5070";
    s.replace(s.find(from), from.size(), "sip:127.0.0.1:" + std::to_string(sc_udp_));
    // alice's HA1 for the password alice-secret: MD5("alice@ims.example:ims.example:alice-secret").
    const std::string alice = "realm = \"ims.example\"\nha1 = \"34e7d45f636891b2362892f0c15d3a99\"";
    s.replace(s.find(alice), alice.size(),
              "realm = \"ims.example\"\nha1 = \"af12288935ebcd07d3d08dad0b04ebf0\"");
    // The block's distinct IMPU is in its implicit set (TR 23.706 §5.2.2).
    const std::string wild = "[\"sip:+1555000!.*!@block.example\"]";
    s.replace(s.find(wild), wild.size(),
              "[\"sip:+15550000000@block.example\", \"sip:+1555000!.*!@block.example\"]");
    return s;
  }

  /// Runs SIPp (scenario `sf`, one call) from `port` toward `remote`; returns its exit code.
  /// Started through /bin/sh only to send its screen output to a file.
  std::unique_ptr<hss::test::ChildProcess> sipp(const std::string& name, const std::string& sf,
                                    std::uint16_t port, const std::string& remote,
                                    const std::string& extra) {
    const std::string cmd = "exec sipp -sf " + sf + " -i 127.0.0.1 -p " + std::to_string(port) +
                            " -m 1 -nostdin -timeout 20s -timeout_error " + extra + " " + remote +
                            " > " + (dir_.path / (name + ".out")).string() + " 2>&1";
    return std::make_unique<hss::test::ChildProcess>(
        std::vector<std::string>{"/bin/sh", "-c", cmd}, (dir_.path / (name + ".err")).string());
  }

  /// The WIC's answer to `request` (raw text): Via, From, To (with a tag), Call-ID, CSeq copied.
  static std::string answer(const std::string& request, int code, const std::string& reason) {
    std::string out = "SIP/2.0 " + std::to_string(code) + " " + reason + "\r\n";
    std::size_t at = request.find("\r\n") + 2;
    while (at < request.size()) {
      const std::size_t end = request.find("\r\n", at);
      const std::string line = request.substr(at, end - at);
      if (line.empty()) {
        break;
      }
      std::string name = line.substr(0, line.find(':'));
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      if (name == "via" || name == "from" || name == "call-id" || name == "cseq") {
        out += line + "\r\n";
      } else if (name == "to") {
        out += line + ";tag=wic" + std::to_string(code) + "\r\n";
      }
      at = end + 2;
    }
    return out + "Content-Length: 0\r\n\r\n";
  }

  std::uint16_t ep_udp_ = free_port();
  std::uint16_t ei_udp_ = free_port();
  std::uint16_t sc_udp_ = free_port();
};

TEST_F(WimpudFullPathTest, DigestUeCallsAWicThroughTheInProcessScscf) {
  ASSERT_TRUE(ports_.count("s_cscf/udp"));
  EXPECT_EQ(ports_["s_cscf/udp"], sc_udp_);
  // Ready = the block registration (eP-CSCF -> eI-CSCF -> S-CSCF, trusted node) got its 200.
  ASSERT_TRUE(wait_ready()) << read_file(dir_.path / "stderr.log");
  const std::string token = login_and_get_token();
  ASSERT_FALSE(token.empty());
  sip::Message ok = register_wic(token);
  ASSERT_EQ(ok.status_code(), 200) << ok.bytes();
  const std::string impu = header(ok, "P-Associated-URI");
  ASSERT_GT(impu.size(), 6u);
  const std::string callee = impu.substr(5, impu.size() - 6);  // <sip:X> -> X

  // alice registers with SIP Digest through the eI-CSCF on the S-CSCF (401, then 200).
  const std::uint16_t ue = free_port();
  auto reg = sipp("register", WIMPU_SIPP_SCENARIOS "/ims_register.xml", ue,
                  "127.0.0.1:" + std::to_string(ei_udp_),
                  "-key user alice -key domain ims.example -au alice@ims.example -ap alice-secret");
  ASSERT_EQ(reg->wait_exit(30s), 0) << read_file(dir_.path / "register.out");

  // alice calls the WIC's IMPU; the INVITE arrives on the WIC's WebSocket, which answers 486.
  auto call = sipp("call", WIMPUD_SCENARIOS "/ue_call_expect_486.xml", ue,
                   "127.0.0.1:" + std::to_string(sc_udp_),
                   "-key user alice -key domain ims.example -key callee " + callee +
                       " -key scscf 127.0.0.1:" + std::to_string(sc_udp_));
  beast::flat_buffer buf;
  beast::error_code ec;
  std::string invite;
  while (invite.empty()) {
    buf.clear();
    wic_->async_read(buf, [&](beast::error_code e, std::size_t) { ec = e; });
    io_.restart();
    io_.run_for(kStep);
    ASSERT_FALSE(ec) << ec.message();
    const std::string m = beast::buffers_to_string(buf.data());
    ASSERT_FALSE(m.empty()) << "nothing on the WIC's WebSocket";
    if (m.rfind("INVITE ", 0) == 0) {
      invite = m;
    }
  }
  EXPECT_NE(invite.find("P-Called-Party-ID: <sip:" + callee + ">"), std::string::npos) << invite;
  const std::string busy = answer(invite, 486, "Busy Here");
  wic_->async_write(asio::buffer(busy), [&](beast::error_code e, std::size_t) { ec = e; });
  io_.restart();
  io_.run_for(kStep);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(call->wait_exit(30s), 0) << read_file(dir_.path / "call.out");

  // SIGTERM drains: the block is de-registered upstream while the CSCFs still run, then the
  // WIC's connection closes (it reconnects elsewhere), and wimpud exits 0 (TearDown).
  child_->signal(SIGTERM);
  EXPECT_TRUE(wic_closed()) << "the WIC's WebSocket stayed open after SIGTERM";
}

TEST(WimpudBinary, BadConfigExitsTwoNamingTheKey) {
  TempDir dir;
  std::ofstream(dir.path / "bad.toml") << "[admin]\nport = 70000\n[hss]\nsubscribers = \"s.toml\"\n";
  hss::test::ChildProcess c({WIMPUD_BINARY, "--config", (dir.path / "bad.toml").string()},
                (dir.path / "stderr.log").string());
  EXPECT_EQ(c.wait_exit(kStep), 2);
  EXPECT_EQ(read_file(dir.path / "stderr.log"),
            "wimpud: config error at admin.port: expected an integer in 0..65535, got 70000\n");
}

TEST(WimpudBinary, BadEpCscfConfigExitsTwoNamingTheFullKey) {
  // [ep_cscf] is parsed by nf/ep-cscf's parser; its key paths come back under "ep_cscf.".
  TempDir dir;
  std::ofstream(dir.path / "bad.toml")
      << "[admin]\nenabled = false\n[ep_cscf]\n[[ep_cscf.listeners]]\nprotocol = \"ws\"\n"
         "[[ep_cscf.domains]]\ndomain = \"b.example\"\nauthz_server = \"https://w/api/token\"\n"
         "[ep_cscf.domains.block]\nid = \"b1\"\nimpus = [\"sip:a@b.example\"]\n"
         "[[ep_cscf.domains.issuers]]\nissuer = \"https://w\"\njwks = \"{}\"\n"
         "[ep_cscf.domains.registration]\ntrigger = \"later\"\n";
  hss::test::ChildProcess c({WIMPUD_BINARY, "--config", (dir.path / "bad.toml").string()},
                (dir.path / "stderr.log").string());
  EXPECT_EQ(c.wait_exit(kStep), 2);
  EXPECT_EQ(read_file(dir.path / "stderr.log"),
            "wimpud: config error at ep_cscf.domains[0].registration.trigger: must be none, "
            "startup or first_wic, not 'later'\n");
}

TEST(WimpudBinary, StartFailureExitsOne) {
  TempDir dir;
  // Valid config, but the subscriber file does not exist: refused at start, not at parse.
  std::ofstream(dir.path / "c.toml") << "[admin]\nenabled = false\n[hss]\nsubscribers = \"none.toml\"\n";
  hss::test::ChildProcess c({WIMPUD_BINARY, "--config", (dir.path / "c.toml").string()},
                (dir.path / "stderr.log").string());
  EXPECT_EQ(c.wait_exit(kStep), 1);
  EXPECT_EQ(read_file(dir.path / "stderr.log").rfind("wimpud: hss: ", 0), 0u)
      << read_file(dir.path / "stderr.log");
}

}  // namespace
}  // namespace wimpu::wimpud
