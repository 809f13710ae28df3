#pragma once
// RFC 3261 §17 timer values (Table 4). Defaults are the RFC's; tests and the example proxy shrink
// T1 so Timer B (64*T1) is short.
#include <chrono>

#include "wimpu/common/clock.hpp"

namespace wimpu::transaction {

struct TimerConfig {
  /// RTT estimate (RFC 3261 §17.1.1.1): retransmission base, and 64*T1 for Timers B, F, H, J and
  /// RFC 6026's L and M.
  common::Duration t1 = std::chrono::milliseconds(500);
  /// Cap on non-INVITE request and INVITE response retransmission intervals.
  common::Duration t2 = std::chrono::seconds(4);
  /// Maximum time a message stays in the network: Timers I and K on unreliable transports.
  common::Duration t4 = std::chrono::seconds(5);
  /// Timer D: INVITE client transaction's wait for response retransmissions after a non-2xx
  /// (RFC 3261 §17.1.1.2: at least 32 s on unreliable transports, 0 on reliable ones).
  common::Duration timer_d = std::chrono::seconds(32);

  common::Duration sixty_four_t1() const { return 64 * t1; }
};

}  // namespace wimpu::transaction
