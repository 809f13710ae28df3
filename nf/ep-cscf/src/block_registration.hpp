#pragma once
// The block registration of one wIMPU domain with the IMS core (seed TR §5.2.2.5.1; requirements
// G-10, G-12, R-08, X-03): REGISTER for the block's distinct IMPU toward the I-CSCF with our Path
// (flow token), trusted-node authentication (TS 24.229 §7.2A.2 integrity-protected="auth-done"),
// refresh before expiry, back-off and "down" on failure, de-registration on orderly shutdown.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "wimpu/cscf_node/sip_node.hpp"
#include "wimpu/ep_cscf/policy.hpp"

namespace wimpu::ep_cscf {

/// Threading: every method runs on shard 0 (the executor given), including the UacHandler
/// callbacks (the node sends from shard 0). Ownership: `runtime` and `node` outlive it.
class BlockRegistration final : public cscf_node::UacHandler {
public:
  BlockRegistration(std::size_t domain_index, std::shared_ptr<const Runtime> runtime,
                    cscf_node::SipNode& node, boost::asio::any_io_executor shard0);
  ~BlockRegistration() override;

  /// Marks the block down and registers now (BlockTrigger::kStartup).
  void start();
  /// The first WIC registered (BlockTrigger::kFirstWic): registers unless already started.
  void trigger();
  /// Stops refreshing; when registered, sends REGISTER with Expires: 0 and calls `done` on its
  /// answer or failure; otherwise calls `done` at once.
  void deregister(std::function<void()> done);

  void on_uac_response(const sip::Message& response) override;
  void on_uac_failure(transaction::ClientFailure why) override;

private:
  void send(std::uint32_t expires);
  void fail(std::string_view why);
  void arm(std::chrono::milliseconds after);
  const WimpuDomain& domain() const { return rt_->config.domains[index_]; }

  std::size_t index_;
  std::shared_ptr<const Runtime> rt_;
  cscf_node::SipNode& node_;
  boost::asio::steady_timer timer_;
  std::optional<transaction::Peer> upstream_;
  std::string call_id_;
  std::string from_tag_;
  std::uint32_t cseq_ = 0;
  std::chrono::milliseconds backoff_;
  bool started_ = false;
  bool in_flight_ = false;
  bool registered_ = false;
  bool stopping_ = false;
  std::function<void()> on_deregistered_;
};

}  // namespace wimpu::ep_cscf
