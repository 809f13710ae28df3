#pragma once
// Counter names of the transport: transport.<proto>.<event> for per-protocol events,
// transport.<event> for the rest. Hot ones are cached (the registry lookup takes a lock).
#include <array>
#include <string>
#include <string_view>

#include "wimpu/common/counter.hpp"
#include "wimpu/transport/types.hpp"

namespace wimpu::transport::detail {

/// Looks up transport.<proto>.<event>. For error paths (takes the registry lock).
common::Counter& proto_counter(Protocol p, std::string_view event);

/// Looks up transport.<event>.
common::Counter& counter(std::string_view event);

/// Per-protocol counters bumped on every message.
struct HotCounters {
  common::Counter* messages_in;
  common::Counter* messages_out;
  common::Counter* accepted;
  common::Counter* writes;  ///< socket writes started (one may carry several messages)
};

/// The hot counters of protocol `p`.
const HotCounters& hot(Protocol p);

}  // namespace wimpu::transport::detail
