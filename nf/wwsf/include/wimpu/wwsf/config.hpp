#pragma once
// The WWSF's typed configuration. A plain struct with documented defaults: tests fill it in code;
// the TOML loader (issue 7) fills it from the config file.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace wimpu::wwsf {

/// What the WIC needs to reach the eP-CSCF, served as /wic-config.json.
struct WicConfig {
  std::vector<std::string> ws_urls;  ///< eP-CSCF WSS URLs, e.g. "wss://epcscf.example:7443"
  std::string sip_domain;            ///< Domain of the placeholder AOR and the registrar URI.
  /// AOR the WIC registers before it knows its IMPU (requirements G-02).
  std::string placeholder_user = "wic";
  unsigned register_expires_s = 600;  ///< Expires the WIC asks for (the registrar may shorten).
  /// RFC 5626 §4.5 flow-recovery bases: all flows failed / some still up; and the cap.
  unsigned backoff_base_all_failed_s = 30;
  unsigned backoff_base_some_failed_s = 90;
  unsigned backoff_cap_s = 1800;
  std::vector<std::string> ice_servers;  ///< "stun:..." / "turn:..." URLs for RTCPeerConnection.
};

/// Everything the WWSF needs to run.
struct WwsfConfig {
  // --- identity assertions (requirements T-10) ---
  std::string issuer;                 ///< iss of every token, e.g. "https://wwsf.example"
  std::string audience;               ///< aud: the eP-CSCF realm
  std::string default_block;          ///< block for users whose record names none
  std::chrono::seconds token_lifetime{300};
  std::string signing_key_file;       ///< PEM private key; empty: a fresh key per start (dev/test)
  std::vector<std::string> retired_key_files;  ///< still published in the JWKS (rotation)

  // --- users and sessions ---
  std::string user_store_path;        ///< JSON store edited by `wimpuctl user`
  /// How often the store file is checked for changes (a stat); edits show up within this time.
  std::chrono::milliseconds user_store_check_interval{1000};
  std::chrono::seconds session_idle_timeout{30 * 60};
  std::chrono::seconds session_max_lifetime{12 * 3600};
  std::size_t max_sessions = 100'000;  ///< Oldest sessions are dropped beyond this.

  // --- login rate limiting: a token bucket per user name and per client address ---
  unsigned login_failures_per_user = 5;      ///< bucket size (failures allowed in a burst)
  unsigned login_failures_per_address = 20;
  std::chrono::seconds login_failure_window{300};  ///< a full bucket refills in this time

  // --- web ---
  std::vector<std::string> allowed_origins;  ///< Cross-origin callers allowed (CORS, CSRF)
  std::string static_root;                   ///< WIC build output (index.html, wic.js, ...)
  WicConfig wic;

  // --- listener ---
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0: any free port (read it back from Wwsf::port())
  std::string tls_cert_file;
  std::string tls_key_file;
  bool plain_http_for_tests = false;  ///< No TLS. Cookies lose Secure. Never in production.
  unsigned io_threads = 1;            ///< Threads running the HTTP io_context.
  unsigned password_threads = 1;      ///< Threads for argon2id checks (off the I/O threads).
};

}  // namespace wimpu::wwsf
