// wimpu-loadgen: WebSocket SIP load generator (issue 8). See bench/loadgen/README.md.
#include "wimpu/loadgen/cli.hpp"

int main(int argc, char** argv) { return wimpu::loadgen::run_command_line(argc, argv); }
