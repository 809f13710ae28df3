// wimpu-wwsf: runs the WWSF alone, configured by flags (TOML config comes with wimpud, issue 7).
// Prints "wwsf listening on <port>" once bound (port 0 picks a free one), runs until SIGINT/SIGTERM.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "wimpu/wwsf/interim_minter.hpp"
#include "wimpu/wwsf/wwsf.hpp"

int main(int argc, char** argv) {
  wimpu::wwsf::WwsfConfig c;
  unsigned lifetime = 300;
  CLI::App app{"wimpu-wwsf: web login and token issuing for WICs"};
  app.add_option("--listen", c.listen_address, "Listen address")->capture_default_str();
  app.add_option("--port", c.port, "Listen port (0: any free port)")->capture_default_str();
  app.add_option("--cert", c.tls_cert_file, "TLS certificate chain (PEM)")->required();
  app.add_option("--key", c.tls_key_file, "TLS private key (PEM)")->required();
  app.add_option("--users", c.user_store_path, "User store (wimpuctl user ...)")->required();
  app.add_option("--static-root", c.static_root, "WIC build output directory");
  app.add_option("--issuer", c.issuer, "Token iss")->required();
  app.add_option("--audience", c.audience, "Token aud (the eP-CSCF realm)")->required();
  app.add_option("--block", c.default_block, "Default wIMPU block")->required();
  app.add_option("--signing-key", c.signing_key_file, "Ed25519 PEM key (empty: fresh key)");
  app.add_option("--retired-key", c.retired_key_files, "Older keys kept in the JWKS");
  app.add_option("--token-lifetime", lifetime, "Token lifetime, seconds")->capture_default_str();
  app.add_option("--allowed-origin", c.allowed_origins, "Cross-origin callers (CORS)");
  app.add_option("--ws-url", c.wic.ws_urls, "eP-CSCF WSS URL for the WIC");
  app.add_option("--sip-domain", c.wic.sip_domain, "SIP domain of the WIC's placeholder AOR");
  app.add_option("--backoff-base", c.wic.backoff_base_all_failed_s,
                 "WIC reconnect base when all flows failed (RFC 5626 §4.5)")
      ->capture_default_str();
  app.add_option("--backoff-base-some", c.wic.backoff_base_some_failed_s,
                 "WIC reconnect base when some flows are up")
      ->capture_default_str();
  app.add_option("--threads", c.io_threads, "I/O threads")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  c.token_lifetime = std::chrono::seconds(lifetime);

  // Block the stop signals before any thread starts, so only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // TODO(wwsf): switch to wimpu::token's issuer once libs/token is on main.
  auto minter = wimpu::wwsf::make_ed25519_minter(c.signing_key_file, c.retired_key_files);
  if (!minter) {
    std::cerr << "wimpu-wwsf: " << minter.error() << "\n";
    return 1;
  }
  auto wwsf = wimpu::wwsf::Wwsf::create(c, *minter);
  if (!wwsf) {
    std::cerr << "wimpu-wwsf: " << wwsf.error() << "\n";
    return 1;
  }
  if (auto r = (*wwsf)->start(); !r) {
    std::cerr << "wimpu-wwsf: " << r.error() << "\n";
    return 1;
  }
  std::printf("wwsf listening on %u\n", static_cast<unsigned>((*wwsf)->port()));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  (*wwsf)->stop();
  return 0;
}
