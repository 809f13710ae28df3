#include "wimpu/cscf_node/process.hpp"

#include <pthread.h>

#include <cstdio>
#include <string>

namespace wimpu::cscf_node {

StopSignals::StopSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

int StopSignals::wait() const {
  int sig = 0;
  sigwait(&set_, &sig);
  return sig;
}

void print_listeners(const std::vector<transport::ListenerInfo>& listeners) {
  for (const transport::ListenerInfo& l : listeners) {
    std::printf("listening %s %s\n", std::string(transport::to_string(l.protocol)).c_str(),
                l.local.to_string().c_str());
  }
  std::fflush(stdout);
}

}  // namespace wimpu::cscf_node
