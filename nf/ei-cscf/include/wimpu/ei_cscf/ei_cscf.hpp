#pragma once
// The eI-CSCF as a RequestPolicy plug-in over the proxy core (docs/adr/0002): a standard I-CSCF
// (TS 24.229 §5.3) plus the wIMPU check of seed TR §5.2.2.3.3 (requirements C-06, C-07, X-05).
//
//  - REGISTER -> UAR -> the S-CSCF named by Server-Name, or one picked from Server-Capabilities
//    (TS 24.229 §5.3.1.2) -> forwarded with a pre-loaded Route to it.
//  - An initial request (no To tag, no Route left) -> for a configured wIMPU domain, W4
//    is_registered() first (not allocated / no live contact -> 480) -> LIR -> forwarded to the
//    S-CSCF, with P-Profile-Key (RFC 5002) when the HSS matched a wildcard. 5001 -> 404,
//    5003 -> 480, no HSS (timeout, peer down) -> 503.
//  - Anything else (mid-dialog, loose-routed, ACK) goes on unchanged.
//
// Threading: one EiCscfPolicy per shard, used on that shard only. The Cx and W4 calls run as a
// coroutine on the shard's executor; the result resumes the proxy by context id, after looking
// the context up again (it may have been CANCELled meanwhile: STYLE.md, sprout's CANCEL race).
#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "wimpu/diameter/cx_client.hpp"
#include "wimpu/proxy/policy.hpp"
#include "wimpu/proxy/proxy.hpp"
#include "wimpu/registrar/w4.hpp"

namespace wimpu::ei_cscf {

/// An S-CSCF this I-CSCF may choose when the HSS returns Server-Capabilities.
struct ScscfEntry {
  std::string name;                        ///< SIP URI, e.g. "sip:127.0.0.1:5070"
  std::vector<std::uint32_t> capabilities; ///< capability numbers it offers
};

struct EiCscfConfig {
  /// Domains (R-URI hosts) whose IMPUs are checked in the wIMPU Registrar first (seed
  /// §5.2.2.3.3: "configurable with the domain names for which such a query is to be performed").
  std::vector<std::string> wimpu_domains;
  /// S-CSCFs known for capability-based selection (TS 29.228 §6.1.1 / TS 24.229 §5.3.1.2).
  std::vector<ScscfEntry> scscfs;
  /// Visited-Network-Identifier of UARs (our network's name).
  std::string visited_network = "wimpu";
};

class EiCscfPolicy final : public proxy::RequestPolicy {
public:
  /// `cx` and `w4` (may be null: no wIMPU check) must outlive the policy and be usable from
  /// `executor` (the shard). attach() must be called before the first request.
  EiCscfPolicy(boost::asio::any_io_executor executor, diameter::CxClient& cx, registrar::W4* w4,
               EiCscfConfig config);
  ~EiCscfPolicy() override;
  EiCscfPolicy(const EiCscfPolicy&) = delete;
  EiCscfPolicy& operator=(const EiCscfPolicy&) = delete;

  /// The proxy this policy resumes (its own shard's). Not owned; must outlive pending work.
  void attach(proxy::Proxy& proxy) { proxy_ = &proxy; }

  /// Starts the UAR or W4+LIR work for initial requests and REGISTER (returns wait), lets the
  /// rest through (proceed). Shard thread only.
  proxy::Decision on_request(proxy::RequestContext& ctx) override;

  /// Picks the S-CSCF from Server-Capabilities: the first configured entry offering every
  /// mandatory capability (most optional ones win), else the first Server-Name the HSS listed.
  /// Empty when none fits.
  std::string select_scscf(const diameter::ServerCapabilities& caps) const;

private:
  /// Outcome of the HSS/W4 work, applied to the context on resume.
  struct Outcome {
    int status = 0;            ///< 0: forward; otherwise the response code
    std::string reason;
    std::string scscf;         ///< S-CSCF URI to route to
    std::string profile_key;   ///< Wildcarded-Public-Identity -> P-Profile-Key
  };
  boost::asio::awaitable<Outcome> registration(std::string impu, std::string impi);
  boost::asio::awaitable<Outcome> terminating(std::string impu, bool check_w4);
  boost::asio::awaitable<void> run(proxy::ContextId id, bool is_register, std::string impu,
                                   std::string impi, bool check_w4);
  void finish(proxy::ContextId id, const Outcome& outcome);
  bool is_wimpu_domain(std::string_view host) const;

  boost::asio::any_io_executor executor_;
  diameter::CxClient& cx_;
  registrar::W4* w4_;
  EiCscfConfig config_;
  proxy::Proxy* proxy_ = nullptr;
};

}  // namespace wimpu::ei_cscf
