// Regression check for the freeDiameter stop under CPU starvation (node.cpp,
// detach_routing_queues): starts a DiameterNode and destroys it. ctest runs it with
// slow_wake_shim preloaded, so that every thread woken from a queue wait stays off for 200 ms;
// before the fix, freeDiameter's fd_fifo_del gave its queue readers 20 x 1 ms and the process
// aborted ("fd_fifo_del: Assertion `++loops < 20' failed", SIGABRT). Exit status 0 = pass.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "wimpu/diameter/node.hpp"

int main() {
  std::string dir_template = (std::filesystem::temp_directory_path() / "node_stop_XXXXXX").string();
  if (mkdtemp(dir_template.data()) == nullptr) {
    std::perror("mkdtemp");
    return 2;
  }
  const std::filesystem::path dir = dir_template;
  wimpu::diameter::NodeConfig config;
  config.identity = "stop.example";
  config.realm = "example";
  config.port = 0;  // no listener, no peers: the routing and dispatch threads are what matters
  config.state_dir = dir / "state";
  auto node = wimpu::diameter::DiameterNode::start(config);
  node.reset();
  std::filesystem::remove_all(dir);
  std::puts("node stopped");
  return 0;
}
