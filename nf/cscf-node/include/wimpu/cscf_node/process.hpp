#pragma once
// What every wimpu SIP executable's main() does around its node: take SIGINT/SIGTERM
// synchronously on the main thread, and print the bound listeners in the one format the tests and
// scripts wait for ("listening <proto> <addr>:<port>").
#include <csignal>
#include <vector>

#include "wimpu/transport/net_transport.hpp"

namespace wimpu::cscf_node {

/// The stop signals, blocked in the calling thread.
class StopSignals {
public:
  /// Blocks SIGINT and SIGTERM. Call in main() before any thread starts: every thread inherits
  /// the mask, so only wait() sees them (no async-signal-safety concerns in handlers).
  StopSignals();
  /// Waits for SIGINT or SIGTERM and returns it.
  int wait() const;

private:
  sigset_t set_;
};

/// Prints "listening <proto> <addr>:<port>" per listener on stdout and flushes.
void print_listeners(const std::vector<transport::ListenerInfo>& listeners);

}  // namespace wimpu::cscf_node
