#pragma once
// A flow reference (RFC 5626 §5.3): which WIC flow a request must go down, named in a URI we
// minted. Two spellings, one meaning: a Path or originating Record-Route URI carries the flow
// token as its user part and the transport as its ";transport=" parameter (flow_uri()); a
// terminating dialog's Record-Route user part carries both, "<transport>.<token>", behind the
// called IMPU (EpCscfPolicy::kTermMarker). The flow token alone does not say the transport (it
// MACs epoch, shard, slot and generation), and the transaction layer needs it (retransmissions
// on UDP only), so it stays in the reference. add_flow_target() is the one place a reference
// becomes a branch: a forged token -> 403, a genuine token whose flow is gone -> 430, which each
// caller turns into its own fallback.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wimpu/proxy/policy.hpp"
#include "wimpu/transport/transport.hpp"

namespace wimpu::ep_cscf {

/// A flow named by its token, with the transport the flow runs over ("ws", "wss", "tcp",
/// "tls", "udp" or empty for UDP; case-insensitive). Views into the text it came from.
struct FlowRef {
  std::string_view transport;
  std::string_view token;
};

/// Appends "<transport>.<token>" (the user-part spelling) to `out`.
void append_flow_ref(std::string& out, const FlowRef& ref);

/// Reads the user-part spelling "<transport>.<token>"; nullopt when there is no '.' (answered
/// 403 like a forged token: only we write these).
std::optional<FlowRef> parse_flow_ref(std::string_view text);

/// Adds `branch` to `ctx`, sent down the flow `ref` names (RFC 5626 §5.3.1). Returns 0, or the
/// status to answer: 403 when the token fails its MAC check, 430 (Flow Failed) when it is
/// genuine but its flow is gone. `branch.next_hop` is set here; its other fields are kept.
/// Counters ep_cscf.flow.{tampered,dead,targeted}. Runs on the flow's shard, like the policy.
int add_flow_target(const transport::Transport& transport, proxy::RequestContext& ctx,
                    const FlowRef& ref, proxy::Target branch);

}  // namespace wimpu::ep_cscf
